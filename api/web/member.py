"""The council member's pages: "Meine Sitzungen" (the meetings of my bodies, also as a substitute, coming and
past, with their documents) and "Vorlagen meiner Gremien" (including the non-public ones I may read).

Both only list what the JSON API gives this person: the papers through the list's visibility rule
(``api.routes.papers.search_papers``), the documents through the download rule (``may_see``); the meeting
page itself shows the non-public part by ``workflow.access``.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from api.deps import Now, ReadSession, Town
from api.routes.papers import search_papers
from api.web import links
from api.web.context import MEETING_TONES, own_town, page
from api.web.papers import documents_of, paper_entry
from api.web.session import LoggedIn, check_csrf
from api.web.templating import render
from workflow.access import Principal, require_council_member
from workflow.errors import DomainError
from workflow.member_meetings import MyMeeting, my_body_ids, my_meetings
from workflow.models import Body, Municipality
from workflow.publication import Withheld
from workflow.rules import BERLIN
from workflow.vocabulary import MEETING_STATE_LABELS, MeetingState

router = APIRouter(include_in_schema=False, dependencies=[Depends(check_csrf)])


def _member(me: LoggedIn, town: Municipality) -> Principal:
    """A council member of this municipality with their person (staff have no bodies of their own: 403)."""
    return require_council_member(own_town(me, town), town.id)


def _meeting(session: Session, town: Municipality, who: Principal, entry: MyMeeting) -> dict[str, Any]:
    meeting = entry.meeting
    state = MeetingState(meeting.state)
    return {
        "url": links.meeting(session, town.key, meeting),
        "name": meeting.name,
        "start": meeting.start,
        "location": meeting.location,
        "state": MEETING_STATE_LABELS[state],
        "tone": MEETING_TONES[state],
        "seats": entry.seats,
        "documents": documents_of(session, town, who, meeting_id=meeting.id),
    }


@router.get("/{municipality}/meine-sitzungen", response_class=HTMLResponse)
def my_meetings_page(request: Request, town: Town, me: LoggedIn, session: ReadSession, now: Now) -> Response:
    who = _member(me, town)
    assert who.person_id is not None  # require_council_member saw to it
    mine = my_meetings(session, who.person_id, now)
    return render(
        request,
        "member_meetings.html",
        page(
            me,
            town,
            "my_meetings",
            coming=[_meeting(session, town, who, m) for m in mine.coming],
            past=[_meeting(session, town, who, m) for m in mine.past],
            more_past=mine.more_past,
            now=now,
        ),
    )


Key = Annotated[str, Query(max_length=64)]


@router.get("/{municipality}/meine-vorlagen", response_class=HTMLResponse)
def my_papers_page(
    request: Request,
    town: Town,
    me: LoggedIn,
    session: ReadSession,
    now: Now,
    gremium: Key = "",
    weiter: Annotated[str, Query(max_length=40)] = "",
) -> Response:
    who = _member(me, town)
    assert who.person_id is not None
    today = now.astimezone(BERLIN).date()
    body_ids = my_body_ids(session, who.person_id, today)
    bodies = list(session.scalars(select(Body).where(Body.id.in_(body_ids)).order_by(Body.name)))
    chosen = [b.id for b in bodies if b.key == gremium] or [b.id for b in bodies]
    errors: dict[str, str] = {}
    papers: list[dict[str, Any]] = []
    next_url = None
    try:
        found, cursor = (
            search_papers(session, town, who, body_ids=chosen, limit=25, cursor=weiter or None)
            if bodies
            else ([], None)
        )
    except DomainError as exc:
        errors["_form"] = exc.german
    else:
        for paper in found:
            entry = paper_entry(town, paper, Withheld())
            entry["public"] = paper.public
            entry["documents"] = documents_of(session, town, who, paper_id=paper.id)
            papers.append(entry)
        if cursor:
            next_url = links.my_papers(town.key, gremium=gremium or None, weiter=cursor)
    return render(
        request,
        "member_papers.html",
        page(
            me,
            town,
            "my_papers",
            action=links.my_papers(town.key),
            gremium=gremium if any(b.key == gremium for b in bodies) else "",
            body_options=[(b.key, b.name) for b in bodies],
            papers=papers,
            next_url=next_url,
            errors=errors,
        ),
        block="liste",
        status=422 if errors else 200,
    )
