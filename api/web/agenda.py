"""The coordination office's agenda builder: papers waiting for the meeting's bodies go on the public or the
non-public part, plain items (Mitteilungen, Anfragen) are added with a title, TOPs are ordered by buttons
(and, as an enhancement, by drag and drop, which sends the same form) and taken off again while allowed.

Routes only translate: every change is a use case (``workflow.meetings``, ``workflow.agenda``), which numbers
the TOPs and decides what is allowed; its refusal comes back next to the field it concerns. With htmx the
agenda's part of the page is answered; a plain form is sent back to the page.
"""

from __future__ import annotations

import datetime as dt
import json
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from sqlalchemy.orm import Session, sessionmaker
from starlette.datastructures import FormData

from api.deps import Now, ReadSession, Sessions, Town, refresh, release
from api.idempotency import StillRunning, run_idempotent
from api.web import links
from api.web.context import MEETING_TONES, own_town, page
from api.web.paging import page_number, pager
from api.web.session import LoggedIn, check_csrf
from api.web.templating import render
from workflow import agenda, meetings
from workflow.access import Principal, Role, require_role
from workflow.errors import DomainError, NotFound, RuleViolation
from workflow.models import Meeting, Municipality, Paper
from workflow.queries import papers_of_agenda
from workflow.store import profile_of
from workflow.vocabulary import CONSULTATION_ROLE_LABELS, MEETING_STATE_LABELS, ConsultationRole, MeetingState
from workflow.web_sessions import ActiveSession

router = APIRouter(include_in_schema=False, dependencies=[Depends(check_csrf)])

PARTS = {"oeffentlich": True, "nichtoeffentlich": False}
#: The waiting papers shown at a time beside the agenda (the filter and the pages reach the others).
WAITING_PER_PAGE = 10


def _office(me: ActiveSession, town: Municipality, meeting: Meeting) -> Principal:
    """The coordination office of the municipality (or an administrator): the JSON API's rule."""
    if meeting.municipality_id != town.id:
        raise NotFound(f"meeting {meeting.id} not found")
    return require_role(own_town(me, town), Role.coordination)


def _url(session: Session, town: Municipality, meeting: Meeting, rest: str = "") -> str:
    return links.meeting_agenda(session, town.key, meeting) + rest


def _items(
    session: Session, town: Municipality, meeting: Meeting, public: bool, papers: dict[int, Paper]
) -> list[dict[str, Any]]:
    part = [i for i in meeting.agenda_items if i.public is public]
    out = []
    for index, item in enumerate(part):
        paper = papers.get(item.id)
        out.append(
            {
                "id": item.id,
                "number": item.number,
                "title": item.title,
                "paper_url": links.paper(town.key, paper) if paper is not None else None,
                "reference": paper.reference if paper is not None else None,
                "late": item.late_addition,
                "index": index,
                "last": index == len(part) - 1,
                "url": _url(session, town, meeting, f"/{item.id}"),
            }
        )
    return out


def _waiting(town: Municipality, waiting: list[agenda.WaitingStep]) -> list[dict[str, Any]]:
    return [
        {
            "id": w.step.id,
            "earlier_open": ", ".join(w.earlier_open),
            "reference": step.paper.reference,
            "subject": step.paper.subject,
            "paper_url": links.paper(town.key, step.paper),
            "body": step.body.name,
            "role": CONSULTATION_ROLE_LABELS[ConsultationRole(step.role)],
            "public_paper": step.paper.public,
        }
        for w in waiting
        for step in (w.step,)
    ]


def _query(address: str) -> str:
    """The query of ``address`` as a relative address to which one more parameter can be added."""
    query = address.partition("?")[2]
    return f"?{query}&" if query else "?"


def _item_with_error(errors: dict[str, str] | None) -> int | None:
    return next((int(k[4:]) for k in errors or {} if k.startswith("top-") and k[4:].isdigit()), None)


