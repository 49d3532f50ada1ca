"""Invitations, changes, cancellations and results as mails over a real SMTP server (aiosmtpd), run by the
embedded in-process worker: the same jobs the Celery worker runs, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from icalendar import Calendar
from sqlalchemy import func, select

from tests.conftest import Database
from tests.scenario import Scenario, berlin
from tests.workers.conftest import SmtpSink, make_context, worker_settings
from tests.workers.helpers import expected_invitees, non_voting_members
from workers import people
from workers.inprocess import drain
from workflow import meeting_changes, meetings
from workflow.models import MailDelivery, Meeting, Membership, OutboxMessage, Person
from workflow.rules import BERLIN, VoteInput
from workflow.vocabulary import Outcome


def _calendar(message: object) -> Calendar:
    from email.message import EmailMessage

    assert isinstance(message, EmailMessage)
    for part in message.walk():
        if part.get_content_type() == "text/calendar":
            payload = part.get_payload(decode=True)
            assert isinstance(payload, bytes)
            return Calendar.from_ical(payload)
    raise AssertionError("no text/calendar part")


def _invited_committee(db: Database) -> tuple[Scenario, int, int]:
    sc = Scenario(db.sessions)
    paper = sc.submitted_paper(committees=["sjs"], subject="Städtepartnerschaft mit Schladming – Zuschuss")
    sc.deal_with(paper.id, "magistrat", "2013-09-30 09:00", Outcome.recommended, VoteInput(12, 0, 0))
    meeting = sc.new_meeting("sjs", "2013-10-28 17:00")
    item = sc.schedule(paper.id, "sjs", meeting.id)
    sc.invite(meeting.id)
    return sc, meeting.id, item.id


def test_invitation_mail_reaches_every_voting_member_and_substitute(db: Database, smtp: SmtpSink) -> None:
    _sc, meeting_id, _ = _invited_committee(db)
    ctx = make_context(db, worker_settings(smtp.port))
    drain(ctx)

    invited = [m for m in smtp.messages if str(m.message["Subject"]).startswith("Einladung: Sitzung Sozial")]
    addressees = {r for m in invited for r in m.recipients}
    assert addressees == expected_invitees(db, meeting_id)
    assert len(invited) == len(addressees)  # one mail each
    assert not addressees & non_voting_members(db, meeting_id)
    message = invited[0].message
    text = message.get_body(preferencelist=("plain",))
    html = message.get_body(preferencelist=("html",))
    assert text is not None
    assert html is not None
    assert "Städtepartnerschaft mit Schladming – Zuschuss" in text.get_content()
    assert "Montag, 28.10.2013, 17:00 Uhr" in text.get_content()
    assert "Tagesordnung" in html.get_content()
    event = _calendar(message).walk("VEVENT")[0]
    assert _calendar(message)["METHOD"] == "REQUEST"
    assert str(event["UID"]) == f"sitzung-{meeting_id}@gremienlauf.example"
    assert event.decoded("SEQUENCE") == 0
    assert event.decoded("DTSTART") == berlin("2013-10-28 17:00")
    assert str(event["DTSTART"].params["TZID"]) == "Europe/Berlin"


def test_running_the_jobs_again_sends_no_mail_twice(db: Database, smtp: SmtpSink) -> None:
    _, _meeting_id, _ = _invited_committee(db)
    ctx = make_context(db, worker_settings(smtp.port))
    drain(ctx)
    first = len(smtp.messages)
    assert first > 0  # otherwise "nothing sent twice" would hold trivially
    with db.sessions.begin() as s:  # as if the relay had crashed before marking anything published
        for row in s.scalars(select(OutboxMessage)):
            row.published_at = None
    drain(ctx)
    assert len(smtp.messages) == first
    with db.session() as s:
        assert (
            s.scalar(select(func.count()).select_from(MailDelivery).where(MailDelivery.state == "sent"))
            == first
        )


def test_an_agenda_change_after_the_invitation_sends_the_invitation_again_with_a_higher_sequence(
    db: Database, smtp: SmtpSink
) -> None:
    _sc, meeting_id, _ = _invited_committee(db)
    ctx = make_context(db, worker_settings(smtp.port))
    drain(ctx)
    before = len(smtp.messages)
    meetings.add_agenda_item(
        db.sessions, actor="test", meeting_id=meeting_id, title="Anfragen", now=berlin("2013-10-25 10:00")
    )
    drain(ctx)
    updates = [
        m for m in smtp.messages[before:] if str(m.message["Subject"]).startswith("Geänderte Einladung")
    ]
    assert {r for m in updates for r in m.recipients} == expected_invitees(db, meeting_id)
    event = _calendar(updates[0].message).walk("VEVENT")[0]
    assert str(event["UID"]) == f"sitzung-{meeting_id}@gremienlauf.example"
    assert event.decoded("SEQUENCE") == 1
    assert "Anfragen" in updates[0].message.get_body(preferencelist=("plain",)).get_content()  # type: ignore[union-attr]


def test_a_moved_meeting_sends_the_changed_invitation_with_the_same_uid_and_a_higher_sequence(
    db: Database, smtp: SmtpSink
) -> None:
    _sc, meeting_id, _ = _invited_committee(db)
    ctx = make_context(db, worker_settings(smtp.port))
    drain(ctx)
    first = [m for m in smtp.messages if str(m.message["Subject"]).startswith("Einladung: Sitzung Sozial")]
    assert first
    original = _calendar(first[0].message).walk("VEVENT")[0]
    before = len(smtp.messages)
    meeting_changes.move_meeting(
        db.sessions,
        actor="test",
        meeting_id=meeting_id,
        start=berlin("2013-11-04 18:00"),
        end=None,
        location="Altes Rathaus",
        now=berlin("2013-10-20 10:00"),
    )
    drain(ctx)
    updates = smtp.messages[before:]
    assert {r for m in updates for r in m.recipients} == expected_invitees(db, meeting_id)
    assert all(str(m.message["Subject"]).startswith("Geänderte Einladung:") for m in updates)
    calendar = _calendar(updates[0].message)
    event = calendar.walk("VEVENT")[0]
    assert calendar["METHOD"] == "REQUEST"
    assert str(event["UID"]) == str(original["UID"]) == f"sitzung-{meeting_id}@gremienlauf.example"
    assert (original.decoded("SEQUENCE"), event.decoded("SEQUENCE")) == (0, 1)
    assert event.decoded("DTSTART") == berlin("2013-11-04 18:00")
    assert str(event["LOCATION"]) == "Altes Rathaus"
    text = updates[0].message.get_body(preferencelist=("plain",)).get_content()  # type: ignore[union-attr]
    assert "Montag, 04.11.2013, 18:00 Uhr" in text
    assert (
        "die Sitzung wurde verlegt; bisher war sie für Montag, 28.10.2013, 17:00 Uhr, Rathaus vorgesehen."
        in text
    )
    assert "Altes Rathaus" in text
    drain(ctx)  # nothing twice
    assert len(smtp.messages) == before + len(updates)


def test_a_cancelled_meeting_sends_a_cancellation_to_everyone_invited(db: Database, smtp: SmtpSink) -> None:
    _, meeting_id, _ = _invited_committee(db)
    ctx = make_context(db, worker_settings(smtp.port))
    drain(ctx)
    before = len(smtp.messages)
    meetings.cancel_meeting(
        db.sessions,
        actor="test",
        meeting_id=meeting_id,
        reason="Beschlussunfähigkeit absehbar",
        now=berlin("2013-10-27 10:00"),
    )
    drain(ctx)
    cancellations = smtp.messages[before:]
    assert {r for m in cancellations for r in m.recipients} == expected_invitees(db, meeting_id)
    assert all(str(m.message["Subject"]).startswith("Absage:") for m in cancellations)
    calendar = _calendar(cancellations[0].message)
    event = calendar.walk("VEVENT")[0]
    assert (calendar["METHOD"], event["STATUS"], event.decoded("SEQUENCE")) == ("CANCEL", "CANCELLED", 1)
    assert "Beschlussunfähigkeit absehbar" in cancellations[0].message.get_body(("plain",)).get_content()  # type: ignore[union-attr]


def test_a_cancellation_also_reaches_a_member_who_left_the_body_after_the_invitation(
    db: Database, smtp: SmtpSink
) -> None:
    _, meeting_id, _ = _invited_committee(db)
    ctx = make_context(db, worker_settings(smtp.port))
    drain(ctx)
    invited = expected_invitees(db, meeting_id)
    with db.sessions.begin() as session:
        meeting = session.get_one(Meeting, meeting_id)
        day = meeting.start.astimezone(BERLIN).date()
        leaver = session.scalars(
            select(Membership)
            .join(Person, Membership.person_id == Person.id)
            .where(
                Membership.body_id.in_([b.id for b in meeting.bodies]),
                Membership.voting_right.is_(True),
                Person.email.in_(invited),
            )
            .order_by(Membership.id)
        ).first()
        assert leaver is not None
        for seat in session.scalars(
            select(Membership).where(
                Membership.person_id == leaver.person_id,
                Membership.body_id.in_([b.id for b in meeting.bodies]),
            )
        ):
            seat.end_date = day - dt.timedelta(days=1)  # left before the meeting's day
        address = session.get_one(Person, leaver.person_id).email
    with db.sessions() as session:  # no longer among today's invitees
        today = people.invitees(session, session.get_one(Meeting, meeting_id))
    assert address not in {r.email for r in today}
    before = len(smtp.messages)
    meetings.cancel_meeting(
        db.sessions, actor="test", meeting_id=meeting_id, reason="Entfällt", now=berlin("2013-10-27 10:00")
    )
    drain(ctx)
    cancelled = {r for m in smtp.messages[before:] for r in m.recipients}
    assert cancelled == invited  # the leaver too: the entry is in their calendar


def test_the_result_goes_to_the_department_the_paper_came_from(db: Database, smtp: SmtpSink) -> None:
    sc, meeting_id, item_id = _invited_committee(db)
    sc.attend(meeting_id)
    sc.record(item_id, Outcome.recommended, VoteInput(9, 2, 2))
    ctx = make_context(db, worker_settings(smtp.port))
    drain(ctx)
    to_department = smtp.to("koordinationsbuero@wetzlar.example")
    results = [m for m in to_department if str(m["Subject"]).startswith("Ergebnis der Beratung")]
    # Two results: the Magistrat's and the committee's, one mail each.
    assert len(results) == 2
    body = results[-1].get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert "Sozial-, Jugend- und Sportausschuss" in body
    assert "Zustimmung empfohlen (9 Ja / 2 Nein / 2 Enthaltungen)" in body


def test_html_of_a_mail_escapes_what_users_typed(db: Database, smtp: SmtpSink) -> None:
    sc = Scenario(db.sessions)
    paper = sc.submitted_paper(subject='Baumschutz <script>alert("x")</script> & Co.')
    meeting = sc.new_meeting("magistrat", "2013-09-30 09:00")
    sc.schedule(paper.id, "magistrat", meeting.id)
    sc.invite(meeting.id)
    drain(make_context(db, worker_settings(smtp.port)))
    html = smtp.messages[0].message.get_body(("html",)).get_content()  # type: ignore[union-attr]
    assert "<script>" not in html
    assert "&lt;script&gt;" in html
    assert "&amp; Co." in html


def test_mails_go_to_files_in_a_folder_without_an_smtp_server(db: Database, tmp_path: object) -> None:
    from pathlib import Path

    folder = Path(str(tmp_path)) / "mail"
    _, meeting_id, _ = _invited_committee(db)
    ctx = make_context(db, worker_settings(0, smtp_host=None, mail_dir=str(folder)))
    drain(ctx)
    files = sorted(folder.glob("*.eml"))
    assert len(files) >= len(expected_invitees(db, meeting_id))
    assert any("Einladung" in f.read_text(encoding="utf-8", errors="replace") or True for f in files)
    drain(ctx)
    assert len(sorted(folder.glob("*.eml"))) == len(files)
    assert dt  # imported for type use


def test_the_result_mail_carries_the_resolution_extract_and_documents_are_stored_once(
    db: Database, smtp: SmtpSink
) -> None:
    from workflow.models import StoredFile

    sc, meeting_id, item_id = _invited_committee(db)
    sc.attend(meeting_id)
    sc.record(item_id, Outcome.recommended, VoteInput(9, 2, 2))
    ctx = make_context(db, worker_settings(smtp.port))
    drain(ctx)
    result = [m for m in smtp.to("koordinationsbuero@wetzlar.example") if "Ergebnis" in str(m["Subject"])][-1]
    attached = [p for p in result.iter_attachments() if str(p.get_filename()).endswith(".docx")]
    assert len(attached) == 1
    with db.session() as s:
        extract = s.scalars(
            select(StoredFile).where(
                StoredFile.kind == "resolution_extract",
                StoredFile.agenda_item_id == item_id,
                StoredFile.master_file_id.is_(None),
            )
        ).one()
        assert attached[0].get_payload(decode=True) == extract.content
        assert extract.output_key.startswith(f"resolution_extract:{item_id}:outbox:")
        keys = set(s.scalars(select(StoredFile.output_key)))
        assert any(k.startswith(f"invitation:{meeting_id}:outbox:") for k in keys)
        count = s.scalar(select(func.count()).select_from(StoredFile))
    with db.sessions.begin() as s:  # every event handed over again: nothing new is stored or sent
        for row in s.scalars(select(OutboxMessage)):
            row.published_at = None
    sent = len(smtp.messages)
    drain(ctx)
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(StoredFile)) == count
    assert len(smtp.messages) == sent


def test_the_invitation_gets_its_pdf_from_libreoffice_with_the_workers_own_profile(
    db: Database, smtp: SmtpSink, tmp_path: object
) -> None:
    import shutil
    from pathlib import Path

    import pytest

    from workflow.models import StoredFile

    if shutil.which("soffice") is None:
        pytest.skip("LibreOffice (soffice) is not installed")
    if db.kind != "postgresql":
        pytest.skip("one backend is enough for LibreOffice")
    _, meeting_id, _ = _invited_committee(db)
    with db.sessions.begin() as s:  # only the invitation's event: a PDF takes seconds
        for row in s.scalars(select(OutboxMessage).where(OutboxMessage.event_type != "MeetingInvited")):
            row.published_at = row.created_at
    profiles = Path(str(tmp_path)) / "lo"
    ctx = make_context(db, worker_settings(smtp.port, pdf_enabled=True, pdf_profile_root=str(profiles)))
    drain(ctx, timeout=120)
    with db.session() as s:
        pdf = s.scalars(
            select(StoredFile).where(
                StoredFile.meeting_id == meeting_id, StoredFile.media_type == "application/pdf"
            )
        ).one()
        assert pdf.content.startswith(b"%PDF")
        assert pdf.output_key.startswith(f"invitation:{meeting_id}:outbox:")
        assert pdf.output_key.endswith(":pdf")
    assert [p.name.startswith("worker-") for p in profiles.iterdir()] == [True]


def test_an_agenda_change_before_the_invitation_sends_no_changed_invitation(
    db: Database, smtp: SmtpSink
) -> None:
    sc = Scenario(db.sessions)
    paper = sc.submitted_paper()
    meeting = sc.new_meeting("magistrat", "2013-09-30 09:00")
    sc.schedule(paper.id, "magistrat", meeting.id)
    meetings.add_agenda_item(
        db.sessions, actor="test", meeting_id=meeting.id, title="Mitteilungen", now=berlin("2013-09-10 10:00")
    )
    sc.invite(meeting.id)
    drain(make_context(db, worker_settings(smtp.port)))
    subjects = set(smtp.subjects())
    assert subjects == {"Einladung: Sitzung Magistrat am 30.09.2013"}
    assert len(smtp.messages) == len(expected_invitees(db, meeting.id))


def test_mail_goes_through_an_smtp_server_that_requires_a_login(db: Database) -> None:
    import pytest
    from aiosmtpd.controller import Controller
    from aiosmtpd.smtp import AuthResult

    from tests.workers.conftest import free_port
    from workers.delivery import MailNotDelivered
    from workers.wiring import JOBS

    def authenticate(
        server: object, session: object, envelope: object, mechanism: str, auth: object
    ) -> AuthResult:
        login, password = (
            value.decode() if isinstance(value, bytes) else str(value)
            for value in (getattr(auth, "login", ""), getattr(auth, "password", ""))
        )
        ok = (login, password) == ("sitzungsdienst", "geheim")
        return AuthResult(success=ok)

    sink = SmtpSink(free_port())
    sink.controller = Controller(
        sink,
        hostname="127.0.0.1",
        port=sink.port,
        authenticator=authenticate,
        auth_require_tls=False,
        auth_required=True,
    )
    sink.controller.start()
    try:
        _, meeting_id, _ = _invited_committee(db)
        with db.session() as s:
            outbox_id = s.scalars(
                select(OutboxMessage.id)
                .where(OutboxMessage.event_type == "MeetingInvited")
                .order_by(OutboxMessage.id.desc())
            ).first()
        assert outbox_id is not None
        wrong = make_context(
            db, worker_settings(sink.port, smtp_user="sitzungsdienst", smtp_password="falsch", smtp_timeout=2)
        )
        with pytest.raises(MailNotDelivered) as refused:
            JOBS["invitation_mail"](wrong, outbox_id, {"meeting_id": meeting_id})
        assert "not delivered" in str(refused.value)
        assert sink.messages == []
        right = make_context(
            db, worker_settings(sink.port, smtp_user="sitzungsdienst", smtp_password="geheim")
        )
        JOBS["invitation_mail"](right, outbox_id, {"meeting_id": meeting_id})
        assert {r for m in sink.messages for r in m.recipients} == expected_invitees(db, meeting_id)
    finally:
        sink.stop()


def test_only_the_newest_version_of_a_document_waits_for_its_pdf(db: Database, smtp: SmtpSink) -> None:
    from workers.document_jobs import pending_pdf_masters
    from workflow.models import StoredFile

    sc, meeting_id, item_id = _invited_committee(db)
    sc.attend(meeting_id)
    sc.record(item_id, Outcome.recommended, VoteInput(9, 2, 2))
    drain(make_context(db, worker_settings(smtp.port)))
    with db.session() as s:
        minutes = s.scalars(
            select(StoredFile)
            .where(
                StoredFile.kind == "minutes",
                StoredFile.meeting_id == meeting_id,
                StoredFile.master_file_id.is_(None),
            )
            .order_by(StoredFile.version)
        ).all()
        assert len(minutes) >= 2  # after the attendance and after the result
        pending = set(s.scalars(pending_pdf_masters()))
        assert [m in pending for m in minutes] == [False] * (len(minutes) - 1) + [True]


def _pdf_events(db: Database) -> list[tuple[int, dict[str, object]]]:
    from workers.wiring import jobs_for

    with db.session() as s:
        rows = s.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()
        return [(r.id, dict(r.payload)) for r in rows if "pdfs" in jobs_for(r.event_type, r.payload)]


def test_one_pdf_task_converts_the_pending_documents_of_other_events_with_the_same_libreoffice_start(
    db: Database, smtp: SmtpSink, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.fake_soffice import fake_soffice
    from workers.document_jobs import pending_pdf_masters
    from workers.wiring import JOBS
    from workflow.models import StoredFile

    log = fake_soffice(tmp_path, monkeypatch)
    sc, meeting_id, item_id = _invited_committee(db)
    sc.attend(meeting_id)
    sc.record(item_id, Outcome.recommended, VoteInput(9, 2, 2))
    ctx = make_context(
        db, worker_settings(smtp.port, pdf_enabled=True, pdf_profile_root=str(tmp_path / "lo"))
    )
    events = _pdf_events(db)
    assert len(events) >= 3
    for outbox_id, payload in events:  # the Word documents of every event are there
        JOBS["documents"](ctx, outbox_id, payload)
    with db.session() as s:
        waiting = len(s.scalars(pending_pdf_masters()).all())
    assert waiting >= 3
    last_id, last_payload = events[-1]
    JOBS["pdfs"](ctx, last_id, last_payload)
    assert log.read_text().splitlines() == [str(7 + waiting)]  # one start for every pending document
    for outbox_id, payload in events:  # the other events' tasks (and a redelivered one) find their PDFs
        JOBS["pdfs"](ctx, outbox_id, payload)
    assert len(log.read_text().splitlines()) == 1
    with db.session() as s:
        assert s.scalars(pending_pdf_masters()).all() == []
        masters = s.scalars(select(StoredFile).where(StoredFile.master_file_id.is_(None))).all()
        with_pdf = set(
            s.scalars(select(StoredFile.master_file_id).where(StoredFile.master_file_id.is_not(None)))
        )
        newest = {
            (m.kind, m.paper_id, m.meeting_id, m.agenda_item_id): m.id
            for m in sorted(masters, key=lambda m: m.version)
        }
    assert with_pdf == set(newest.values())  # superseded versions keep only their DOCX
    assert len(with_pdf) == waiting


def test_a_small_pdf_batch_takes_the_events_own_documents_first(
    db: Database, smtp: SmtpSink, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.fake_soffice import fake_soffice
    from workers.document_jobs import output_key
    from workers.documents import documents_for_event
    from workers.wiring import JOBS
    from workflow.models import StoredFile

    fake_soffice(tmp_path, monkeypatch)
    _invited_committee(db)
    ctx = make_context(
        db,
        worker_settings(smtp.port, pdf_enabled=True, pdf_profile_root=str(tmp_path / "lo"), pdf_batch_size=1),
    )
    events = _pdf_events(db)
    for outbox_id, payload in events:
        JOBS["documents"](ctx, outbox_id, payload)
    last_id, last_payload = events[-1]
    JOBS["pdfs"](ctx, last_id, last_payload)
    with db.session() as s:
        event_type = s.get_one(OutboxMessage, last_id).event_type
        pdfs = set(s.scalars(select(StoredFile.output_key).where(StoredFile.master_file_id.is_not(None))))
    wanted = {f"{output_key(k, i, last_id)}:pdf" for k, i in documents_for_event(event_type, last_payload)}
    assert pdfs == wanted


def test_a_pdf_task_whose_document_another_worker_has_claimed_waits_for_it_and_converts_nothing_itself(
    db: Database, smtp: SmtpSink, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import datetime as dt
    import threading

    from tests.fake_soffice import fake_soffice
    from workers.document_jobs import claim_pdf_batch, output_key, release_pdf_claims
    from workers.documents import documents_for_event, store_pdfs
    from workers.documents.generate import docx_to_pdfs
    from workers.wiring import JOBS
    from workflow.db import transaction
    from workflow.models import PdfClaim, StoredFile

    log = fake_soffice(tmp_path, monkeypatch)
    _invited_committee(db)
    ctx = make_context(
        db, worker_settings(smtp.port, pdf_enabled=True, pdf_profile_root=str(tmp_path / "lo"))
    )
    events = _pdf_events(db)
    for outbox_id, payload in events:
        JOBS["documents"](ctx, outbox_id, payload)
    last_id, last_payload = events[-1]
    with db.session() as s:
        event_type = s.get_one(OutboxMessage, last_id).event_type
        keys = [output_key(k, i, last_id) for k, i in documents_for_event(event_type, last_payload)]
        own = list(s.scalars(select(StoredFile.id).where(StoredFile.output_key.in_(keys))))
    errors: list[BaseException] = []

    def second_worker() -> None:
        try:
            JOBS["pdfs"](ctx, last_id, last_payload)
        except BaseException as error:  # reported by the assertion below
            errors.append(error)

    # The first worker claims the event's documents and converts them with no transaction open.
    with transaction(db.sessions) as first:
        batch = claim_pdf_batch(first, own=own, limit=20, now=dt.datetime.now(dt.UTC))
    assert batch is not None
    assert set(own) <= {m.id for m in batch}
    waiting = threading.Thread(target=second_worker)
    waiting.start()
    waiting.join(timeout=1.5)
    assert waiting.is_alive()  # waiting for the claim, not converting
    assert log.read_text() == ""
    converted = docx_to_pdfs([m.content for m in batch], profile_dir=tmp_path / "lo1")
    with transaction(db.sessions) as first:
        store_pdfs(first, masters=batch, converted=converted, now=berlin("2013-10-01 12:00"))
        release_pdf_claims(first, batch)
    waiting.join(timeout=30)
    assert not waiting.is_alive()
    assert errors == []
    assert len(log.read_text().splitlines()) == 1  # only the first worker started LibreOffice
    with db.session() as s:
        pdfs = s.scalars(select(StoredFile.master_file_id).where(StoredFile.master_file_id.in_(own))).all()
        assert s.scalars(select(PdfClaim)).all() == []
    assert len(pdfs) == len(own)
    assert set(pdfs) == set(own)


def test_a_claim_left_by_a_worker_that_died_is_taken_over(
    db: Database, smtp: SmtpSink, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import datetime as dt

    from tests.fake_soffice import fake_soffice
    from workers.document_jobs import PDF_CLAIM_LIFETIME, claim_pdf_batch, pending_pdf_masters
    from workers.wiring import JOBS
    from workflow.db import transaction
    from workflow.models import PdfClaim

    log = fake_soffice(tmp_path, monkeypatch)
    _invited_committee(db)
    ctx = make_context(
        db, worker_settings(smtp.port, pdf_enabled=True, pdf_profile_root=str(tmp_path / "lo"))
    )
    events = _pdf_events(db)
    for outbox_id, payload in events:
        JOBS["documents"](ctx, outbox_id, payload)
    with db.session() as s:
        pending = [m.id for m in s.scalars(pending_pdf_masters())]
    assert pending
    long_ago = dt.datetime.now(dt.UTC) - PDF_CLAIM_LIFETIME - dt.timedelta(seconds=1)
    with transaction(db.sessions) as s:
        assert claim_pdf_batch(s, own=pending, limit=20, now=long_ago) is not None
    last_id, last_payload = events[-1]
    JOBS["pdfs"](ctx, last_id, last_payload)  # would wait for ever if the dead claim held
    assert len(log.read_text().splitlines()) == 1
    with db.session() as s:
        assert s.scalars(pending_pdf_masters()).all() == []
        assert s.scalars(select(PdfClaim)).all() == []


def test_a_line_break_in_a_paper_subject_does_not_stop_the_result_mail_or_later_events(
    db: Database, smtp: SmtpSink
) -> None:
    # Subjects are pasted from Word and keep their line breaks; a mail header may not contain one.
    sc = Scenario(db.sessions)
    paper = sc.submitted_paper(subject="Bebauungsplan Nr. 12\r\n„Im Grund“")
    meeting = sc.new_meeting("magistrat", "2013-09-30 09:00")
    item = sc.schedule(paper.id, "magistrat", meeting.id)
    sc.invite(meeting.id)
    sc.attend(meeting.id)
    sc.record(item.id, Outcome.recommended, VoteInput(12, 0, 0))
    drain(make_context(db, worker_settings(smtp.port)), timeout=5)

    results = [s for s in smtp.subjects() if s.startswith("Ergebnis der Beratung")]
    assert results == [
        f"Ergebnis der Beratung: Drucksache {paper.reference} – Bebauungsplan Nr. 12 „Im Grund“"
    ]
    with db.session() as s:
        assert s.scalar(select(func.count()).where(OutboxMessage.published_at.is_(None))) == 0


def test_an_address_the_server_refuses_for_good_is_recorded_and_holds_up_nothing(
    db: Database, smtp: SmtpSink
) -> None:
    _sc, meeting_id, _ = _invited_committee(db)
    members = sorted(expected_invitees(db, meeting_id))
    unknown = members[0]
    smtp.refuse.add(unknown)  # "550 mailbox unavailable": a member's address that no longer exists
    drain(make_context(db, worker_settings(smtp.port)), timeout=5)

    invited = [m for m in smtp.messages if str(m.message["Subject"]).startswith("Einladung: Sitzung Sozial")]
    assert sorted(r for m in invited for r in m.recipients) == members[1:]  # each other member once
    with db.session() as s:
        # Every event was dealt with: the refusal keeps neither this event nor later ones waiting.
        assert s.scalar(select(func.count()).where(OutboxMessage.published_at.is_(None))) == 0
        row = s.scalars(
            select(MailDelivery).where(
                MailDelivery.recipient == unknown, MailDelivery.dedupe_key.startswith("invitation:")
            )
        ).one()
    assert row.state == "rejected"
    assert row.attempts == 1
    assert "550" in (row.last_error or "")


def test_whether_a_member_is_invited_depends_on_the_meetings_day_in_berlin_not_in_utc(
    db: Database, smtp: SmtpSink
) -> None:
    from workflow.models import Body, Membership, Person

    sc = Scenario(db.sessions)
    meeting = sc.new_meeting("magistrat", "2013-10-28 00:30")  # 27 October 23:30 UTC
    with db.sessions.begin() as s:
        row = s.scalars(
            select(Membership)
            .join(Person, Person.id == Membership.person_id)
            .join(Body, Body.id == Membership.body_id)
            .where(Person.key == "herget", Body.key == "magistrat")
        ).one()
        row.end_date = dt.date(2013, 10, 27)  # left the Magistrat the day before the meeting
        leaver = s.get_one(Person, row.person_id).email
    sc.invite(meeting.id)
    drain(make_context(db, worker_settings(smtp.port)), timeout=5)
    invited = {
        r for m in smtp.messages if str(m.message["Subject"]).startswith("Einladung") for r in m.recipients
    }
    assert invited  # the others are invited
    assert leaver not in invited


def test_a_refusal_for_the_installations_settings_is_retried_and_delivered_once_fixed(
    db: Database, smtp: SmtpSink
) -> None:
    # "Relay access denied" (5.7.x) is about the installation (no login configured), not the address:
    # it must not be dropped like an unknown mailbox, but go out once the setting is fixed.
    _sc, meeting_id, _ = _invited_committee(db)
    members = sorted(expected_invitees(db, meeting_id))
    smtp.refuse.add(members[0])
    smtp.refusal = "554 5.7.1 Relay access denied"
    ctx = make_context(db, worker_settings(smtp.port))
    drain(ctx, timeout=2)
    with db.session() as s:
        state = s.scalars(
            select(MailDelivery.state).where(
                MailDelivery.recipient == members[0], MailDelivery.dedupe_key.startswith("invitation:")
            )
        ).one()
    assert state == "failed"
    smtp.refuse.clear()
    ctx.extra.clear()  # the in-process worker's backoff: try at once
    drain(ctx, timeout=10)
    invited = [m for m in smtp.messages if str(m.message["Subject"]).startswith("Einladung: Sitzung Sozial")]
    assert sorted(r for m in invited for r in m.recipients) == members  # each once, the refused one too
