"""Generated documents (Vorlage, invitation, minutes, resolution extract and their PDFs): list and download.

Who may see a document follows its subject (``workflow.access``): the public sees only public documents of
papers and meetings it may see; a caller of the municipality sees the non-public ones where the rules let
them read the paper or the non-public part of the meeting. Anything else is a 404, as if it did not exist.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Annotated

from fastapi import APIRouter, Header, Path, Response
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select
from sqlalchemy.orm import InstrumentedAttribute, Session, defer

from api.deps import MAX_ID, Caller, MeetingId, PaperId, ReadSession, Town
from api.files import content_disposition, etag_matches
from workflow.access import (
    Principal,
    can_read_draft,
    can_read_paper,
    can_see_meeting,
    non_public_visible_meetings,
    sees_as_public,
)
from workflow.errors import NotFound
from workflow.models import Meeting, Paper, StoredFile
from workflow.publication import public_files
from workflow.store import get
from workflow.vocabulary import DOCUMENT_KIND_LABELS, DOCX_MEDIA_TYPE, PDF_MEDIA_TYPE

router = APIRouter(prefix="/api/v1/{municipality}", tags=["Dokumente (documents)"])

DocumentId = Annotated[
    int, Path(ge=1, le=MAX_ID, description="Id of the stored document (Dokument)", examples=[1])
]
IfNoneMatch = Annotated[
    str | None,
    Header(alias="If-None-Match", max_length=2000, description='ETags already held, e.g. "3f2a…"'),
]

BINARY = {"schema": {"type": "string", "format": "binary"}}


class DocumentOut(BaseModel):
    """One stored rendering of a document; each new rendering is a new version."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    kind: str = Field(examples=["vorlage"])
    kind_label: str = Field(examples=["Beschlussvorlage"])
    name: str = Field(examples=["Beschlussvorlage 1562/13"])
    file_name: str = Field(examples=["Beschlussvorlage 1562-13.docx"])
    media_type: str
    version: int
    size_bytes: int
    sha256: str
    public: bool
    draft: bool = Field(description="Rendered while the paper was a draft (Entwurf)")
    created: dt.datetime
    paper_id: int | None
    meeting_id: int | None
    agenda_item_id: int | None
    master_file_id: int | None = Field(description="For a PDF: the DOCX it was made from")
    content_url: str


def _out(town_key: str, row: StoredFile) -> DocumentOut:
    return DocumentOut(
        id=row.id,
        kind=row.kind,
        kind_label=DOCUMENT_KIND_LABELS.get(row.kind, row.kind),
        name=row.name,
        file_name=row.file_name,
        media_type=row.media_type,
        version=row.version,
        size_bytes=row.size_bytes,
        sha256=row.sha256,
        public=row.public,
        draft=row.draft,
        created=row.created_at,
        paper_id=row.paper_id,
        meeting_id=row.meeting_id,
        agenda_item_id=row.agenda_item_id,
        master_file_id=row.master_file_id,
        content_url=f"/api/v1/{town_key}/documents/{row.id}/content",
    )


def may_see(session: ReadSession, who: Principal | None, row: StoredFile) -> bool:
    """The subject's rules: its paper must be readable, a draft rendering needs a reader of the draft, and a
    non-public document needs a caller of the
    municipality who may see the non-public part of its meeting (or read its non-public paper)."""
    return bool(visible_files(session, who, [row]))


def visible_files(session: Session, who: Principal | None, rows: Sequence[StoredFile]) -> list[StoredFile]:
    """The rows ``who`` may see (``may_see``), with each paper and meeting asked once and the published
    files in one query: a list of many documents costs a few queries, not a few per document."""
    public = public_files(session, [row.id for row in rows if row.public])
    papers: dict[int, Paper | None] = {
        paper_id: session.get(Paper, paper_id)
        for paper_id in {r.paper_id for r in rows if r.paper_id is not None}
    }
    readable = {
        paper_id: paper is not None and can_read_paper(session, who, paper)
        for paper_id, paper in papers.items()
    }
    meetings = {
        meeting.id: meeting
        for meeting_id in {r.meeting_id for r in rows if r.meeting_id is not None}
        if (meeting := session.get(Meeting, meeting_id)) is not None
    }
    open_meetings = non_public_visible_meetings(session, who, meetings.values())

    def visible(row: StoredFile) -> bool:
        paper = papers[row.paper_id] if row.paper_id is not None else None
        if paper is not None and not readable[paper.id]:
            return False
        if row.draft:
            # Rendered from the draft: for the draft's readers only, even once the paper is submitted.
            return paper is not None and can_read_draft(who, paper)
        if row.public and row.id in public:
            return True
        if sees_as_public(who, row.municipality_id):
            return False
        return row.meeting_id not in meetings or row.meeting_id in open_meetings

    return [row for row in rows if visible(row)]


