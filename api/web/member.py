"""The council member's pages: "Meine Sitzungen" (the meetings of my bodies, also as a substitute, coming and
past, with their documents) and "Vorlagen meiner Gremien" (including the non-public ones I may read).

Both only list what the JSON API gives this person: the papers through the list's visibility rule
(``api.paper_search.paper_query``), the documents through the download rule (``may_see``); the meeting
page itself shows the non-public part by ``workflow.access``. Both lists are paged by query parameters
(``kommende``/``vergangene``: page numbers; ``weiter``: the papers' cursor) and show their totals; a page
that is none shows the first page with a notice, as the office's lists do (``api.web.paging``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from api.deps import Now, ReadSession, Town
from api.paper_search import PaperOrder, count_up_to, paper_page, paper_query
from api.web import links
from api.web.context import MEETING_TONES, own_town, page
from api.web.paging import page_cursor, page_number, pager
from api.web.papers import PAPER_ENTRY_LOAD, documents_by, paper_entry
from api.web.session import LoggedIn, check_csrf
from api.web.templating import render
from workflow.access import Principal, require_council_member
from workflow.member_meetings import MyMeeting, my_body_ids, my_meetings
from workflow.models import Body, Municipality
from workflow.paging import Page
from workflow.publication import Withheld
from workflow.rules import BERLIN
from workflow.vocabulary import MEETING_STATE_LABELS, MeetingState

router = APIRouter(include_in_schema=False, dependencies=[Depends(check_csrf)])

#: Papers per page, and how far their total is counted ("mehr als 1.000 Vorlagen" beyond).
PAPERS_PAGE = 25
PAPERS_COUNTED = 1000


def _member(me: LoggedIn, town: Municipality) -> Principal:
    """A council member of this municipality with their person (staff have no bodies of their own: 403)."""
    return require_council_member(own_town(me, town), town.id)


def _meetings(
    session: Session,
    town: Municipality,
    listed: Page[MyMeeting],
    documents: dict[int, list[dict[str, Any]]],
    at: Callable[[int], str],
    notice: str | None,
) -> dict[str, Any]:
    """One page of a meeting list (``at``: the address of another page of it): the meetings with their
    documents, the total and the pager."""
    items = []
    for entry in listed.items:
        meeting = entry.meeting
        state = MeetingState(meeting.state)
        items.append(
            {
                "url": links.meeting(session, town.key, meeting),
                "name": meeting.name,
                "start": meeting.start,
                "location": meeting.location,
                "state": MEETING_STATE_LABELS[state],
                "tone": MEETING_TONES[state],
                "seats": entry.seats,
                "documents": documents[meeting.id],
            }
        )
    return {"meetings": items, "total": listed.total, "pager": pager(listed, at, notice)}


PageNumber = Annotated[str, Query(max_length=40)]


@router.get("/{municipality}/meine-sitzungen", response_class=HTMLResponse)
def my_meetings_page(
    request: Request,
    town: Town,
    me: LoggedIn,
    session: ReadSession,
    now: Now,
    kommende: PageNumber = "",
    vergangene: PageNumber = "",
) -> Response:
    """``?kommende=2&vergangene=3``: the page of each list (a page beyond the last shows the last)."""
    who = _member(me, town)
    assert who.person_id is not None  # require_council_member saw to it
    coming_page, coming_notice = page_number(kommende)
    past_page, past_notice = page_number(vergangene)
    mine = my_meetings(session, who.person_id, now, coming_page=coming_page, past_page=past_page)
    shown = [entry.meeting for entry in mine.coming.items + mine.past.items]
    links.prefetch_meetings(session, shown)  # their addresses, in one query
    documents = documents_by(session, town, who, "meeting_id", [m.id for m in shown])

    def at(coming: int, past: int, anchor: str) -> str:
        pages = {
            "kommende": str(coming) if coming > 1 else None,
            "vergangene": str(past) if past > 1 else None,
        }
        return f"{links.my_meetings(town.key, **pages)}#{anchor}"

    return render(
        request,
        "member_meetings.html",
        page(
            me,
            town,
            "my_meetings",
            coming=_meetings(
                session,
                town,
                mine.coming,
                documents,
                lambda n: at(n, mine.past.number, "kommende"),
                coming_notice,
            ),
            past=_meetings(
                session,
                town,
                mine.past,
                documents,
                lambda n: at(mine.coming.number, n, "vergangene"),
                past_notice,
            ),
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
    """``?gremium=sjs&weiter=…``: one body of mine, and the page after the cursor (a cursor that is none
    shows the first page with a notice)."""
    who = _member(me, town)
    assert who.person_id is not None
    today = now.astimezone(BERLIN).date()
    body_ids = my_body_ids(session, who.person_id, today)
    bodies = session.execute(
        select(Body.id, Body.key, Body.name).where(Body.id.in_(body_ids)).order_by(Body.name)
    ).all()
    chosen = [b.id for b in bodies if b.key == gremium] or [b.id for b in bodies]
    after, notice = page_cursor(weiter)
    papers: list[dict[str, Any]] = []
    total = 0
    next_url = None
    if bodies:
        listed = paper_query(session, town, who, body_ids=chosen)
        found, cursor = paper_page(session, listed, PaperOrder.newest, after, PAPERS_PAGE, PAPER_ENTRY_LOAD)
        total = count_up_to(session, listed, PAPERS_COUNTED + 1)
        documents = documents_by(session, town, who, "paper_id", [p.id for p in found])
        for paper in found:
            entry = paper_entry(town, paper, Withheld())
            entry["public"] = paper.public
            entry["documents"] = documents[paper.id]
            papers.append(entry)
        if cursor:
            next_url = links.my_papers(town.key, gremium=gremium or None, weiter=cursor)
    shown = gremium if any(b.key == gremium for b in bodies) else ""
    return render(
        request,
        "member_papers.html",
        page(
            me,
            town,
            "my_papers",
            action=links.my_papers(town.key),
            gremium=shown,
            body_options=[(b.key, b.name) for b in bodies],
            papers=papers,
            total=min(total, PAPERS_COUNTED),
            more_than=total > PAPERS_COUNTED,
            first_url=links.my_papers(town.key, gremium=shown or None) if after else None,
            next_url=next_url,
            notice=notice,
        ),
        block="liste",
    )