def _message(meeting: Meeting, code: str | None) -> str | None:
    """What a change that was just saved says above the agenda (``gespeichert`` in the address)."""
    if code == "entfernt":
        return "Der TOP ist von der Tagesordnung genommen; die übrigen TOPs sind neu nummeriert."
    kind, _, raw = (code or "").partition("-")
    item = next((i for i in meeting.agenda_items if str(i.id) == raw), None)
    if item is None:
        return None
    if kind == "verschoben":
        return f"„{item.title}“ ist jetzt TOP {item.number}."
    if kind == "neu":
        late = " (nachträglich aufgenommen)" if item.late_addition else ""
        return f"„{item.title}“ steht jetzt als TOP {item.number} auf der Tagesordnung{late}."
    return None


def _page(
    request: Request,
    session: Session,
    town: Municipality,
    me: ActiveSession,
    meeting: Meeting,
    *,
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    saved: str | None = None,
    moved: int | None = None,
    status: int = 200,
    listing: Listing | None = None,
    selected: int | None = None,
) -> Response:
    """``selected``: the TOP whose buttons (move, remove) are shown; the moved one, or one with an error, too."""
    _office(me, town, meeting)
    state = MeetingState(meeting.state)
    editable = state.value in agenda.ORDERING_STATES
    papers = papers_of_agenda(session, meeting.id)
    public_items = _items(session, town, meeting, True, papers)
    non_public_items = _items(session, town, meeting, False, papers)
    listing = listing or Listing()
    number, notice = page_number(listing.page)
    url = _url(session, town, meeting)
    waiting = (
        agenda.waiting_page(session, meeting, listing.text, number, WAITING_PER_PAGE) if editable else None
    )
    return render(
        request,
        "agenda.html",
        page(
            me,
            town,
            meeting=meeting,
            bodies=[b.name for b in meeting.bodies],
            state_label=MEETING_STATE_LABELS[state],
            state_tone=MEETING_TONES[state],
            meeting_url=links.meeting(session, town.key, meeting),
            invitation_url=links.meeting_invitation(session, town.key, meeting),
            url=url,
            editable=editable,
            removable=state is MeetingState.planned,
            invited=state is MeetingState.invited,
            late_rule=agenda.late_item_rule(profile_of(session, meeting.municipality_id)),
            any_late=any(i.late_addition for i in meeting.agenda_items),
            waiting=_waiting(town, waiting.items) if waiting else [],
            waiting_pager=pager(waiting, lambda n: listing.url(url, n), notice) if waiting else None,
            waiting_page=waiting.number if waiting else 1,
            q=listing.text.strip(),
            public_items=public_items,
            non_public_items=non_public_items,
            values={
                **(values or {}),
                "schluessel": (values or {}).get("schluessel") or secrets.token_urlsafe(16),
            },
            errors=errors or {},
            saved=_message(meeting, saved),
            moved=moved,
            selected=selected or moved or _item_with_error(errors),
            done_url=listing.url(url, number),
            select_url=_query(listing.url(url, number)) + "auswahl=",
        ),
        block="agenda",
        status=status,
    )


@dataclass(frozen=True)
class Listing:
    """The list of waiting papers as the address asks for it: ``q`` (words of the Betreff or the
    Drucksachen-Nr.) and ``seite``."""

    text: str = ""
    page: str = ""

    def url(self, agenda_url: str, page: int, saved: str | None = None) -> str:
        given = {"q": self.text.strip(), "seite": str(page) if page > 1 else "", "gespeichert": saved or ""}
        query = urlencode({name: value for name, value in sorted(given.items()) if value})
        return agenda_url + (f"?{query}" if query else "")


Again = Callable[..., Response]


def _again(request: Request, session: Session, town: Municipality, me: ActiveSession, slug: str) -> Again:
    """The page once more, as the use case left the meeting (after a change or a refusal)."""

    def render_page(**kwargs: Any) -> Response:
        refresh(session)
        return _page(request, session, town, me, links.meeting_from_slug(session, town.id, slug), **kwargs)

    return render_page


def _done(request: Request, url: str, again: Again, code: str, moved: int | None = None) -> Response:
    """After a change: htmx gets the agenda's part of the page at once; a plain form is sent to the page."""
    if request.headers.get("HX-Request") == "true":
        return again(saved=code, moved=moved)
    return RedirectResponse(f"{url}?gespeichert={code}", status_code=303)


def _text(form: FormData, name: str) -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


def _number(raw: str) -> int | None:
    return int(raw) if raw.isdigit() and len(raw) < 10 else None


