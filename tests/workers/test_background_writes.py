"""Background work never holds the write lock while it renders or converts: on the embedded default
(SQLite, one writer at a time) a click or an API write goes through while the in-process worker waits for
LibreOffice or renders a document, and a document rendered meanwhile still shows what was written."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from tests.conftest import Database
from tests.fake_soffice import fake_soffice
from tests.scenario import Scenario
from tests.workers.conftest import SmtpSink, make_context, worker_settings
from workers.documents import DocumentKind, make_document
from workers.documents import generate as generate_module
from workers.documents.contexts import minutes_context
from workers.documents.generate import template_path
from workers.documents.render import render
from workers.inprocess import drain_once
from workflow.models import Attendance, OutboxMessage, StoredFile
from workflow.vocabulary import PDF_MEDIA_TYPE


def _invited_meeting(db: Database) -> tuple[Scenario, int]:
    sc = Scenario(db.sessions)
    paper = sc.submitted_paper(committees=["sjs"])
    meeting = sc.new_meeting("sjs", "2013-10-28 17:00")
    sc.schedule(paper.id, "sjs", meeting.id)
    sc.invite(meeting.id)
    return sc, meeting.id


def _wait_for(condition: Callable[[], bool], what: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"waited {timeout} s for {what}"
        time.sleep(0.05)


def _attendance(db: Database, meeting_id: int) -> int:
    with db.session() as s:
        return len(s.scalars(select(Attendance.id).where(Attendance.meeting_id == meeting_id)).all())


def test_a_write_goes_through_while_the_worker_waits_for_libreoffice(
    db: Database, smtp: SmtpSink, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    gate = tmp_path / "release"
    fake_soffice(tmp_path, monkeypatch, gate=gate)
    sc, meeting_id = _invited_meeting(db)
    ctx = make_context(
        db, worker_settings(smtp.port, pdf_enabled=True, pdf_profile_root=str(tmp_path / "lo"))
    )
    worker = threading.Thread(target=drain_once, args=(ctx,))
    worker.start()
    try:
        _wait_for(Path(f"{gate}.started").exists, "the worker to start LibreOffice")
        # While LibreOffice converts: the secretary records attendance (holding the lock, the worker
        # would make this wait 30 s and end in "someone else was changing the same records").
        sc.attend(meeting_id)
        assert worker.is_alive()  # LibreOffice is still converting
    finally:
        gate.touch()
        worker.join(timeout=60)
    assert not worker.is_alive()
    assert _attendance(db, meeting_id) > 0
    with db.session() as s:
        assert s.scalars(select(StoredFile).where(StoredFile.media_type == PDF_MEDIA_TYPE)).all()
        invited = s.scalars(select(OutboxMessage).where(OutboxMessage.event_type == "MeetingInvited")).one()
        assert invited.published_at is not None
        assert invited.last_error is None


def _blocking_render(monkeypatch: pytest.MonkeyPatch) -> tuple[threading.Event, threading.Event, list[Any]]:
    """Make every rendering wait until released; returns (rendering started, release, contexts rendered)."""
    started, release = threading.Event(), threading.Event()
    rendered: list[Any] = []

    def slow_render(path: Path, context: Any, *, title: str | None = None) -> bytes:
        rendered.append(context)
        started.set()
        assert release.wait(timeout=60), "the test never released the rendering"
        return render(path, context, title=title)

    monkeypatch.setattr(generate_module, "render", slow_render)
    return started, release, rendered


def test_a_write_goes_through_while_the_worker_renders_a_document(
    db: Database, smtp: SmtpSink, monkeypatch: pytest.MonkeyPatch
) -> None:
    sc, meeting_id = _invited_meeting(db)
    started, release, _ = _blocking_render(monkeypatch)
    worker = threading.Thread(target=drain_once, args=(make_context(db, worker_settings(smtp.port)),))
    worker.start()
    try:
        assert started.wait(timeout=60)
        sc.attend(meeting_id)
        assert worker.is_alive()  # still rendering
    finally:
        release.set()
        worker.join(timeout=60)
    assert not worker.is_alive()
    assert _attendance(db, meeting_id) > 0


def test_a_document_whose_data_changed_while_it_was_rendered_is_rendered_again(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    sc, meeting_id = _invited_meeting(db)
    now = sc.meeting(meeting_id).start
    started, release, rendered = _blocking_render(monkeypatch)
    stored: list[StoredFile] = []
    worker = threading.Thread(
        target=lambda: stored.append(
            make_document(
                db.sessions, kind=DocumentKind.MINUTES, subject_id=meeting_id, output_key="changed", now=now
            )
        )
    )
    worker.start()
    try:
        assert started.wait(timeout=60)
        sc.attend(meeting_id)  # the minutes now have an attendance list
    finally:
        release.set()
        worker.join(timeout=60)
    [minutes] = stored
    assert len(rendered) == 2  # the first rendering was of the minutes without attendance
    assert rendered[0] != rendered[1]
    with db.session() as s:
        fresh = render(
            template_path(DocumentKind.MINUTES), minutes_context(s, meeting_id), title=minutes.name
        )
        assert s.get_one(StoredFile, minutes.id).content == fresh
    assert minutes.version == 1


def test_a_document_is_rendered_once_when_nothing_changed(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    sc, meeting_id = _invited_meeting(db)
    now = sc.meeting(meeting_id).start
    started, release, rendered = _blocking_render(monkeypatch)
    release.set()
    first = make_document(
        db.sessions, kind=DocumentKind.MINUTES, subject_id=meeting_id, output_key="a", now=now
    )
    again = make_document(
        db.sessions, kind=DocumentKind.MINUTES, subject_id=meeting_id, output_key="a", now=now
    )
    assert started.is_set()
    assert len(rendered) == 1  # the second call found the row under its key
    assert again.id == first.id


def test_the_in_process_worker_drops_the_pdf_claims_of_a_run_that_died(
    db: Database, smtp: SmtpSink, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import datetime as dt

    from workers.document_jobs import claim_pdf_batch, pending_pdf_masters
    from workers.inprocess import InProcessWorker
    from workers.wiring import JOBS
    from workflow.db import transaction
    from workflow.models import PdfClaim

    log = fake_soffice(tmp_path, monkeypatch)
    _invited_meeting(db)
    ctx = make_context(
        db, worker_settings(smtp.port, pdf_enabled=True, pdf_profile_root=str(tmp_path / "lo"))
    )
    with db.session() as s:
        invited = s.scalars(select(OutboxMessage).where(OutboxMessage.event_type == "MeetingInvited")).one()
        outbox_id, payload = invited.id, dict(invited.payload)
    JOBS["documents"](ctx, outbox_id, payload)
    with db.session() as s:
        pending = [m.id for m in s.scalars(pending_pdf_masters())]
    with transaction(db.sessions) as s:  # a run that died while converting: its claims are fresh
        assert claim_pdf_batch(s, own=pending, limit=20, now=dt.datetime.now(dt.UTC)) == [
            s.get_one(StoredFile, i) for i in sorted(pending)
        ]
    worker = InProcessWorker(ctx, interval=0.2)
    worker.start()
    try:
        _wait_for(lambda: len(log.read_text().splitlines()) >= 1, "the worker to convert the documents")
    finally:
        worker.stop()
    with db.session() as s:
        assert s.scalars(pending_pdf_masters()).all() == []
        assert s.scalars(select(PdfClaim)).all() == []
