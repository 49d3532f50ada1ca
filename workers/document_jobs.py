"""The document jobs: the Word documents an outbox event calls for, their PDFs, and the resolution extract
attached to the department's result mail. Rendering is ``workers.documents`` (built by the documents
side); here only which document, under which deterministic key, in which transaction."""

from __future__ import annotations

import os
import threading
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from sqlalchemy import Select, and_, exists, or_, select
from sqlalchemy.orm import Session, aliased

from workers.context import Context
from workers.documents import (
    DocumentKind,
    PdfConversionError,
    documents_for_event,
    generate_document,
    generate_pdfs,
)
from workers.mail import Attachment
from workflow.db import transaction
from workflow.models import StoredFile


def output_key(kind: DocumentKind, subject_id: int, outbox_id: int) -> str:
    """Deterministic: the same event renders the same document under the same key, however often it runs."""
    return f"{kind.value}:{subject_id}:outbox:{outbox_id}"


def _event_type(ctx: Context, outbox_id: int) -> str:
    from workflow.models import OutboxMessage

    with ctx.sessions() as session:
        return session.get_one(OutboxMessage, outbox_id).event_type


def documents(ctx: Context, outbox_id: int, payload: Mapping[str, Any]) -> None:
    """Render and store each DOCX the event calls for (one transaction each: one failure keeps the rest)."""
    for kind, subject_id in documents_for_event(_event_type(ctx, outbox_id), payload):
        with transaction(ctx.sessions) as session:
            generate_document(
                session,
                kind=kind,
                subject_id=subject_id,
                output_key=output_key(kind, subject_id, outbox_id),
                now=ctx.clock(),
            )


def profile_dir(ctx: Context) -> Path:
    """LibreOffice hands a conversion to a running instance with the same profile and exits before the PDF
    exists: one profile per worker process (and per thread, for the threads pool)."""
    name = f"worker-{os.getpid()}-{threading.get_native_id()}"
    return Path(ctx.settings.pdf_profile_root).resolve() / name


def pdfs(ctx: Context, outbox_id: int, payload: Mapping[str, Any]) -> None:
    """The PDF of each of the event's documents, with this worker process's own LibreOffice profile —
    converted in one LibreOffice call together with other pending documents (``pdf_batch_size``).

    A separate task, so the Word documents are there without waiting for LibreOffice; it renders the DOCX
    itself if the documents task has not yet (same key, so the same row), and commits it before converting.
    LibreOffice's start-up takes seconds, a document a fraction of one: so each task also takes masters of
    other events still without a PDF (their own tasks then find the PDF made and have nothing to do).
    Raises when one of the event's own documents gave no PDF (the task is retried); another event's
    failure is left to that event's task."""
    profile = ctx.profile_dir or profile_dir(ctx)
    own: list[int] = []
    for kind, subject_id in documents_for_event(_event_type(ctx, outbox_id), payload):
        with transaction(ctx.sessions) as session:
            master = generate_document(
                session,
                kind=kind,
                subject_id=subject_id,
                output_key=output_key(kind, subject_id, outbox_id),
                now=ctx.clock(),
            )
            own.append(master.id)
    if not own:
        return
    with transaction(ctx.sessions) as session:
        batch = claim_pdf_batch(session, own=own, limit=ctx.settings.pdf_batch_size)
        results = generate_pdfs(session, masters=batch, now=ctx.clock(), profile_dir=profile)
        failed = [
            error
            for master, error in zip(batch, results or (), strict=False)
            if master.id in own and isinstance(error, PdfConversionError)
        ]
    if failed:
        raise failed[0]


def pending_pdf_masters() -> Select[StoredFile]:
    """DOCX masters without a PDF whose version is the newest of their document.

    LibreOffice takes a while per document: a version that was superseded before its PDF was made keeps
    only its DOCX (the minutes, re-rendered after every result of a meeting, would otherwise be converted
    once per result)."""
    pdf = aliased(StoredFile)
    newer = aliased(StoredFile)
    return select(StoredFile).where(
        StoredFile.master_file_id.is_(None),
        StoredFile.kind.in_([kind.value for kind in DocumentKind]),
        ~exists().where(pdf.master_file_id == StoredFile.id),
        ~exists().where(
            newer.kind == StoredFile.kind,
            # The same document is the same kind of the same subject, as generate_document numbers
            # versions (plain equalities, so PostgreSQL can use the subject columns' indexes).
            or_(
                and_(StoredFile.kind == DocumentKind.VORLAGE.value, newer.paper_id == StoredFile.paper_id),
                and_(
                    StoredFile.kind.in_([DocumentKind.INVITATION.value, DocumentKind.MINUTES.value]),
                    newer.meeting_id == StoredFile.meeting_id,
                ),
                and_(
                    StoredFile.kind == DocumentKind.RESOLUTION_EXTRACT.value,
                    newer.agenda_item_id == StoredFile.agenda_item_id,
                ),
            ),
            newer.master_file_id.is_(None),
            newer.version > StoredFile.version,
        ),
    )


def claim_pdf_batch(session: Session, *, own: Sequence[int], limit: int) -> list[StoredFile]:
    """Claim the masters to convert in one LibreOffice call, until the caller's transaction ends: the given
    ones (waiting for a worker that has claimed one of them; in id order, so two never wait for each
    other), then up to ``limit`` in all of the oldest other pending ones that no other worker has claimed
    (``FOR NO KEY UPDATE SKIP LOCKED`` on PostgreSQL: it still lets PDF rows referring to them be inserted;
    SQLite has one writer at a time and the unique output_key keeps a PDF once).

    Superseded versions and masters that have their PDF already are not returned."""
    mine = list(
        session.scalars(
            pending_pdf_masters()
            .where(StoredFile.id.in_(own))
            .order_by(StoredFile.id)
            .with_for_update(key_share=True)
        )
    )
    room = limit - len(mine)
    if room <= 0:
        return mine
    others = session.scalars(
        pending_pdf_masters()
        .where(StoredFile.id.not_in(own))
        .order_by(StoredFile.id)
        .limit(room)
        .with_for_update(key_share=True, skip_locked=True)
    )
    return [*mine, *others]


def resolution_extract(ctx: Context, outbox_id: int, item_id: int) -> list[Attachment]:
    """The resolution extract of the item for this event (the same row the documents job stores), and its
    PDF when LibreOffice made one already."""
    key = output_key(DocumentKind.RESOLUTION_EXTRACT, item_id, outbox_id)
    with transaction(ctx.sessions) as session:
        master = generate_document(
            session, kind=DocumentKind.RESOLUTION_EXTRACT, subject_id=item_id, output_key=key, now=ctx.clock()
        )
        files = [master]
        pdf = session.scalars(select(StoredFile).where(StoredFile.output_key == f"{key}:pdf")).one_or_none()
        if pdf is not None:
            files.append(pdf)
        return [Attachment(f.file_name, f.media_type, f.content) for f in files]