def _part(form: FormData) -> bool | None:
    return PARTS.get(_text(form, "teil"))


@router.get("/{municipality}/sitzungen/{slug}/tagesordnung")
def agenda_page(
    request: Request,
    town: Town,
    slug: str,
    me: LoggedIn,
    session: ReadSession,
    gespeichert: Annotated[str, Query(max_length=40)] = "",
    q: Annotated[str, Query(max_length=200)] = "",
    seite: Annotated[str, Query(max_length=40)] = "",
    auswahl: Annotated[str, Query(max_length=40)] = "",
) -> Response:
    """``?q=Spielplatz`` filters the waiting papers by words of the Betreff or the Drucksachen-Nr., ``?seite=2``
    pages them; ``?gespeichert=…`` names the change just saved; ``?auswahl=TOP`` shows that TOP's buttons
    (after a move the moved TOP keeps them)."""
    meeting = links.meeting_from_slug(session, town.id, slug)
    kind, _, moved = gespeichert.partition("-")
    selected = _number(auswahl) or (_number(moved) if kind == "verschoben" else None)
    return _page(
        request,
        session,
        town,
        me,
        meeting,
        saved=gespeichert or None,
        listing=Listing(q, seite),
        selected=selected,
    )


@router.post("/{municipality}/sitzungen/{slug}/tagesordnung/vorlagen")
async def schedule(
    request: Request, town: Town, slug: str, me: LoggedIn, session: ReadSession, sessions: Sessions, now: Now
) -> Response:
    """A waiting paper's step onto the public or the non-public part: the list's buttons send the step as
    ``oeffentlich`` or ``nichtoeffentlich``; a form of its own as ``schritt`` with ``teil``."""
    form = await request.form()
    for name, public in PARTS.items():
        if step := _text(form, name):
            return _schedule(request, town, slug, me, session, sessions, now, form, public, step)
    return _schedule(request, town, slug, me, session, sessions, now, form, _part(form))


def _schedule(
    request: Request,
    town: Municipality,
    slug: str,
    me: ActiveSession,
    session: Session,
    sessions: sessionmaker[Session],
    now: dt.datetime,
    form: FormData,
    public: bool | None,
    step: str | None = None,
) -> Response:
    meeting = links.meeting_from_slug(session, town.id, slug)
    who = _office(me, town, meeting)
    step_id = _number(step if step is not None else _text(form, "schritt"))
    listing = Listing(_text(form, "q")[:200], _text(form, "seite")[:40])
    url, again = _url(session, town, meeting), _again(request, session, town, me, slug)
    if step_id is None or not agenda.may_go_on_agenda(session, meeting, step_id):
        message = "Diese Vorlage wartet nicht (mehr) auf diese Sitzung. Die Liste ist jetzt aktuell."
        release(session)
        return again(errors={"_form": message}, status=422, listing=listing)
    release(session)
    try:
        result = meetings.schedule_consultation(
            sessions, actor=who.actor, consultation_id=step_id, meeting_id=meeting.id, public=public, now=now
        )
    except DomainError as exc:
        return again(errors={f"schritt-{step_id}": exc.german}, status=422, listing=listing)
    code = f"neu-{result.agenda_item.id}"
    if request.headers.get("HX-Request") == "true":
        return again(saved=code, listing=listing)
    return RedirectResponse(listing.url(url, page_number(listing.page)[0], code), status_code=303)


@router.post("/{municipality}/sitzungen/{slug}/tagesordnung/punkte")
async def add_item(
    request: Request, town: Town, slug: str, me: LoggedIn, session: ReadSession, sessions: Sessions, now: Now
) -> Response:
    """A plain item without a paper (Mitteilungen, Anfragen …) with its title. The form carries a key: sent
    twice (a double click without JavaScript, a resent form), it adds the item once (the API's idempotency
    record)."""
    meeting = links.meeting_from_slug(session, town.id, slug)
    who = _office(me, town, meeting)
    form = await request.form()
    title, part = _text(form, "titel"), _text(form, "teil")
    values = {"titel": title, "teil": part, "schluessel": _text(form, "schluessel")[:200] or None}
    url, again = _url(session, town, meeting), _again(request, session, town, me, slug)
    release(session)
    if not title:
        errors = {"titel": "Bitte geben Sie den Titel des TOP ein, z. B. „Mitteilungen“."}
        return again(values=values, errors=errors, status=422)

    def add() -> tuple[int, object]:
        item = meetings.add_agenda_item(
            sessions, actor=who.actor, meeting_id=meeting.id, title=title, public=PARTS.get(part), now=now
        )
        return 201, {"agenda_item_id": item.id}

    try:
        answer = _once(sessions, who, values["schluessel"], request.url.path, [title, part], add)
    except DomainError as exc:
        return again(values=values, errors={"titel": exc.german}, status=422)
    return _done(request, url, again, f"neu-{json.loads(bytes(answer.body))['agenda_item_id']}")


