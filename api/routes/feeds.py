"""Calendar feeds (iCalendar) per body and per person; a secret token opens non-public and personal feeds."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request, Response

from api.deps import MunicipalityKey, Now, ReadSession
from workflow import feeds

router = APIRouter(prefix="/api/v1/{municipality}", tags=["Kalender (feeds)"])

Key = Annotated[str, Path(pattern=r"^[a-z0-9][a-z0-9_-]{0,63}$", description="Key", examples=["magistrat"])]
Token = Annotated[
    str | None, Query(max_length=200, description="Secret feed token (non-public and personal feeds)")
]

CALENDAR = "text/calendar; charset=utf-8"


@router.get(
    "/bodies/{body}/calendar.ics",
    response_class=Response,
    responses={200: {"content": {"text/calendar": {}}}},
    summary="Calendar feed of a body: meetings and invitation deadlines",
)
def body_calendar(
    municipality: MunicipalityKey,
    body: Key,
    session: ReadSession,
    now: Now,
    request: Request,
    token: Token = None,
) -> Response:
    content = feeds.body_feed(
        session,
        municipality=municipality,
        body=body,
        token=token,
        public_url=request.app.state.public_url,
        now=now,
    )
    return Response(content, media_type=CALENDAR)


@router.get(
    "/persons/{person}/calendar.ics",
    response_class=Response,
    responses={200: {"content": {"text/calendar": {}}}},
    summary="Calendar feed of a person's meetings (needs the person's feed token)",
)
def person_calendar(
    municipality: MunicipalityKey,
    person: Key,
    session: ReadSession,
    now: Now,
    request: Request,
    token: Token = None,
) -> Response:
    content = feeds.person_feed(
        session,
        municipality=municipality,
        person=person,
        token=token,
        public_url=request.app.state.public_url,
        now=now,
    )
    return Response(content, media_type=CALENDAR)
