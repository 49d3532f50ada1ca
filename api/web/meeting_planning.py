"""The coordination office's meeting planning: meetings per body (joint meetings included) with their
Ladungsfrist, "Sitzung anlegen", moving a meeting's date, time or place, and cancelling it.

Routes only translate: who may is the JSON API's rule (the office of the municipality, or its
administrator: ``office_page``); creating, moving and cancelling are the use cases ``create_meeting``,
``move_meeting`` and ``cancel_meeting``, whose refusals come back next to the field they concern. Every form
works without JavaScript; htmx only swaps the list or the form in place.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload
from starlette.datastructures import FormData

from api.deps import Now, ReadSession, Sessions, Town, refresh, release
from api.web import links
from api.web.context import MEETING_TONES, own_town, page
from api.web.session import LoggedIn, check_csrf
from api.web.templating import render
from workflow import meeting_changes, meetings
from workflow.access import Principal, Role, require_role, require_same_municipality
from workflow.errors import DomainError, NotFound, NoticePeriodViolation, TransitionNotAllowed
from workflow.models import Body, Meeting, MeetingBody, Municipality
from workflow.notice import invitation_deadline
from workflow.queries import meeting_allowed_triggers
from workflow.rules import BERLIN
from workflow.vocabulary import MEETING_STATE_LABELS, MeetingState
from workflow.web_sessions import ActiveSession

router = APIRouter(include_in_schema=False, dependencies=[Depends(check_csrf)])

COMING = 25  # meetings listed ahead (a body's own list is shorter)
PAST = 10  # meetings listed back


def office_page(me: LoggedIn, town: Town) -> Principal:
    """The coordination office of the municipality, or its administrator (the API's ``office`` rule);
    anyone else gets the German 403 page, a visitor the login page."""
    return require_role(own_town(me, town), Role.coordination)


OfficePage = Annotated[Principal, Depends(office_page)]


def _text(form: FormData, name: str) -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


def _htmx(request: Request) -> bool:
    return request.headers.get("HX-Request") == "true"


def _done(request: Request, url: str) -> Response:
    """After a successful form: to ``url`` (htmx follows the header, a browser the redirect)."""
    if _htmx(request):
        return Response(status_code=204, headers={"HX-Redirect": url})
    return RedirectResponse(url, status_code=303)


# ---------------------------------------------------------------------------------- the list


def _deadline(session: Session, meeting: Meeting, now: dt.datetime) -> dict[str, Any] | None:
    if meeting.state != MeetingState.planned:
        return None
    found = invitation_deadline(session, meeting)
    basis = f", {found.rule.legal_basis}" if found.rule.legal_basis else ""
    return {
        "latest_dispatch": found.latest_dispatch,
        "rule": found.rule.describe() + basis,
        "passed": found.latest_dispatch < now,
    }


def _entry(session: Session, town: Municipality, meeting: Meeting, now: dt.datetime) -> dict[str, Any]:
    state = MeetingState(meeting.state)
    url = links.meeting(session, town.key, meeting)
    return {
        "url": url,
        "name": meeting.name,
        "start": meeting.start,
        "end": meeting.end,
        "location": meeting.location,
        "bodies": [b.name for b in meeting.bodies],
        "state": MEETING_STATE_LABELS[state],
        "tone": MEETING_TONES[state],
        "deadline": _deadline(session, meeting, now),
        "invited_at": meeting.invitation_sent_at,
        "move_url": links.meeting_move(url) if meeting_changes.may_move(meeting) else None,
        "cancel_url": links.meeting_cancel(url)
        if "cancel" in meeting_allowed_triggers(meeting, now)
        else None,
    }


def _meetings(session: Session, town: Municipality, body: Body | None, now: dt.datetime) -> dict[str, Any]:
    query = select(Meeting).where(Meeting.municipality_id == town.id).options(selectinload(Meeting.bodies))
    if body is not None:
        query = query.where(
            Meeting.id.in_(select(MeetingBody.meeting_id).where(MeetingBody.body_id == body.id))
        )
    today = dt.datetime.combine(now.astimezone(BERLIN).date(), dt.time(), BERLIN)
    coming = session.scalars(
        query.where(Meeting.start >= today).order_by(Meeting.start, Meeting.id).limit(COMING)
    ).all()
    past = session.scalars(
        query.where(Meeting.start < today).order_by(Meeting.start.desc()).limit(PAST)
    ).all()
    links.prefetch_meetings(session, [*coming, *past])  # their addresses, in one query
    planned = [m.id for m in coming if m.state == MeetingState.planned]
    if planned:  # their deadlines read their agendas (a matter with a minimum notice period): all at once
        session.scalars(
            select(Meeting).where(Meeting.id.in_(planned)).options(selectinload(Meeting.agenda_items))
        ).all()
    return {
        "coming": [_entry(session, town, m, now) for m in coming],
        "more_coming": len(coming) == COMING,
        "past": [_entry(session, town, m, now) for m in past],
    }


def _bodies(session: Session, town: Municipality) -> list[Body]:
    return list(session.scalars(select(Body).where(Body.municipality_id == town.id).order_by(Body.id)))


def _planning_page(
    request: Request,
    session: Session,
    me: ActiveSession,
    town: Municipality,
    now: dt.datetime,
    *,
    body: Body | None,
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    bodies = _bodies(session, town)
    values = values or {"gremium": [body.key] if body else [], "beginn": "17:00"}
    return render(
        request,
        "meeting_planning.html",
        page(
            me,
            town,
            "planning",
            body=body,
            body_options=[(b.key, b.name) for b in bodies],
            action=links.planning(town.key),
            values=values,
            errors=errors or {},
            **_meetings(session, town, body, now),
        ),
        block="liste",
        status=status,
    )


def _body_of(session: Session, town: Municipality, key: str) -> Body | None:
    if not key:
        return None
    found = session.scalars(
        select(Body).where(Body.municipality_id == town.id, Body.key == key)
    ).one_or_none()
    if found is None:
        raise NotFound(f"body {key} not found", german=f"Das Gremium „{key}“ gibt es nicht")
    return found


@router.get("/{municipality}/sitzungsplanung")
def planning(
    request: Request,
    town: Town,
    me: LoggedIn,
    _office: OfficePage,
    session: ReadSession,
    now: Now,
    gremium: Annotated[str, Query(max_length=64)] = "",
) -> Response:
    return _planning_page(request, session, me, town, now, body=_body_of(session, town, gremium))


def _moment(day: str, time: str) -> dt.datetime | None:
    """A Berlin wall-clock date and time as an aware datetime; None if either does not parse."""
    try:
        return dt.datetime.combine(dt.date.fromisoformat(day), dt.time.fromisoformat(time), BERLIN)
    except ValueError:
        return None


def _when(form: FormData, errors: dict[str, str]) -> tuple[dt.datetime | None, dt.datetime | None]:
    """Start and end from the fields datum, beginn, ende, with a German error per field."""
    day, begin, finish = _text(form, "datum"), _text(form, "beginn"), _text(form, "ende")
    start = end = None
    try:
        dt.date.fromisoformat(day)
    except ValueError:
        errors["datum"] = "Bitte geben Sie das Datum der Sitzung an, z. B. 28.10.2013."
    else:
        start = _moment(day, begin)
        if start is None:
            errors["beginn"] = "Bitte geben Sie die Uhrzeit des Beginns an, z. B. 17:00."
        elif finish:
            end = _moment(day, finish)
            if end is None:
                errors["ende"] = (
                    "Bitte geben Sie die Uhrzeit des Endes an, z. B. 19:30, oder lassen Sie das Feld leer."
                )
            elif end <= start:
                errors["ende"] = "Das Ende muss nach dem Beginn liegen."
    if len(_text(form, "ort")) > 300:
        errors["ort"] = "Der Ort ist zu lang (höchstens 300 Zeichen)."
    return start, end


@router.post("/{municipality}/sitzungsplanung")
async def create(
    request: Request,
    town: Town,
    me: LoggedIn,
    who: OfficePage,
    session: ReadSession,
    sessions: Sessions,
    now: Now,
) -> Response:
    """Sitzung anlegen: one body, or several for a joint meeting."""
    form = await request.form()
    keys = [v for v in form.getlist("gremium") if isinstance(v, str) and v]
    values: dict[str, Any] = {
        name: _text(form, name) for name in ("datum", "beginn", "ende", "ort", "bezeichnung")
    }
    values["gremium"] = keys
    errors: dict[str, str] = {}
    known = {b.key for b in _bodies(session, town)}
    if not keys or not set(keys) <= known:
        errors["gremium"] = "Bitte wählen Sie das Gremium; für eine gemeinsame Sitzung mehrere."
    start, end = _when(form, errors)
    if len(values["bezeichnung"]) > 300:
        errors["bezeichnung"] = "Die Bezeichnung ist zu lang (höchstens 300 Zeichen)."
    body = _body_of(session, town, keys[0]) if len(keys) == 1 and keys[0] in known else None
    if errors or start is None:
        return _planning_page(
            request, session, me, town, now, body=body, values=values, errors=errors, status=422
        )
    release(session)
    try:
        meeting = meetings.create_meeting(
            sessions,
            actor=who.actor,
            municipality=town.key,
            bodies=list(dict.fromkeys(keys)),
            start=start,
            end=end,
            location=values["ort"] or None,
            name=values["bezeichnung"] or None,
            now=now,
        )
    except DomainError as exc:
        refresh(session)
        errors = {"_form": exc.german}
        return _planning_page(
            request, session, me, town, now, body=body, values=values, errors=errors, status=422
        )
    refresh(session)
    return _done(request, links.meeting(session, town.key, session.get_one(Meeting, meeting.id)))


# ------------------------------------------------------------------------------- moving


def _move_page(
    request: Request,
    session: Session,
    me: ActiveSession,
    town: Municipality,
    meeting: Meeting,
    now: dt.datetime,
    *,
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    if values is None:
        start = meeting.start.astimezone(BERLIN)
        values = {
            "datum": f"{start:%Y-%m-%d}",
            "beginn": f"{start:%H:%M}",
            "ende": f"{meeting.end.astimezone(BERLIN):%H:%M}" if meeting.end else "",
            "ort": meeting.location or "",
        }
    invited = meeting.state == MeetingState.invited
    rule = None
    if invited:
        found = invitation_deadline(session, meeting).rule
        rule = found.describe() + (f", {found.legal_basis}" if found.legal_basis else "")
    url = links.meeting(session, town.key, meeting)
    return render(
        request,
        "meeting_move.html",
        page(
            me,
            town,
            "planning",
            meeting=meeting,
            meeting_url=url,
            action=links.meeting_move(url),
            bodies=[b.name for b in meeting.bodies],
            invited=invited,
            rule=rule,
            values=values,
            errors=errors or {},
        ),
        block="formular",
        status=status,
    )


@router.get("/{municipality}/sitzungen/{slug}/verlegen")
def move_form(
    request: Request, town: Town, slug: str, me: LoggedIn, _office: OfficePage, session: ReadSession, now: Now
) -> Response:
    meeting = links.meeting_from_slug(session, town.id, slug)
    meeting_changes.check_movable(meeting)
    return _move_page(request, session, me, town, meeting, now)


@router.post("/{municipality}/sitzungen/{slug}/verlegen")
async def move(
    request: Request,
    town: Town,
    slug: str,
    me: LoggedIn,
    who: OfficePage,
    session: ReadSession,
    sessions: Sessions,
    now: Now,
) -> Response:
    meeting = links.meeting_from_slug(session, town.id, slug)
    form = await request.form()
    values: dict[str, Any] = {
        name: _text(form, name) for name in ("datum", "beginn", "ende", "ort", "begruendung")
    }
    values["dringlich"] = form.get("dringlich") == "ja"
    errors: dict[str, str] = {}
    start, end = _when(form, errors)
    if values["dringlich"] and not values["begruendung"]:
        errors["begruendung"] = (
            "Bitte begründen Sie die Dringlichkeit; die Begründung steht in der Einladung."
        )
    if errors or start is None:
        return _move_page(request, session, me, town, meeting, now, values=values, errors=errors, status=422)
    meeting_id = meeting.id
    release(session)
    try:
        meeting_changes.move_meeting(
            sessions,
            actor=who.actor,
            meeting_id=meeting_id,
            start=start,
            end=end,
            location=values["ort"] or None,
            urgent=values["dringlich"],
            urgent_reason=values["begruendung"] or None,
            now=now,
        )
    except DomainError as exc:
        refresh(session)
        meeting = session.get_one(Meeting, meeting_id)
        # A meeting held or cancelled meanwhile says so above the form (also when htmx sent it).
        field = "_form"
        if isinstance(exc, NoticePeriodViolation):
            field = "dringlich"
        elif start <= now and not isinstance(exc, TransitionNotAllowed):
            field = "datum"
        errors = {field: exc.german}
        return _move_page(request, session, me, town, meeting, now, values=values, errors=errors, status=422)
    refresh(session)
    return _done(request, links.meeting(session, town.key, session.get_one(Meeting, meeting_id)))


# --------------------------------------------------------------------------------- cancelling


def _check_cancellable(meeting: Meeting, now: dt.datetime) -> None:
    if "cancel" not in meeting_allowed_triggers(meeting, now):
        label = MEETING_STATE_LABELS[MeetingState(meeting.state)]
        raise TransitionNotAllowed(
            f"The meeting is '{meeting.state}'; it can no longer be cancelled",
            german=f"Die Sitzung „{meeting.name}“ ist {label}; sie kann nicht mehr abgesagt werden.",
            state=meeting.state,
        )


def _cancel_page(
    request: Request,
    session: Session,
    me: ActiveSession,
    town: Municipality,
    meeting: Meeting,
    *,
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    papers = [
        {"number": i.number, "title": i.title, "reference": i.consultation.paper.reference}
        for i in meeting.agenda_items
        if i.consultation is not None and i.consultation.agenda_item_id == i.id
    ]
    url = links.meeting(session, town.key, meeting)
    return render(
        request,
        "meeting_cancel.html",
        page(
            me,
            town,
            "planning",
            meeting=meeting,
            meeting_url=url,
            action=links.meeting_cancel(url),
            bodies=[b.name for b in meeting.bodies],
            invited=meeting.invitation_sent_at is not None,
            papers=papers,
            values=values or {},
            errors=errors or {},
        ),
        block="formular",
        status=status,
    )


@router.get("/{municipality}/sitzungen/{slug}/absagen")
def cancel_form(
    request: Request, town: Town, slug: str, me: LoggedIn, _office: OfficePage, session: ReadSession, now: Now
) -> Response:
    meeting = links.meeting_from_slug(session, town.id, slug)
    _check_cancellable(meeting, now)
    return _cancel_page(request, session, me, town, meeting)


@router.post("/{municipality}/sitzungen/{slug}/absagen")
async def cancel(
    request: Request,
    town: Town,
    slug: str,
    me: LoggedIn,
    who: OfficePage,
    session: ReadSession,
    sessions: Sessions,
    now: Now,
) -> Response:
    """Sitzung absagen: with a reason, confirmed; the use case sends its TOPs' papers back to waiting."""
    meeting = links.meeting_from_slug(session, town.id, slug)
    form = await request.form()
    values = {"grund": _text(form, "grund"), "bestaetigt": form.get("bestaetigt") == "ja"}
    errors: dict[str, str] = {}
    if not values["grund"]:
        errors["grund"] = (
            "Bitte geben Sie den Grund der Absage an; er steht in der Absage an die Eingeladenen."
        )
    elif len(str(values["grund"])) > 5000:
        errors["grund"] = "Der Grund ist zu lang (höchstens 5000 Zeichen)."
    if not values["bestaetigt"]:
        errors["bestaetigt"] = "Bitte bestätigen Sie, dass die Sitzung abgesagt werden soll."
    if errors:
        return _cancel_page(request, session, me, town, meeting, values=values, errors=errors, status=422)
    url, meeting_id = links.meeting(session, town.key, meeting), meeting.id
    release(session)
    try:
        meetings.cancel_meeting(
            sessions, actor=who.actor, meeting_id=meeting_id, reason=str(values["grund"]), now=now
        )
    except DomainError as exc:  # e.g. held or cancelled meanwhile: said above the form
        refresh(session)
        meeting = session.get_one(Meeting, meeting_id)
        return _cancel_page(
            request, session, me, town, meeting, values=values, errors={"_form": exc.german}, status=422
        )
    return _done(request, url)


def office_actions(
    session: Session, town: Municipality, who: Principal | None, meeting: Meeting, now: dt.datetime
) -> dict[str, str]:
    """The meeting page's links to moving and cancelling, for those who may (``office_page``'s rule)."""
    try:
        require_same_municipality(require_role(who, Role.coordination), town.id)
    except DomainError:
        return {}
    actions, url = {}, links.meeting(session, town.key, meeting)
    if meeting_changes.may_move(meeting):
        actions["Sitzung verlegen"] = links.meeting_move(url)
    if "cancel" in meeting_allowed_triggers(meeting, now):
        actions["Sitzung absagen"] = links.meeting_cancel(url)
    return actions