def _once(
    sessions: Any,
    who: Principal,
    key: str | None,
    path: str,
    payload: Any,
    run: Callable[[], tuple[int, object]],
) -> JSONResponse:
    """``run`` once per key; a second request while the first still runs waits for its answer."""
    for _ in range(40):
        try:
            return run_idempotent(sessions, who, key, "POST", path, payload, run)
        except StillRunning:
            time.sleep(0.25)
    raise StillRunning(
        "The first request with this key is still running",
        german="Der TOP wird gerade gespeichert. Bitte laden Sie die Seite gleich neu.",
    )


GONE = "Diesen TOP gibt es nicht mehr auf der Tagesordnung (jemand hat sie inzwischen geändert); unten steht sie, wie sie jetzt ist."


def _has_item(meeting: Meeting, item_id: int) -> bool:
    return any(i.id == item_id for i in meeting.agenda_items)


@router.post("/{municipality}/sitzungen/{slug}/tagesordnung/aendern")
async def change(
    request: Request, town: Town, slug: str, me: LoggedIn, session: ReadSession, sessions: Sessions, now: Now
) -> Response:
    """The buttons of an agenda's part, one form for the whole list: ``verschieben`` = "TOP:position" moves a
    TOP (one up or down; drag and drop sends any position), ``entfernen`` = TOP removes it."""
    form = await request.form()
    if remove_id := _text(form, "entfernen"):
        return _remove(request, town, slug, me, session, sessions, now, _number(remove_id))
    item, _, position = _text(form, "verschieben").partition(":")
    return _move(request, town, slug, me, session, sessions, now, _number(item), _number(position))


def _move(
    request: Request,
    town: Municipality,
    slug: str,
    me: ActiveSession,
    session: Session,
    sessions: sessionmaker[Session],
    now: dt.datetime,
    item_id: int | None,
    position: int | None,
) -> Response:
    meeting = links.meeting_from_slug(session, town.id, slug)
    who = _office(me, town, meeting)
    url, again = _url(session, town, meeting), _again(request, session, town, me, slug)
    found = item_id is not None and _has_item(meeting, item_id)
    release(session)
    if item_id is None:
        return again(errors={"_form": "Bitte wählen Sie, welcher TOP wohin soll."}, status=422)
    if not found:
        return again(errors={"_form": GONE}, status=422)
    try:
        if position is None:
            raise RuleViolation("No position given", german="Bitte wählen Sie, wohin der TOP soll.")
        agenda.move_agenda_item(sessions, actor=who.actor, item_id=item_id, position=position, now=now)
    except DomainError as exc:
        return again(errors={f"top-{item_id}": exc.german}, status=422)
    return _done(request, url, again, f"verschoben-{item_id}", moved=item_id)


def _remove(
    request: Request,
    town: Municipality,
    slug: str,
    me: ActiveSession,
    session: Session,
    sessions: sessionmaker[Session],
    now: dt.datetime,
    item_id: int | None,
) -> Response:
    meeting = links.meeting_from_slug(session, town.id, slug)
    who = _office(me, town, meeting)
    url, again = _url(session, town, meeting), _again(request, session, town, me, slug)
    found = item_id is not None and _has_item(meeting, item_id)
    release(session)
    if item_id is None or not found:
        return again(errors={"_form": GONE}, status=422)
    try:
        agenda.remove_agenda_item(sessions, actor=who.actor, item_id=item_id, now=now)
    except DomainError as exc:
        return again(errors={f"top-{item_id}": exc.german}, status=422)
    return _done(request, url, again, "entfernt")
