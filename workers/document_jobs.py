"""The document jobs: the Word documents an outbox event calls for, their PDFs, and the resolution extract
attached to the department's result mail. Rendering is ``workers.documents`` (built by the documents
side); here only which document, under which deterministic key, in which transaction.

No job renders or converts inside a transaction: on the embedded default a write transaction holds SQLite's
one write lock, and every click and API write would wait for LibreOffice. A job reads in a short
transaction, works with none open, and writes its result in a second short one (``make_document``; for the
PDFs a claim row keeps other workers off the masters being converted)."""

from __future__ import annotations

import datetime as dt
import os
import threading
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from sqlalchemy import Select, and_, delete, exists, or_, select
from sqlalchemy.orm import Session, aliased

from workers.context import Context
from workers.documents import (
    DocumentKind,
    PdfConversionError,
    documents_for_event,
    make_document,
    store_pdfs,
)
from workers.documents.generate import PDF_TIMEOUT_SECONDS, docx_to_pdfs, soffice_path
from workers.mail import Attachment
from workflow.db import transaction
from workflow.models import PdfClaim, StoredFile

# A claim older than this belongs to a worker that died while converting: another worker takes the master.
# Long enough for a batch and each of its documents again alone (docx_to_pdfs), at the usual batch sizes.
PDF_CLAIM_LIFETIME = dt.timedelta(seconds=PDF_TIMEOUT_SECONDS * 8)
CLAIM_POLL_SECONDS = 0.5


def output_key(kind: DocumentKind, subject_id: int, outbox_id: int) -> str:
    """Deterministic: the same event renders the same document under the same key, however often it runs."""
    return f"{kind.value}:{subject_id}:outbox:{outbox_id}"


def _event_type(ctx: Context, outbox_id: int) -> str:
    from workflow.models import OutboxMessage

    with ctx.sessions() as session:
        return session.get_one(OutboxMessage, outbox_id).event_type


def documents(ctx: Context, outbox_id: int, payload: Mapping[str, Any]) -> None:
    """Render and store each DOCX the event calls for (each on its own: one failure keeps the rest)."""
    for kind, subject_id in documents_for_event(_event_type(ctx, outbox_id), payload):
        make_document(
            ctx.sessions,
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
    itself if the documents task has not yet (same key, so the same row). LibreOffice's start-up takes
    seconds, a document a fraction of one: so each task also takes masters of other events still without a
    PDF (their own tasks then find the PDF made and have nothing to do). The masters are claimed in one
    short transaction, converted with none open, and their PDFs stored (and the claims dropped) in another.
    Raises when one of the event's own documents gave no PDF (the task is retried); another event's
    failure is left to that event's task."""
    profile = ctx.profile_dir or profile_dir(ctx)
    own = [
        make_document(
            ctx.sessions,
            kind=kind,
            subject_id=subject_id,
            output_key=output_key(kind, subject_id, outbox_id),
            now=ctx.clock(),
        ).id
        for kind, subject_id in documents_for_event(_event_type(ctx, outbox_id), payload)
    ]
    soffice = soffice_path()
    if not own or soffice is None:
        return
    batch = claim_pdf_batch_waiting(ctx, own=own)
    if not batch:
        return
    try:
        converted = docx_to_pdfs([master.content for master in batch], profile_dir=profile, soffice=soffice)
    except BaseException:
        with transaction(ctx.sessions) as session:
            release_pdf_claims(session, batch)
        raise
    with transaction(ctx.sessions) as session:
        results = store_pdfs(session, masters=batch, converted=converted, now=ctx.clock())
        release_pdf_claims(session, batch)
    failed = [
        error
        for master, error in zip(batch, results, strict=True)
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


def claim_pdf_batch(
    session: Session, *, own: Sequence[int], limit: int, now: dt.datetime
) -> list[StoredFile] | None:
    """Claim the masters to convert in one LibreOffice call (a ``pdf_claim`` row each, committed with the
    caller's transaction): the given ones, then up to ``limit`` in all of the oldest other pending ones
    that no other worker has claimed. None when another worker's claim holds one of the given ones (it is
    converting it now: wait, then look again).

    Claiming is serialised by locking the masters' rows for the claiming transaction only (``FOR NO KEY
    UPDATE``, ``SKIP LOCKED`` for the others, on PostgreSQL; in id order, so two never wait for each
    other; SQLite has one writer at a time). A claim older than ``PDF_CLAIM_LIFETIME`` is taken over.
    Superseded versions and masters that have their PDF already are not returned."""
    fresh = exists().where(
        PdfClaim.master_file_id == StoredFile.id, PdfClaim.claimed_at > now - PDF_CLAIM_LIFETIME
    )
    mine = list(
        session.scalars(
            pending_pdf_masters()
            .where(StoredFile.id.in_(own))
            .order_by(StoredFile.id)
            .with_for_update(key_share=True)
        )
    )
    if mine and session.scalar(select(StoredFile.id).where(StoredFile.id.in_([m.id for m in mine]), fresh)):
        return None
    room = limit - len(mine)
    others: list[StoredFile] = []
    if room > 0:
        others = list(
            session.scalars(
                pending_pdf_masters()
                .where(StoredFile.id.not_in(own), ~fresh)
                .order_by(StoredFile.id)
                .limit(room)
                .with_for_update(key_share=True, skip_locked=True)
            )
        )
    batch = [*mine, *others]
    release_pdf_claims(session, batch)  # the claims of dead workers
    session.add_all(PdfClaim(master_file_id=master.id, claimed_at=now) for master in batch)
    return batch


def claim_pdf_batch_waiting(ctx: Context, *, own: Sequence[int]) -> list[StoredFile]:
    """``claim_pdf_batch`` in its own short transactions, looking again every ``CLAIM_POLL_SECONDS`` while
    another worker converts one of ``own`` (its PDF is then usually there, and only others are left)."""
    while True:
        with transaction(ctx.sessions) as session:
            batch = claim_pdf_batch(
                session, own=own, limit=ctx.settings.pdf_batch_size, now=dt.datetime.now(dt.UTC)
            )
        if batch is not None:
            return batch
        time.sleep(CLAIM_POLL_SECONDS)


def release_pdf_claims(session: Session, masters: Sequence[StoredFile]) -> None:
    session.execute(delete(PdfClaim).where(PdfClaim.master_file_id.in_([m.id for m in masters])))


def drop_earlier_pdf_claims(ctx: Context, before: dt.datetime) -> None:
    """The in-process worker's start: the embedded default has one worker, so a claim taken before it
    started belongs to a worker that died mid-conversion (its tasks would otherwise wait for the claim's
    lifetime). Where several processes each run one, the worst is a document converted twice (its PDF is
    stored once)."""
    with transaction(ctx.sessions) as session:
        session.execute(delete(PdfClaim).where(PdfClaim.claimed_at < before))


def resolution_extract(ctx: Context, outbox_id: int, item_id: int) -> list[Attachment]:
    """The resolution extract of the item for this event (the same row the documents job stores), and its
    PDF when LibreOffice made one already."""
    key = output_key(DocumentKind.RESOLUTION_EXTRACT, item_id, outbox_id)
    master = make_document(
        ctx.sessions,
        kind=DocumentKind.RESOLUTION_EXTRACT,
        subject_id=item_id,
        output_key=key,
        now=ctx.clock(),
    )
    files = [master]
    with ctx.sessions() as session:
        pdf = session.scalars(select(StoredFile).where(StoredFile.output_key == f"{key}:pdf")).one_or_none()
    if pdf is not None:
        files.append(pdf)
    return [Attachment(f.file_name, f.media_type, f.content) for f in files]
