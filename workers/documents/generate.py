"""Generate a document for a subject, store it as a StoredFile, and make its PDF derivative.

Both functions are idempotent on ``output_key`` (a redelivered task finds its earlier output) and never
commit: the caller's transaction does.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import enum
import hashlib
import json
import os
import re
import shutil
import signal
import subprocess
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import event, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from workers.documents import contexts
from workers.documents.render import render
from workflow.db import transaction
from workflow.errors import NotFound
from workflow.models import AgendaItem, Meeting, Paper, StoredFile
from workflow.publication import DRAFT_STATES
from workflow.rules import BERLIN
from workflow.vocabulary import (
    DOCUMENT_KIND_LABELS,
    DOCX_MEDIA_TYPE,
    PAPER_KIND_LABELS,
    PDF_MEDIA_TYPE,
    MeetingState,
    PaperKind,
    PaperState,
)

TEMPLATES_ENV = "GREMIENLAUF_TEMPLATES_DIR"
PDF_TIMEOUT_SECONDS = 120
PDF_KEY_SUFFIX = ":pdf"
# LibreOffice's PDF export (JSON filter options, LibreOffice 7.4 and later): tagged PDF declaring PDF/UA-1,
# the window showing the document's title rather than the file name. Title and language come from the
# Word document (render.py sets both).
PDF_EXPORT_OPTIONS = {
    "UseTaggedPDF": True,
    "PDFUACompliance": True,
    "DisplayPDFDocumentTitle": True,
}
PDF_FILTER = "pdf:writer_pdf_Export:" + json.dumps(
    {name: {"type": "boolean", "value": str(value).lower()} for name, value in PDF_EXPORT_OPTIONS.items()},
    separators=(",", ":"),
)
MAX_OUTPUT_KEY = 200 - len(PDF_KEY_SUFFIX)


class DocumentKind(enum.StrEnum):
    VORLAGE = "vorlage"  # subject: paper id
    INVITATION = "invitation"  # subject: meeting id
    MINUTES = "minutes"  # subject: meeting id
    RESOLUTION_EXTRACT = "resolution_extract"  # subject: agenda item id


TEMPLATE_FILES: dict[DocumentKind, str] = {
    DocumentKind.VORLAGE: "beschlussvorlage.docx",
    DocumentKind.INVITATION: "einladung.docx",
    DocumentKind.MINUTES: "niederschrift.docx",
    DocumentKind.RESOLUTION_EXTRACT: "beschlussauszug.docx",
}


def templates_dir() -> Path:
    """Where the Word templates are: ``GREMIENLAUF_TEMPLATES_DIR``, else ``templates_docx/`` of the source
    tree, else (an installed package, e.g. in the container image) ``templates_docx/`` of the working
    directory."""
    configured = os.environ.get(TEMPLATES_ENV)
    if configured:
        return Path(configured)
    source_tree = Path(__file__).resolve().parents[2] / "templates_docx"
    return source_tree if source_tree.is_dir() else Path.cwd() / "templates_docx"


def template_path(kind: DocumentKind) -> Path:
    return templates_dir() / TEMPLATE_FILES[kind]


# ------------------------------------------------------------------------------------------ the subject


@dataclass(frozen=True)
class Subject:
    """What a document is about, as the stored_file row records it."""

    municipality_id: int
    paper_id: int | None
    meeting_id: int | None
    agenda_item_id: int | None
    public: bool
    name: str  # German, e.g. "Beschlussvorlage 1562/13"
    draft: bool = False  # a Vorlage rendered while its paper is a draft


def _day(moment: dt.datetime) -> str:
    return f"{moment.astimezone(BERLIN):%d.%m.%Y}"


def _bodies(meeting: Meeting) -> str:
    return ", ".join(b.name for b in meeting.bodies)


def _all_public(meeting: Meeting) -> bool:
    # An agenda with a non-public item is not published as a whole (its titles may be confidential).
    return all(item.public for item in meeting.agenda_items)


def _subject(session: Session, kind: DocumentKind, subject_id: int) -> Subject:
    if kind is DocumentKind.VORLAGE:
        paper = session.get(Paper, subject_id)
        if paper is None:
            raise NotFound(f"paper {subject_id} not found", entity="paper", id=subject_id)
        label = PAPER_KIND_LABELS[PaperKind(paper.kind)]
        in_draft = PaperState(paper.state) in DRAFT_STATES
        return Subject(
            paper.municipality_id,
            paper.id,
            None,
            None,
            paper.public and not in_draft,
            f"{label} {paper.reference}" if paper.reference else f"{label} (Entwurf {paper.id})",
            draft=in_draft,
        )
    if kind in (DocumentKind.INVITATION, DocumentKind.MINUTES):
        meeting = session.get(Meeting, subject_id)
        if meeting is None:
            raise NotFound(f"meeting {subject_id} not found", entity="meeting", id=subject_id)
        what = DOCUMENT_KIND_LABELS[kind.value]
        public = _all_public(meeting)
        if kind is DocumentKind.INVITATION:
            public = public and meeting.invitation_sent_at is not None
        else:
            # Minutes are published once approved; the draft is internal.
            public = public and MeetingState(meeting.state) is MeetingState.minutes_approved
        return Subject(
            meeting.municipality_id,
            None,
            meeting.id,
            None,
            public,
            f"{what} {_bodies(meeting)} {_day(meeting.start)}",
        )
    item = session.get(AgendaItem, subject_id)
    if item is None:
        raise NotFound(f"agenda item {subject_id} not found", entity="agenda item", id=subject_id)
    paper = item.consultation.paper if item.consultation is not None else None
    reference = f" {paper.reference}" if paper is not None and paper.reference else ""
    return Subject(
        item.meeting.municipality_id,
        paper.id if paper is not None else None,
        item.meeting_id,
        item.id,
        item.public and (paper is None or paper.public),
        f"{DOCUMENT_KIND_LABELS[kind.value]}{reference} {_bodies(item.meeting)} {_day(item.meeting.start)} TOP {item.number}",
    )


def file_name(name: str, extension: str) -> str:
    """A file name every system accepts: no slashes, colons or other reserved characters."""
    safe = re.sub(r'[\\/:*?"<>|\x00-\x1f]+', "-", name).strip(" .-") or "Dokument"
    return f"{safe[:200]}.{extension}"


def _context(session: Session, kind: DocumentKind, subject_id: int, now: dt.datetime) -> Any:
    builders: dict[DocumentKind, Callable[[], Any]] = {
        DocumentKind.VORLAGE: lambda: contexts.vorlage_context(session, subject_id),
        DocumentKind.INVITATION: lambda: contexts.invitation_context(session, subject_id, now),
        DocumentKind.MINUTES: lambda: contexts.minutes_context(session, subject_id),
        DocumentKind.RESOLUTION_EXTRACT: lambda: contexts.extract_context(session, subject_id, now),
    }
    return builders[kind]()


def _by_key(session: Session, output_key: str) -> StoredFile | None:
    return session.scalars(select(StoredFile).where(StoredFile.output_key == output_key)).one_or_none()


def _subject_column(kind: DocumentKind) -> Any:
    return {
        DocumentKind.VORLAGE: StoredFile.paper_id,
        DocumentKind.INVITATION: StoredFile.meeting_id,
        DocumentKind.MINUTES: StoredFile.meeting_id,
        DocumentKind.RESOLUTION_EXTRACT: StoredFile.agenda_item_id,
    }[kind]


def _lock_subject(session: Session, kind: DocumentKind, subject_id: int) -> None:
    """Serialise version numbers per subject: two workers rendering the same paper take turns here."""
    model: Any = {
        DocumentKind.VORLAGE: Paper,
        DocumentKind.INVITATION: Meeting,
        DocumentKind.MINUTES: Meeting,
        DocumentKind.RESOLUTION_EXTRACT: AgendaItem,
    }[kind]
    session.execute(select(model.id).where(model.id == subject_id).with_for_update())


_UNCOMMITTED = "gremienlauf.documents.uncommitted_masters"


def _remember_uncommitted(session: Session, row: StoredFile) -> None:
    """Note a master stored in the session's open transaction (forgotten at its commit or rollback), so
    that generate_pdf can refuse to convert it while the subject row is still locked."""
    ids: set[int] | None = session.info.get(_UNCOMMITTED)
    if ids is None:
        ids = session.info[_UNCOMMITTED] = set()

        def forget(finished: Session) -> None:
            finished.info[_UNCOMMITTED].clear()

        event.listen(session, "after_commit", forget)
        event.listen(session, "after_rollback", forget)
    ids.add(row.id)


def _insert(session: Session, row: StoredFile) -> StoredFile:
    """Add the row; if another worker stored the same output_key first, return theirs instead."""
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError:
        existing = _by_key(session, row.output_key)
        if existing is None:
            raise
        return existing
    return row


def generate_document(
    session: Session, *, kind: DocumentKind, subject_id: int, output_key: str, now: dt.datetime
) -> StoredFile:
    """Render the DOCX for the subject from the database and store it as a StoredFile under output_key.

    Idempotent: if a row with output_key exists, it is returned unchanged. Assigns the next version per
    subject and kind, sha256, size, media type, a German file name and name, and ``public`` from the subject.
    Never commits.

    It locks the subject's row (paper, meeting or agenda item; SELECT … FOR UPDATE on PostgreSQL) until the
    caller's transaction ends, and renders inside that transaction: the jobs use ``make_document``, which
    renders with no transaction open. Commit before making the PDF (``generate_pdf`` refuses a master that
    is not committed yet, so a conversion of up to two minutes never holds the paper locked).
    """
    kind = DocumentKind(kind)
    existing = _lock_for_version(session, kind, subject_id, output_key)
    if existing is not None:
        return existing
    subject = _subject(session, kind, subject_id)
    content = render(template_path(kind), _context(session, kind, subject_id, now), title=subject.name)
    return _store(session, kind, subject_id, output_key, subject, content, now)


def make_document(
    sessions: sessionmaker[Session],
    *,
    kind: DocumentKind,
    subject_id: int,
    output_key: str,
    now: dt.datetime,
    attempts: int = 3,
) -> StoredFile:
    """``generate_document`` in its own transactions, rendering with none open: what the subject's document
    needs is read in a read transaction (on SQLite a plain BEGIN, which no writer waits for), rendered, and
    stored in a short write transaction that locks the subject, reads the same again and stores only when
    nothing changed meanwhile (a result recorded while the minutes were rendered); otherwise it renders
    again, and after ``attempts`` renders under the lock as ``generate_document`` does.

    Idempotent on ``output_key``; commits. The row returned is detached (its columns loaded)."""
    kind = DocumentKind(kind)
    for _ in range(attempts):
        with sessions() as session:
            existing = _by_key(session, output_key)
            if existing is not None:
                return existing
            subject = _subject(session, kind, subject_id)
            context = _context(session, kind, subject_id, now)
        content = render(template_path(kind), context, title=subject.name)
        with transaction(sessions) as session:
            existing = _lock_for_version(session, kind, subject_id, output_key)
            if existing is not None:
                return existing
            if (_subject(session, kind, subject_id), _context(session, kind, subject_id, now)) == (
                subject,
                context,
            ):
                return _store(session, kind, subject_id, output_key, subject, content, now)
    with transaction(sessions) as session:
        return generate_document(session, kind=kind, subject_id=subject_id, output_key=output_key, now=now)


def _lock_for_version(
    session: Session, kind: DocumentKind, subject_id: int, output_key: str
) -> StoredFile | None:
    """Lock the subject and make the session read it afresh; the row under output_key if there is one."""
    if not 0 < len(output_key) <= MAX_OUTPUT_KEY:
        # stored_file.output_key holds 200 characters, and the PDF's key adds ":pdf".
        raise ValueError(f"output_key must have 1 to {MAX_OUTPUT_KEY} characters, not {len(output_key)}")
    existing = _by_key(session, output_key)
    if existing is not None:
        return existing
    # Lock first, then read: a worker that read the subject before another's commit would otherwise store
    # the next version with the older content. Whoever held the lock may have stored this very key.
    session.flush()
    _lock_subject(session, kind, subject_id)
    # What this session loaded before the lock may be older than what the lock holder committed: read the
    # domain rows again (stored files never change, and the caller may still hold ones returned earlier).
    for loaded in list(session.identity_map.values()):
        if not isinstance(loaded, StoredFile):
            session.expire(loaded)
    return _by_key(session, output_key)


def _store(
    session: Session,
    kind: DocumentKind,
    subject_id: int,
    output_key: str,
    subject: Subject,
    content: bytes,
    now: dt.datetime,
) -> StoredFile:
    """Store the rendered content as the subject's next version (the subject is locked by the caller)."""
    latest = session.scalar(
        select(func.max(StoredFile.version)).where(
            StoredFile.kind == kind.value,
            _subject_column(kind) == subject_id,
            StoredFile.master_file_id.is_(None),
        )
    )
    row = StoredFile(
        municipality_id=subject.municipality_id,
        kind=kind.value,
        paper_id=subject.paper_id,
        meeting_id=subject.meeting_id,
        agenda_item_id=subject.agenda_item_id,
        version=(latest or 0) + 1,
        output_key=output_key,
        name=subject.name,
        file_name=file_name(subject.name, "docx"),
        media_type=DOCX_MEDIA_TYPE,
        size_bytes=len(content),
        sha256=hashlib.sha256(content).hexdigest(),
        content=content,
        master_file_id=None,
        public=subject.public,
        draft=subject.draft,
        created_at=now,
        modified_at=now,
    )
    stored = _insert(session, row)
    if stored is row:
        _remember_uncommitted(session, stored)
    return stored


