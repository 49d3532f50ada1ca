"""The council member's pages: "Meine Sitzungen" (the meetings of my bodies, also as a substitute, coming and
past, with their documents) and "Vorlagen meiner Gremien" (including the non-public ones I may read).

Both only list what the JSON API gives this person: the papers through the list's visibility rule
(``api.routes.papers.paper_query``), the documents through the download rule (``may_see``); the meeting
page itself shows the non-public part by ``workflow.access``. Both lists are paged by query parameters
(``kommende``/``vergangene``: page numbers; ``weiter``: the papers' cursor) and show their totals.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from api.deps import Now, ReadSession, Town
from api.routes.papers import count_up_to, keyset_page, paper_query
from api.web import links
from api.web.context import MEETING_TONES, own_town, page
from api.web.papers import PAPER_ENTRY_LOAD, documents_by, paper_entry
from api.web.session import LoggedIn, check_csrf
from api.web.templating import render
from workflow.access import Principal, require_council_member
from workflow.errors import DomainError
from workflow.member_meetings import MeetingPage, my_body_ids, my_meetings
from workflow.models import Body, Municipality, Paper
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
    listed: MeetingPage,
    documents: dict[int, list[dict[str, Any]]],
    at: Callable[[int], str],
) -> dict[str, Any]:
    """One page of a meeting list (``at``: the address of another page of it): the meetings with their
    documents, the total and the links to the neighbouring pages."""
    items = []
    for entry in listed.entries:
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
    return {
        "meetings": items,
        "total": listed.total,
        "page": listed.page,
        "pages": listed.pages,
        "previous_url": at(listed.page - 1) if listed.page > 1 else None,
        "next_url": at(listed.page + 1) if listed.page < listed.pages else None,
    }


PageNumber = Annotated[int, Query(ge=1, le=100_000)]


@router.get("/{municipality}/meine-sitzungen", response_class=HTMLResponse)
def my_meetings_page(
    request: Request,
    town: Town,
    me: LoggedIn,
    session: ReadSession,
    now: Now,
    kommende: PageNumber = 1,
    vergangene: PageNumber = 1,
) -> Response:
    """``?kommende=2&vergangene=3``: the page of each list (a page beyond the last shows the last)."""
    who = _member(me, town)
    assert who.person_id is not None  # require_council_member saw to it
    mine = my_meetings(session, who.person_id, now, coming_page=kommende, past_page=vergangene)
    shown = [entry.meeting for entry in mine.coming.entries + mine.past.entries]
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
                session, town, mine.coming, documents, lambda n: at(n, mine.past.page, "kommende")
            ),
            past=_meetings(
                session, town, mine.past, documents, lambda n: at(mine.coming.page, n, "vergangene")
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
    """``?gremium=sjs&weiter=…``: one body of mine, and the page after the cursor."""
    who = _member(me, town)
    assert who.person_id is not None
    today = now.astimezone(BERLIN).date()
    body_ids = my_body_ids(session, who.person_id, today)
    bodies = session.execute(
        select(Body.id, Body.key, Body.name).where(Body.id.in_(body_ids)).order_by(Body.name)
    ).all()
    chosen = [b.id for b in bodies if b.key == gremium] or [b.id for b in bodies]
    errors: dict[str, str] = {}
    papers: list[dict[str, Any]] = []
    total = 0
    next_url = None
    if bodies:
        listed = paper_query(session, town, who, body_ids=chosen)
        try:
            found, cursor = keyset_page(
                session, listed.options(*PAPER_ENTRY_LOAD), Paper.id, weiter or None, PAPERS_PAGE
            )
        except DomainError as exc:
            errors["_form"] = exc.german
        else:
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
            first_url=links.my_papers(town.key, gremium=shown or None) if weiter and not errors else None,
            next_url=next_url,
            errors=errors,
        ),
        block="liste",
        status=422 if errors else 200,
    )
