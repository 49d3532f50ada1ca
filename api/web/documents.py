"""Document downloads for the pages: the same rule as the download API, with the page's login."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Response
from sqlalchemy import select

from api.deps import MAX_ID, ReadSession, Town
from api.files import content_disposition
from api.routes.documents import may_see
from api.web.context import principal
from api.web.session import PageCaller, check_csrf
from workflow.errors import NotFound
from workflow.models import StoredFile

router = APIRouter(include_in_schema=False, dependencies=[Depends(check_csrf)])


@router.get("/{municipality}/dokumente/{document_id}/{file_name}")
def download(
    town: Town,
    document_id: Annotated[int, Path(ge=1, le=MAX_ID)],
    file_name: Annotated[str, Path(max_length=300)],
    me: PageCaller,
    session: ReadSession,
) -> Response:
    row = session.scalars(
        select(StoredFile).where(StoredFile.id == document_id, StoredFile.municipality_id == town.id)
    ).one_or_none()
    if row is None or not may_see(session, principal(me), row):
        raise NotFound(
            f"document {document_id} not found",
            german="Dieses Dokument gibt es nicht, oder Sie dürfen es nicht sehen",
        )
    headers = {
        "Content-Disposition": content_disposition(row.file_name),
        "Cache-Control": "public, max-age=3600" if row.public and not row.draft else "private, no-store",
        "ETag": f'"{row.sha256}"',
    }
    return Response(content=row.content, media_type=row.media_type, headers=headers)
