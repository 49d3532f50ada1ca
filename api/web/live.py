"""The live page of a meeting: its public TOPs with the results as they are recorded.

The page is whole without JavaScript (a reload shows every result so far). With JavaScript, ``app.js``
opens the event stream beside it: on each change of the meeting (``api.live``) the stream reads the public
results from the database again and sends the list rendered by the page's block ``results``, only when
what it shows differs from what the page shows (``stand``, a fingerprint of the values the list is made of).
The stream holds no database session while it waits (the embedded default's SQLite must not be blocked).
Everyone sees the public view here, logged in or not.
"""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, Response
from fastapi.sse import EventSourceResponse, ServerSentEvent
from jinja2_fragments import render_block
from sqlalchemy.orm import Session, sessionmaker

from api.deps import ReadSession, Town
from api.live import RECHECK_SECONDS, LiveBroker
from api.web import links
from api.web.context import page
from api.web.session import PageCaller
from api.web.templating import render, templates
from workflow import portal
from workflow.models import Meeting
from workflow.publication import public_meetings
from workflow.store import municipality_by_key, not_found
from workflow.vocabulary import MeetingState

router = APIRouter(include_in_schema=False)

TEMPLATE = "portal/live.html"
EVENT = "ergebnisse"


def _public_meeting(session: Session, town_id: int, slug: str) -> Meeting:
    meeting = links.meeting_from_slug(session, town_id, slug)
    if meeting.id not in public_meetings(session, [meeting.id]):
        raise not_found("meeting", slug)
    return meeting


def _results(session: Session, town_key: str, meeting: Meeting) -> dict[str, Any]:
    """What the list of results shows (the page and the stream alike): plain values only."""
    items = portal.live_items(session, meeting.id)
    recorded = sorted((i.recorded_at, n, i) for n, i in enumerate(items) if i.recorded_at is not None)
    return {
        "items": items,
        "paper_urls": {
            i.number: links.paper_from_columns(town_key, i.paper_id, i.paper_reference)
            for i in items
            if i.paper_id is not None
        },
        "latest": recorded[-1][2] if recorded else None,  # the newest result, announced to screen readers
        "provisional": portal.results_provisional(meeting) and bool(recorded),
        "cancelled": meeting.state == MeetingState.cancelled,
    }


def _fragment(results: dict[str, Any]) -> str:
    return render_block(templates.env, TEMPLATE, "results", **results)


def stand(results: dict[str, Any]) -> str:
    """A short fingerprint of what the list shows (the page's state; the event id a reconnecting browser
    sends back): of its values, so that an unchanged list is not rendered again to find out."""
    shown = (results["items"], results["provisional"], results["cancelled"])
    return hashlib.sha256(repr(shown).encode()).hexdigest()[:16]


@router.get("/{municipality}/sitzungen/{slug}/live", response_class=HTMLResponse)
def live_page(request: Request, town: Town, slug: str, me: PageCaller, session: ReadSession) -> Response:
    meeting = _public_meeting(session, town.id, slug)
    results = _results(session, town.key, meeting)
    meeting_url = links.meeting(session, town.key, meeting)
    return render(
        request,
        TEMPLATE,
        page(
            me,
            town,
            meeting=meeting,
            bodies=[b.name for b in meeting.bodies],
            meeting_url=meeting_url,
            live_url=meeting_url + "/live",
            events_url=f"{meeting_url}/live/ereignisse?stand={stand(results)}",
            open_data=str(request.app.state.oparl_urls.meeting(meeting.id)),  # public: checked above
            **results,
        ),
    )


@dataclass(frozen=True)
class LiveTarget:
    town_key: str
    meeting_id: int


def live_target(request: Request, municipality: str, slug: str) -> LiveTarget:
    """The public meeting of the stream, or 404; its session is closed before the stream starts."""
    with request.app.state.sessions() as session:
        town = municipality_by_key(session, municipality)
        return LiveTarget(town.key, _public_meeting(session, town.id, slug).id)


def _read(sessions: sessionmaker[Session], target: LiveTarget) -> dict[str, Any] | None:
    """What the list shows now (None once the meeting is no longer public), read in a short session."""
    with sessions() as session:
        meeting = session.get(Meeting, target.meeting_id)
        if meeting is None or meeting.id not in public_meetings(session, [meeting.id]):
            return None
        return _results(session, target.town_key, meeting)


@router.get("/{municipality}/sitzungen/{slug}/live/ereignisse", response_class=EventSourceResponse)
async def live_events(
    request: Request,
    target: Annotated[LiveTarget, Depends(live_target)],
    shown: Annotated[str | None, Query(alias="stand", max_length=64)] = None,
) -> AsyncIterator[ServerSentEvent]:
    """Server-sent events ``ergebnisse``: the rendered list, each time it changed."""
    broker: LiveBroker = request.app.state.live
    sessions: sessionmaker[Session] = request.app.state.sessions
    last = request.headers.get("last-event-id") or shown
    async with broker.subscribe(target.meeting_id) as subscription:
        while True:
            results = await run_in_threadpool(_read, sessions, target)
            if results is None:
                return
            if stand(results) != last:
                last = stand(results)
                yield ServerSentEvent(
                    raw_data=await run_in_threadpool(_fragment, results), event=EVENT, id=last
                )
            await subscription.wait(RECHECK_SECONDS)
