"""The coordination office's submission inbox ("Eingang"): the drafts ready to submit, each with its button,
and those still waiting for co-signatures; 50 at a time with the count, filtered by department and by words
of the Betreff or the Drucksachen-Nr., paged, all with a shareable address
(``/wetzlar/eingang?fachamt=kbs&q=Spielplatz&seite=2``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from api.deps import Now, ReadSession, Sessions, Town, release
from api.web import links
from api.web.context import own_town, page
from api.web.paging import page_number, pager
from api.web.session import LoggedIn, check_csrf
from api.web.templating import render
from workflow import papers
from workflow.access import Role, require_role
from workflow.errors import DomainError, NotFound
from workflow.models import Department, Municipality, Paper
from workflow.submission_inbox import submission_inbox
from workflow.vocabulary import PAPER_KIND_LABELS, PAPER_STATE_LABELS, PaperKind, PaperState
from workflow.web_sessions import ActiveSession

router = APIRouter(include_in_schema=False, dependencies=[Depends(check_csrf)])

Key = Annotated[str, Query(max_length=64)]
Slug = Annotated[str, Query(max_length=80)]
Text = Annotated[str, Query(max_length=200)]
Number = Annotated[str, Query(max_length=40)]


@dataclass(frozen=True)
class Filters:
    """What the address asks for: ``fachamt``, ``q``, ``seite`` (ready), ``seite_mitzeichnung`` (waiting)."""

    department: str = ""
    text: str = ""
    ready_page: str = ""
    waiting_page: str = ""

    def url(
        self, town: Municipality, ready: int | None = None, waiting: int | None = None, submitted: str = ""
    ) -> str:
        """The inbox with these filters on the given pages (page 1 is left out of the address)."""
        return links.inbox(
            town.key,
            eingereicht=submitted,
            fachamt=self.department,
            q=self.text.strip(),
            seite=str(ready) if ready and ready > 1 else None,
            seite_mitzeichnung=str(waiting) if waiting and waiting > 1 else None,
        )


def _entry(town: Municipality, paper: Paper) -> dict[str, Any]:
    return {
        "id": paper.id,
        "url": links.paper(town.key, paper),
        "subject": paper.subject,
        "label": paper.reference or "Entwurf",
        "kind": PAPER_KIND_LABELS[PaperKind(paper.kind)],
        "state": PAPER_STATE_LABELS[PaperState(paper.state)],
        "department": paper.department.name,
        "date": paper.paper_date,
        "planned": bool(paper.consultations),
        "plan_url": links.beratungsfolge(town.key, paper),
    }


def _departments(session: Session, town: Municipality) -> list[Department]:
    return list(
        session.scalars(
            select(Department).where(Department.municipality_id == town.id).order_by(Department.name)
        )
    )


def _inbox_page(
    request: Request,
    session: Session,
    town: Municipality,
    me: ActiveSession,
    filters: Filters,
    *,
    submitted: Paper | None = None,
    error: str | None = None,
) -> Response:
    departments = _departments(session, town)
    department = next((d for d in departments if d.key == filters.department), None)
    ready_number, ready_notice = page_number(filters.ready_page)
    waiting_number, waiting_notice = page_number(filters.waiting_page)
    inbox = submission_inbox(
        session,
        town.id,
        department.id if department else None,
        filters.text,
        ready_page=ready_number,
        waiting_page=waiting_number,
    )
    shown = Filters(filters.department if department else "", filters.text.strip())
    return render(
        request,
        "eingang.html",
        page(
            me,
            town,
            "inbox",
            action=links.inbox(town.key),
            submit_url=links.inbox_submit(town.key),
            fachamt=shown.department,
            q=shown.text,
            department_options=[(d.key, d.name) for d in departments],
            ready=[_entry(town, p) for p in inbox.ready.items],
            ready_pager=pager(
                inbox.ready,
                lambda n: shown.url(town, ready=n, waiting=inbox.waiting.number),
                ready_notice,
            ),
            ready_page=inbox.ready.number,
            waiting=[{**_entry(town, w.paper), "missing": w.missing} for w in inbox.waiting.items],
            waiting_pager=pager(
                inbox.waiting,
                lambda n: shown.url(town, ready=inbox.ready.number, waiting=n),
                waiting_notice,
            ),
            waiting_page=inbox.waiting.number,
            submitted=_entry(town, submitted) if submitted else None,
            errors={"_form": error} if error else {},
        ),
        block="eingang",
        status=422 if error else 200,
    )


@router.get("/{municipality}/eingang", response_class=HTMLResponse)
def inbox_page(
    request: Request,
    town: Town,
    me: LoggedIn,
    session: ReadSession,
    fachamt: Key = "",
    q: Text = "",
    seite: Number = "",
    seite_mitzeichnung: Number = "",
    eingereicht: Slug = "",
) -> Response:
    """``?fachamt=kbs`` filters by department, ``?q=Spielplatz`` by words of the Betreff or the
    Drucksachen-Nr.; ``?seite=2`` and ``?seite_mitzeichnung=2`` page the two lists; ``?eingereicht=1563-13``
    names the paper just submitted."""
    require_role(own_town(me, town), Role.coordination)
    submitted = None
    if eingereicht:
        try:
            submitted = links.paper_from_slug(session, town.id, eingereicht)
        except DomainError:
            submitted = None  # an outdated address: no notice rather than an error
    filters = Filters(fachamt, q, seite, seite_mitzeichnung)
    return _inbox_page(request, session, town, me, filters, submitted=submitted)


@router.post("/{municipality}/eingang/einreichen")
async def submit_from_inbox(
    request: Request, town: Town, me: LoggedIn, session: ReadSession, sessions: Sessions, now: Now
) -> Response:
    """Submit one paper of the inbox (it gets its Drucksachen-Nr.) and come back to the inbox."""
    who = require_role(own_town(me, town), Role.coordination)
    form = await request.form()
    slug = form.get("vorlage")
    filters = Filters(*(_field(form.get(name)) for name in ("fachamt", "q", "seite", "seite_mitzeichnung")))
    # The paper's id, not its address: the address of a draft changes when someone else submits it first.
    paper = (
        session.get(Paper, int(slug)) if isinstance(slug, str) and slug.isdigit() and len(slug) < 10 else None
    )
    if paper is None or paper.municipality_id != town.id:
        raise NotFound("paper not found", german="Diese Vorlage gibt es nicht")
    release(session)
    try:
        submitted = papers.submit_paper(sessions, actor=who.actor, paper_id=paper.id, now=now)
    except DomainError as exc:
        session.expire_all()
        return _inbox_page(request, session, town, me, filters, error=exc.german)
    ready, waiting = page_number(filters.ready_page)[0], page_number(filters.waiting_page)[0]
    back = filters.url(town, ready=ready, waiting=waiting, submitted=links.paper_slug(submitted))
    return RedirectResponse(back, status_code=303)


def _field(value: object, limit: int = 200) -> str:
    return value[:limit] if isinstance(value, str) else ""
