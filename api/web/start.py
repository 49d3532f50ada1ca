"""The start page "Meine Aufgaben": what waits for the logged-in person."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from api.deps import Now, ReadSession, Town
from api.web import links, portal
from api.web.context import own_town, page
from api.web.session import PageCaller, check_csrf, require_login
from api.web.templating import date_de, render
from workflow.models import Meeting, Municipality
from workflow.my_tasks import PaperEntry, my_tasks
from workflow.vocabulary import (
    MEETING_STATE_LABELS,
    PAPER_KIND_LABELS,
    PAPER_STATE_LABELS,
    MeetingState,
    PaperKind,
    PaperState,
)

router = APIRouter(include_in_schema=False, dependencies=[Depends(check_csrf)])


def _paper(town: Municipality, paper: PaperEntry) -> dict[str, Any]:
    return {
        "url": links.paper_from_columns(town.key, paper.id, paper.reference),
        "label": f"{paper.reference or 'Entwurf'}: {paper.subject}",
        "meta": f"{PAPER_KIND_LABELS[PaperKind(paper.kind)]} · {paper.department} · "
        f"{PAPER_STATE_LABELS[PaperState(paper.state)]} · {date_de(paper.paper_date)}",
    }


def _meeting(session: Session, town: Municipality, meeting: Meeting, meta: str = "") -> dict[str, Any]:
    return {
        "url": links.meeting(session, town.key, meeting),
        "name": meeting.name,
        "start": meeting.start,
        "meta": meta or MEETING_STATE_LABELS[MeetingState(meeting.state)],
    }


@router.get("/{municipality}/", response_class=HTMLResponse)
def start_page(request: Request, town: Town, me: PageCaller, session: ReadSession, now: Now) -> Response:
    """Without a login (or with one of another municipality), the municipality's public start page
    (``api.web.portal``); for its own people, "Meine Aufgaben"."""
    expired = me is None and getattr(request.state, "session_expired", False)
    if not expired and (me is None or me.principal.municipality_id != town.id):
        return portal.start_page(request, session, town, me, now)
    who = own_town(require_login(me), town)
    tasks = my_tasks(session, who, now)
    links.prefetch_meetings(
        session, [d.meeting for d in tasks.deadlines] + tasks.without_results + tasks.next_meetings
    )
    sections: list[dict[str, Any]] = []

    #: Sections with a page of their own for the coordination office: (address, link text).
    more = {
        "einreichen": (links.inbox(town.key), "Zum Eingang"),
        "ladungsfrist": (links.deadlines(town.key), "Alle Fristen der nächsten Wochen"),
    }

    def add(key: str, title: str, kind: str, items: list[dict[str, Any]], empty: str, shown: bool) -> None:
        if shown:
            sections.append(
                {
                    "key": key,
                    "title": title,
                    "kind": kind,
                    "entries": items,
                    "empty": empty,
                    "more": more.get(key),
                }
            )

    add(
        "entwuerfe",
        "Entwürfe fertigstellen",
        "paper",
        [_paper(town, p) for p in tasks.drafts],
        "Keine offenen Entwürfe.",
        "drafts" in tasks.applies,
    )
    add(
        "mitzeichnung",
        "Um Mitzeichnung gebeten",
        "paper",
        [_paper(town, p) for p in tasks.cosignatures],
        "Niemand wartet auf Ihre Mitzeichnung.",
        "cosignatures" in tasks.applies,
    )
    add(
        "einreichen",
        "Bereit zum Einreichen",
        "paper",
        [_paper(town, p) for p in tasks.to_submit],
        "Keine Vorlage wartet auf die Einreichung.",
        "to_submit" in tasks.applies,
    )
    add(
        "ladungsfrist",
        "Ladungsfrist läuft ab",
        "meeting",
        [
            _meeting(
                session,
                town,
                d.meeting,
                ("Frist verstrichen am " if d.passed else "Einladung spätestens ")
                + date_de(d.latest_dispatch),
            )
            for d in tasks.deadlines
        ],
        "Keine Einladung ist in den nächsten sieben Tagen fällig.",
        "deadlines" in tasks.applies,
    )
    add(
        "ergebnisse",
        "Ergebnisse nachtragen",
        "meeting",
        [_meeting(session, town, m) for m in tasks.without_results],
        "Alle Sitzungen haben ihre Ergebnisse.",
        "without_results" in tasks.applies,
    )
    add(
        "sitzungen",
        "Meine nächsten Sitzungen",
        "meeting",
        [_meeting(session, town, m) for m in tasks.next_meetings],
        "Keine Sitzungen geplant.",
        "next_meetings" in tasks.applies,
    )
    return render(request, "start.html", page(me, town, "start", tasks=tasks, sections=sections, now=now))
