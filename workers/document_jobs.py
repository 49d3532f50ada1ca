"""The document jobs: the Word documents an outbox event calls for, their PDFs, and the resolution extract
attached to the department's result mail. Rendering is ``workers.documents`` (built by the documents
side); here only which document, under which deterministic key, in which transaction."""

from __future__ import annotations

import os
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from workers import jobs
from workers.documents import DocumentKind, documents_for_event, generate_document, generate_pdf
from workers.jobs import Context
from workers.mail import Attachment
from workflow.db import transaction
from workflow.models import StoredFile


def output_key(kind: DocumentKind, subject_id: int, outbox_id: int) -> str:
    """Deterministic: the same event renders the same document under the same key, however often it runs."""
    return f"{kind.value}:{subject_id}:outbox:{outbox_id}"


def _wanted(event_type: str, payload: Mapping[str, Any]) -> list[str]:
    return ["documents"] if documents_for_event(event_type, payload) else []


def _event_type(ctx: Context, outbox_id: int) -> str:
    from workflow.models import OutboxMessage

    with ctx.sessions() as session:
        return session.get_one(OutboxMessage, outbox_id).event_type


@jobs.job("documents")
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


@jobs.job("pdfs")
def pdfs(ctx: Context, outbox_id: int, payload: Mapping[str, Any]) -> None:
    """The PDF of each of the event's documents, with this worker process's own LibreOffice profile.

    A separate task, so the Word documents are there without waiting for LibreOffice; it renders the DOCX
    itself if the documents task has not yet (same key, so the same row)."""
    profile = ctx.profile_dir or profile_dir(ctx)
    for kind, subject_id in documents_for_event(_event_type(ctx, outbox_id), payload):
        with transaction(ctx.sessions) as session:
            master = generate_document(
                session,
                kind=kind,
                subject_id=subject_id,
                output_key=output_key(kind, subject_id, outbox_id),
                now=ctx.clock(),
            )
        with transaction(ctx.sessions) as session:
            current = session.get_one(StoredFile, master.id)
            if _superseded(session, current):
                continue  # a newer version of this document exists already; its own job makes its PDF
            generate_pdf(session, master=current, now=ctx.clock(), profile_dir=profile)


def _superseded(session: Session, master: StoredFile) -> bool:
    """Whether a newer version of the same document (kind and subject) is stored already.

    LibreOffice takes seconds per document: a version that was superseded before its PDF was made keeps
    only its DOCX (the minutes, re-rendered after every result of a meeting, would otherwise be converted
    once per result)."""

    def same(column: Any, value: int | None) -> Any:
        return column.is_(None) if value is None else column == value

    newer = session.scalar(
        select(StoredFile.id)
        .where(
            StoredFile.kind == master.kind,
            same(StoredFile.paper_id, master.paper_id),
            same(StoredFile.meeting_id, master.meeting_id),
            same(StoredFile.agenda_item_id, master.agenda_item_id),
            StoredFile.master_file_id.is_(None),
            StoredFile.version > master.version,
        )
        .limit(1)
    )
    return newer is not None


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


def _wanted_pdfs(event_type: str, payload: Mapping[str, Any]) -> list[str]:
    return ["pdfs"] if documents_for_event(event_type, payload) else []


jobs.DYNAMIC.append(_wanted)
jobs.DYNAMIC.append(_wanted_pdfs)
jobs.RESULT_ATTACHMENTS.append(resolution_extract)