def _listing(
    session: ReadSession, who: Caller, town: Town, column: InstrumentedAttribute[int | None], subject_id: int
) -> list[DocumentOut]:
    rows = session.scalars(
        select(StoredFile)
        .options(defer(StoredFile.content))
        .where(column == subject_id, StoredFile.municipality_id == town.id)
        .order_by(StoredFile.kind, StoredFile.version, StoredFile.id)
    )
    return [_out(town.key, row) for row in visible_files(session, who, rows.all())]


@router.get(
    "/papers/{paper_id}/documents",
    response_model=list[DocumentOut],
    summary="The documents of a paper: its Vorlage versions and resolution extracts, with their PDFs",
)
def paper_documents(town: Town, paper_id: PaperId, session: ReadSession, who: Caller) -> list[DocumentOut]:
    paper = get(session, Paper, paper_id)
    if paper.municipality_id != town.id or not can_read_paper(session, who, paper):
        raise NotFound(f"paper {paper_id} not found (Vorlage {paper_id} gibt es nicht)")
    return _listing(session, who, town, StoredFile.paper_id, paper.id)


@router.get(
    "/meetings/{meeting_id}/documents",
    response_model=list[DocumentOut],
    summary="The documents of a meeting: invitation, minutes and resolution extracts, with their PDFs",
)
def meeting_documents(
    town: Town, meeting_id: MeetingId, session: ReadSession, who: Caller
) -> list[DocumentOut]:
    meeting = get(session, Meeting, meeting_id)
    if meeting.municipality_id != town.id or not can_see_meeting(session, who, meeting):
        raise NotFound(f"meeting {meeting_id} not found (Sitzung {meeting_id} gibt es nicht)")
    return _listing(session, who, town, StoredFile.meeting_id, meeting.id)


def _visible(session: ReadSession, who: Caller, town: Town, document_id: int, *, content: bool) -> StoredFile:
    query = select(StoredFile).where(StoredFile.id == document_id, StoredFile.municipality_id == town.id)
    if not content:
        query = query.options(defer(StoredFile.content))
    row = session.scalars(query).one_or_none()
    if row is None or not may_see(session, who, row):
        raise NotFound(f"document {document_id} not found (Dokument {document_id} gibt es nicht)")
    return row


@router.get("/documents/{document_id}", response_model=DocumentOut, summary="A document's metadata")
def read_document(town: Town, document_id: DocumentId, session: ReadSession, who: Caller) -> DocumentOut:
    return _out(town.key, _visible(session, who, town, document_id, content=False))


@router.get(
    "/documents/{document_id}/content",
    response_class=Response,
    summary="Download a document (DOCX or PDF); ETag is its sha256, If-None-Match gives 304",
    responses={
        200: {"description": "The file", "content": {DOCX_MEDIA_TYPE: BINARY, PDF_MEDIA_TYPE: BINARY}},
        304: {"description": "Not modified: the ETag in If-None-Match is this file's"},
    },
)
def document_content(
    town: Town, document_id: DocumentId, session: ReadSession, who: Caller, if_none_match: IfNoneMatch = None
) -> Response:
    row = _visible(session, who, town, document_id, content=False)
    etag = f'"{row.sha256}"'
    headers = {
        "ETag": etag,
        # A stored version never changes, but a non-public one must not sit in shared caches.
        "Cache-Control": "public, max-age=3600" if row.public else "private, max-age=3600",
    }
    if etag_matches(if_none_match, etag):
        return Response(status_code=304, headers=headers)
    content = session.scalars(select(StoredFile.content).where(StoredFile.id == row.id)).one()
    headers["Content-Disposition"] = content_disposition(row.file_name)
    return Response(content=content, media_type=row.media_type, headers=headers)
