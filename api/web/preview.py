"""The Word preview of a draft Vorlage: the document as the worker would render it now, downloaded on
request and not stored (no version, no file row; the stored versions still come from the workers).

Only for those who may read the draft (``workflow.access.can_read_draft``); for anyone else the draft does
not exist (404). The renderer is wired by the app factory (``app.state.document_preview``): the pages do not
import the workers.
"""

from __future__ import annotations

import datetime as dt
from typing import Protocol

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from api.deps import Now, ReadSession, Town
from api.files import content_disposition
from api.web import links
from api.web.session import LoggedIn, check_csrf
from workflow.access import can_read_draft
from workflow.errors import NotFound
from workflow.publication import DRAFT_STATES
from workflow.vocabulary import PaperState

router = APIRouter(include_in_schema=False, dependencies=[Depends(check_csrf)])


class RenderedPreview(Protocol):
    @property
    def file_name(self) -> str: ...

    @property
    def media_type(self) -> str: ...

    @property
    def content(self) -> bytes: ...


class RenderPreview(Protocol):
    """``workers.documents.generate.preview_document``."""

    def __call__(
        self, session: Session, *, kind: str, subject_id: int, now: dt.datetime
    ) -> RenderedPreview: ...


@router.get("/{municipality}/vorlagen/{slug}/vorschau.docx")
def draft_preview(
    request: Request, town: Town, slug: str, me: LoggedIn, session: ReadSession, now: Now
) -> Response:
    paper = links.paper_from_slug(session, town.id, slug)
    if PaperState(paper.state) not in DRAFT_STATES or not can_read_draft(me.principal, paper):
        raise NotFound(
            f"no preview of paper {slug}",
            german="Eine Vorschau gibt es nur für Entwürfe, die Sie lesen dürfen",
        )
    render: RenderPreview = request.app.state.document_preview
    preview = render(session, kind="vorlage", subject_id=paper.id, now=now)
    headers = {
        "Content-Disposition": content_disposition(preview.file_name),
        "Cache-Control": "private, no-store",
    }
    return Response(content=preview.content, media_type=preview.media_type, headers=headers)