@dataclass(frozen=True)
class Preview:
    """A document rendered on request and not stored: no version, no file row, nothing published."""

    name: str
    file_name: str
    media_type: str
    content: bytes


def preview_document(session: Session, *, kind: DocumentKind, subject_id: int, now: dt.datetime) -> Preview:
    """Render the DOCX for the subject as it stands now, without storing it (e.g. the Word preview of a
    draft Vorlage). Reads only; takes no lock."""
    kind = DocumentKind(kind)
    subject = _subject(session, kind, subject_id)
    content = render(template_path(kind), _context(session, kind, subject_id, now))
    name = f"Vorschau {subject.name}"
    return Preview(name, file_name(name, "docx"), DOCX_MEDIA_TYPE, content)


# ------------------------------------------------------------------------------------------------- PDF


class UncommittedMasterError(RuntimeError):
    """generate_pdf was given a master that is not committed yet (its subject is still locked)."""


class PdfConversionError(RuntimeError):
    """LibreOffice ran but gave no PDF (it may exit 0 without writing one)."""


def soffice_path() -> str | None:
    return shutil.which("soffice") or shutil.which("libreoffice")


def _kill_group(process: subprocess.Popen[bytes]) -> None:
    """Kill the process and everything it started (its process group), and reap it."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.communicate()


def _convert(
    contents: Sequence[bytes], *, profile_dir: Path, soffice: str, timeout: float
) -> tuple[list[bytes | None], int | None, str]:
    """One soffice call for all contents: each one's PDF, or None where LibreOffice wrote none; the exit
    code and the start of stderr. Raises PdfConversionError on a timeout (after killing the process
    group)."""
    profile_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="gremienlauf-pdf-") as work:
        sources = [Path(work) / f"dokument-{n}.docx" for n in range(len(contents))]
        for source, content in zip(sources, contents, strict=True):
            source.write_bytes(content)
        command = [
            soffice,
            f"-env:UserInstallation={profile_dir.resolve().as_uri()}",
            "--headless",
            "--norestore",
            "--convert-to",
            PDF_FILTER,
            "--outdir",
            work,
            *(str(source) for source in sources),
        ]
        # Its own session and process group: the soffice wrapper starts soffice.bin as a child, and on a
        # timeout the whole group must go, not only the wrapper.
        process = subprocess.Popen(
            command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True
        )
        try:
            _, stderr = process.communicate(timeout=timeout)
        except subprocess.TimeoutExpired as exc:
            _kill_group(process)
            raise PdfConversionError(f"LibreOffice took longer than {timeout} s") from exc
        except BaseException:
            _kill_group(process)
            raise
        results: list[bytes | None] = []
        for source in sources:
            target = source.with_suffix(".pdf")
            exists = target.exists() and target.stat().st_size > 0
            results.append(target.read_bytes() if exists else None)
        return results, process.returncode, stderr.decode(errors="replace").strip()[:500]


def docx_to_pdf(
    content: bytes,
    *,
    profile_dir: Path,
    soffice: str | None = None,
    timeout: float = PDF_TIMEOUT_SECONDS,
) -> bytes:
    """Convert DOCX bytes to PDF with LibreOffice headless, using its own user profile in ``profile_dir``.

    One profile per worker: with a shared profile, a second soffice hands its job to the running instance
    and exits 0 before the PDF exists.
    """
    soffice = soffice or soffice_path()
    if soffice is None:
        raise PdfConversionError("LibreOffice (soffice) is not installed")
    [result], code, stderr = _convert([content], profile_dir=profile_dir, soffice=soffice, timeout=timeout)
    if code != 0 or result is None:
        raise PdfConversionError(f"LibreOffice gave no PDF (exit code {code}): {stderr}")
    return result


def docx_to_pdfs(
    contents: Sequence[bytes],
    *,
    profile_dir: Path,
    soffice: str | None = None,
    timeout: float = PDF_TIMEOUT_SECONDS,
) -> list[bytes | PdfConversionError]:
    """Convert several DOCX documents with ONE LibreOffice start (its start-up takes seconds, a document
    a fraction of one), with the profile in ``profile_dir``.

    Each document's PDF, or the error for it: a document that gave no PDF in the batch (or a batch that
    failed as a whole, e.g. by its timeout) is converted again alone, so one bad document never sinks the
    others.
    """
    soffice = soffice or soffice_path()
    if soffice is None:
        raise PdfConversionError("LibreOffice (soffice) is not installed")
    if not contents:
        return []
    batch: list[bytes | None]
    if len(contents) == 1:
        batch = [None]
    else:
        try:
            batch, _, _ = _convert(contents, profile_dir=profile_dir, soffice=soffice, timeout=timeout)
        except PdfConversionError:
            batch = [None] * len(contents)
    results: list[bytes | PdfConversionError] = []
    for content, converted in zip(contents, batch, strict=True):
        if converted is not None:
            results.append(converted)
            continue
        try:
            results.append(docx_to_pdf(content, profile_dir=profile_dir, soffice=soffice, timeout=timeout))
        except PdfConversionError as error:
            results.append(error)
    return results


def generate_pdf(
    session: Session, *, master: StoredFile, now: dt.datetime, profile_dir: Path
) -> StoredFile | None:
    """The PDF derivative of a DOCX master via LibreOffice headless; output_key = master's + ":pdf".

    Idempotent; None when soffice is not installed. Never commits. Raises PdfConversionError when
    LibreOffice gives no PDF.

    The master must be committed: ``generate_document`` keeps the subject's row locked until its transaction
    ends, and a conversion inside that transaction would hold the lock (and every worker and user waiting
    for the paper) for as long as LibreOffice takes. A master still pending or stored in this session's open
    transaction raises ``UncommittedMasterError``; commit, then call this in a new transaction.
    """
    results = generate_pdfs(session, masters=[master], now=now, profile_dir=profile_dir)
    if results is None:
        return None
    [result] = results
    if isinstance(result, PdfConversionError):
        raise result
    return result


def generate_pdfs(
    session: Session, *, masters: Sequence[StoredFile], now: dt.datetime, profile_dir: Path
) -> list[StoredFile | PdfConversionError] | None:
    """The PDF derivatives of several committed DOCX masters, converted with one LibreOffice start.

    Per master (in the given order) its PDF row (output_key = master's + ":pdf"; an existing one is
    reused, so a batch run again converts nothing) or the PdfConversionError of a document that gave no
    PDF even alone — the others are stored regardless. None when soffice is not installed. Never commits.
    Every master must be committed (``UncommittedMasterError`` otherwise, before anything is converted).
    """
    for master in masters:
        if master in session.new or master.id in session.info.get(_UNCOMMITTED, ()):
            raise UncommittedMasterError(
                f"the DOCX master {master.output_key!r} is not committed yet: commit the transaction that "
                "generated it (it locks the subject) before converting it to PDF"
            )
    results: list[StoredFile | PdfConversionError | None] = [
        _by_key(session, f"{master.output_key}{PDF_KEY_SUFFIX}") for master in masters
    ]
    soffice = soffice_path()
    if soffice is None:
        return None
    todo = [n for n, result in enumerate(results) if result is None]
    converted = docx_to_pdfs([masters[n].content for n in todo], profile_dir=profile_dir, soffice=soffice)
    stored = store_pdfs(session, masters=[masters[n] for n in todo], converted=converted, now=now)
    for n, result in zip(todo, stored, strict=True):
        results[n] = result
    return [result for result in results if result is not None]


def store_pdfs(
    session: Session,
    *,
    masters: Sequence[StoredFile],
    converted: Sequence[bytes | PdfConversionError],
    now: dt.datetime,
) -> list[StoredFile | PdfConversionError]:
    """Store each master's converted PDF (``docx_to_pdfs``' answer for them); a PDF another worker stored
    meanwhile under the same key is returned instead. Errors are passed through. Never commits."""
    return [
        content if isinstance(content, PdfConversionError) else _store_pdf(session, master, content, now)
        for master, content in zip(masters, converted, strict=True)
    ]


def _store_pdf(session: Session, master: StoredFile, content: bytes, now: dt.datetime) -> StoredFile:
    name = master.file_name.rsplit(".", 1)[0]
    row = StoredFile(
        municipality_id=master.municipality_id,
        kind=master.kind,
        paper_id=master.paper_id,
        meeting_id=master.meeting_id,
        agenda_item_id=master.agenda_item_id,
        version=master.version,
        output_key=f"{master.output_key}{PDF_KEY_SUFFIX}",
        name=master.name,
        file_name=file_name(name, "pdf"),
        media_type=PDF_MEDIA_TYPE,
        size_bytes=len(content),
        sha256=hashlib.sha256(content).hexdigest(),
        content=content,
        master_file_id=master.id,
        public=master.public,
        draft=master.draft,
        created_at=now,
        modified_at=now,
    )
    return _insert(session, row)
