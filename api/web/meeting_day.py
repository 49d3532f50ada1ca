"""The secretary's meeting day: attendance with substitutes (late arrivals and early departures by changing it
between TOPs; each result keeps who was present at it), the quorum, and per TOP the result (the form itself is
``api.web.result_form``): outcome, votes with an "einstimmig" shortcut, faction counts, named votes, earlier
votes on other subjects, the casting vote, recusals, who presided, a late item's approval; corrections with a
reason; the approval of the minutes.

Routes only translate. Who may record is the JSON API's rule (``require_record_for``); the form becomes the
API's ``ResultIn`` and, through ``api.routes.results``, the use case's input; a resent form is answered once by
the API's idempotency record (the form carries its key). The use cases check everything; their refusals come
back next to the field they concern, with everything typed still in the form.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from api import schemas
from api.deps import Now, ReadSession, Sessions, Town, refresh, release
from api.idempotency import StillRunning, run_idempotent
from api.routes.results import faction_keys, result_input
from api.web import links
from api.web.context import MEETING_TONES, own_town, page
from api.web.meetings import load_agenda
from api.web.result_form import (
    MAX_EARLIER,
    Top,
    build_top,
    field_of,
    read_form,
    text_of,
    values_of,
    wants_another_vote,
)
from api.web.session import LoggedIn, check_csrf
from api.web.templating import render
from workflow import meetings, quorum, results
from workflow.access import Forbidden, Principal, require_record_for
from workflow.errors import DomainError, NotFound, RuleViolation
from workflow.models import AgendaItem, Faction, Meeting, Municipality, Person
from workflow.queries import meeting_allowed_triggers, result_text
from workflow.rules import BERLIN
from workflow.store import seats
from workflow.vocabulary import (
    MEETING_STATE_LABELS,
    AttendanceStatus,
    ConsultationRole,
    MeetingState,
    MembershipRole,
)
from workflow.web_sessions import ActiveSession

router = APIRouter(include_in_schema=False, dependencies=[Depends(check_csrf)])

#: The attendance choices as the form names them.
ATTENDANCE = {
    "anwesend": AttendanceStatus.present,
    "entschuldigt": AttendanceStatus.excused,
    "abwesend": None,
}
ATTENDANCE_FIELD = {AttendanceStatus.present: "anwesend", AttendanceStatus.excused: "entschuldigt"}
ROLE_TEXT = {
    ConsultationRole.decision: "Entscheidung",
    ConsultationRole.preliminary: "Vorberatung",
    ConsultationRole.hearing: "Anhörung",
    ConsultationRole.notice: "Kenntnisnahme",
}
MEMBER_ROLE_TEXT = {MembershipRole.chair: "Vorsitz", MembershipRole.deputy_chair: "stellv. Vorsitz"}
RECORDING_STATES = (MeetingState.invited, MeetingState.held)


def _url(session: Session, town: Municipality, meeting: Meeting, rest: str = "") -> str:
    return links.meeting(session, town.key, meeting) + "/sitzungsdienst" + rest


def _recorder(me: ActiveSession, town: Municipality, meeting: Meeting) -> Principal:
    """A secretary of one of the meeting's bodies (or an administrator); everyone else gets the API's 403."""
    if meeting.municipality_id != town.id:
        raise NotFound(f"meeting {meeting.id} not found")
    return require_record_for(own_town(me, town), meeting)


def _may_record(who: Principal, meeting: Meeting, item: AgendaItem) -> bool:
    """The TOP has a paper and the caller may record for its body (in a joint meeting: only their body's)."""
    if item.consultation is None:
        return False
    try:
        require_record_for(who, meeting, item.consultation.body_id)
    except Forbidden:
        return False
    return True


def _day(meeting: Meeting) -> dt.date:
    return meeting.start.astimezone(BERLIN).date()


def _present(meeting: Meeting) -> set[int]:
    return {a.person_id for a in meeting.attendance if a.status == AttendanceStatus.present}


# ------------------------------------------------------------------------------------------ attendance


def _attendance(session: Session, meeting: Meeting) -> list[dict[str, Any]]:
    """Per body its seats on the day (members first, then substitutes) with their attendance; a person on two
    bodies of a joint meeting is listed once. Before anything is recorded the members are shown present and
    the substitutes absent, for the secretary to check."""
    recorded = {a.person_id: AttendanceStatus(a.status) for a in meeting.attendance}
    day = _day(meeting)
    listed: set[int] = set()
    out = []
    for body in meeting.bodies:
        body_seats = seats(session, body.id, day)
        ids = {s.person_id for s in body_seats} | {
            s.substitute_of_id for s in body_seats if s.substitute_of_id
        }
        people = {p.id: p for p in session.scalars(select(Person).where(Person.id.in_(sorted(ids))))}
        faction_ids = {s.faction_id for s in body_seats if s.faction_id}
        factions = dict(
            session.execute(
                select(Faction.id, Faction.short_name).where(Faction.id.in_(sorted(faction_ids)))
            ).all()
        )
        rows = []
        for seat in sorted(body_seats, key=lambda s: s.role is MembershipRole.substitute):
            if seat.person_id in listed:
                continue
            listed.add(seat.person_id)
            substitute = seat.role is MembershipRole.substitute
            if meeting.attendance:
                status = ATTENDANCE_FIELD.get(
                    recorded.get(seat.person_id, AttendanceStatus.absent), "abwesend"
                )
            else:
                status = "abwesend" if substitute else "anwesend"
            standing_in = people.get(seat.substitute_of_id) if seat.substitute_of_id else None
            rows.append(
                {
                    "id": seat.person_id,
                    "name": people[seat.person_id].name,
                    "faction": factions.get(seat.faction_id) if seat.faction_id else None,
                    "role": MEMBER_ROLE_TEXT.get(seat.role),
                    "substitute_for": standing_in.name
                    if standing_in
                    else ("Vertretung" if substitute else None),
                    "advisory": not seat.voting_right,
                    "status": status,
                }
            )
        out.append({"key": body.key, "name": body.name, "people": rows})
    return out


def _quorum(session: Session, meeting: Meeting) -> list[dict[str, Any]]:
    names = {b.key: b.name for b in meeting.bodies}
    return [{"name": names[q.body_key], "status": q} for q in quorum.quorum_status(session, meeting)]


# ---------------------------------------------------------------------------------------------- a TOP


def _top(session: Session, town: Municipality, meeting: Meeting, item: AgendaItem) -> Top:
    return build_top(session, town, item, _present(meeting), _day(meeting))


# ---------------------------------------------------------------------------------------------- the page


def _page(
    request: Request,
    session: Session,
    town: Municipality,
    me: ActiveSession,
    meeting: Meeting,
    now: dt.datetime,
    *,
    current_id: int | None = None,
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    section_errors: dict[str, str] | None = None,
    saved: str | None = None,
    status: int = 200,
) -> Response:
    who = _recorder(me, town, meeting)
    state = MeetingState(meeting.state)
    recording = state in RECORDING_STATES
    load_agenda(session, meeting)
    items = list(meeting.agenda_items)
    mine = {i.id for i in items if _may_record(who, meeting, i)}
    open_items = [i for i in items if i.id in mine and i.result is None]
    current = next((i for i in items if i.id == current_id and i.id in mine), None)
    if current is None and recording:
        current = open_items[0] if open_items else None
    top = _top(session, town, meeting, current) if current is not None else None
    if top is not None and values is None:
        faction_of = {id_: key for key, id_ in faction_keys(session, town.id).items()}
        values = values_of(current.result if current else None, faction_of)
    agenda = [
        {
            "id": i.id,
            "number": i.number,
            "title": i.title,
            "public": i.public,
            "result": result_text(i),
            "mine": i.id in mine,
            "url": _url(session, town, meeting, f"?top={i.id}") if i.id in mine else None,
            "current": current is not None and i.id == current.id,
        }
        for i in items
    ]
    return render(
        request,
        "meeting_day.html",
        page(
            me,
            town,
            meeting=meeting,
            bodies=[b.name for b in meeting.bodies],
            state_label=MEETING_STATE_LABELS[state],
            state_tone=MEETING_TONES[state],
            meeting_url=links.meeting(session, town.key, meeting),
            url=_url(session, town, meeting),
            recording=recording,
            attendance=_attendance(session, meeting),
            attendance_recorded=bool(meeting.attendance),
            present_count=len(_present(meeting)),
            quorum=_quorum(session, meeting),
            agenda=agenda,
            top=top,
            top_url=_url(session, town, meeting, f"/top/{current.id}") if current else None,
            paper=current.consultation.paper if current and current.consultation else None,
            paper_url=links.paper(town.key, current.consultation.paper)
            if current and current.consultation
            else None,
            role_text=ROLE_TEXT.get(top.role) if top else None,
            eligible=top.eligible(set()) if top else 0,
            factions_given=any(
                v for typed in (values or {}).get("fraktionen", {}).values() for v in typed.values()
            ),
            values=values or {},
            errors=errors or {},
            section_errors=section_errors or {},
            saved=_message(meeting, saved),
            may_approve_minutes="approve_minutes" in meeting_allowed_triggers(meeting, now),
        ),
        block="day",
        status=status,
    )


def _meeting(session: Session, town: Municipality, slug: str) -> Meeting:
    return links.meeting_from_slug(session, town.id, slug)


def _item(meeting: Meeting, item_id: int) -> AgendaItem:
    item = next((i for i in meeting.agenda_items if i.id == item_id), None)
    if item is None:
        raise NotFound(
            f"agenda item {item_id} not found", german="Diesen TOP gibt es in dieser Sitzung nicht"
        )
    return item


def _message(meeting: Meeting, code: str | None) -> str | None:
    """What a change that was just saved says at the top of the page (``gespeichert`` in the address)."""
    if code == "anwesenheit":
        present = sum(1 for a in meeting.attendance if a.status == AttendanceStatus.present)
        return f"Die Anwesenheit ist gespeichert: {present} anwesend."
    if code == "beschlussfaehigkeit":
        return "Die Feststellung zur Beschlussfähigkeit ist gespeichert."
    if code == "niederschrift":
        return "Die Genehmigung der Niederschrift ist erfasst."
    kind, _, raw = (code or "").partition("-")
    item = next((i for i in meeting.agenda_items if str(i.id) == raw), None)
    if item is None or kind not in ("top", "berichtigung"):
        return None
    if kind == "berichtigung":
        return f"Die Berichtigung von TOP {item.number} ist gespeichert."
    return f"Das Ergebnis von TOP {item.number} ist gespeichert."


Again = Callable[..., Response]


def _again(
    request: Request, session: Session, town: Municipality, me: ActiveSession, slug: str, now: dt.datetime
) -> Again:
    """The page once more, as the use case left the meeting (after a change or a refusal)."""

    def render_page(**kwargs: Any) -> Response:
        refresh(session)
        return _page(request, session, town, me, _meeting(session, town, slug), now, **kwargs)

    return render_page


def _done(request: Request, url: str, again: Again, *, top: int | None, code: str) -> Response:
    """After a change: htmx gets the day's part of the page at once; a plain form is sent to the page."""
    query = f"?top={top}&gespeichert={code}" if top else f"?gespeichert={code}"
    if request.headers.get("HX-Request") == "true":
        response = again(current_id=top, saved=code)
        response.headers["HX-Push-Url"] = url + (f"?top={top}" if top else "")
        return response
    return RedirectResponse(url + query, status_code=303)


@router.get("/{municipality}/sitzungen/{slug}/sitzungsdienst")
def meeting_day(
    request: Request,
    town: Town,
    slug: str,
    me: LoggedIn,
    session: ReadSession,
    now: Now,
    top: int | None = None,
    gespeichert: str | None = None,
) -> Response:
    meeting = _meeting(session, town, slug)
    return _page(request, session, town, me, meeting, now, current_id=top, saved=gespeichert)


def _top_of(form: FormData) -> int | None:
    raw = text_of(form, "top")
    return int(raw) if raw.isdigit() and len(raw) < 10 else None


@router.post("/{municipality}/sitzungen/{slug}/sitzungsdienst/anwesenheit")
async def record_attendance(
    request: Request, town: Town, slug: str, me: LoggedIn, session: ReadSession, sessions: Sessions, now: Now
) -> Response:
    meeting = _meeting(session, town, slug)
    who = _recorder(me, town, meeting)
    form = await request.form()
    shown = [p["id"] for body in _attendance(session, meeting) for p in body["people"]]
    chosen = {pid: ATTENDANCE.get(text_of(form, f"person-{pid}")) for pid in shown}
    present = [pid for pid, status in chosen.items() if status is AttendanceStatus.present]
    excused = [pid for pid, status in chosen.items() if status is AttendanceStatus.excused]
    top, url = _top_of(form), _url(session, town, meeting)
    again = _again(request, session, town, me, slug, now)
    release(session)
    try:
        meetings.record_attendance(
            sessions, actor=who.actor, meeting_id=meeting.id, present=present, excused=excused, now=now
        )
    except DomainError as exc:
        return again(current_id=top, section_errors={"anwesenheit": exc.german}, status=422)
    return _done(request, url, again, top=top, code="anwesenheit")


@router.post("/{municipality}/sitzungen/{slug}/sitzungsdienst/beschlussfaehigkeit")
async def record_quorum(
    request: Request, town: Town, slug: str, me: LoggedIn, session: ReadSession, sessions: Sessions, now: Now
) -> Response:
    """The chair established the quorum at the opening, or (``ab_top``) its lack from a TOP on."""
    meeting = _meeting(session, town, slug)
    who = _recorder(me, town, meeting)
    form = await request.form()
    body, from_item, top = text_of(form, "gremium"), text_of(form, "ab_top"), _top_of(form)
    lack = text_of(form, "aktion") == "fehlen"
    url = _url(session, town, meeting)
    again = _again(request, session, town, me, slug, now)
    release(session)
    try:
        if lack:
            if not from_item.isdigit() or len(from_item) > 9:
                raise RuleViolation("Choose the TOP", german="Bitte wählen Sie den TOP, ab dem sie fehlt.")
            quorum.establish_lack_of_quorum(
                sessions,
                actor=who.actor,
                meeting_id=meeting.id,
                body=body,
                from_item_id=int(from_item),
                now=now,
            )
        else:
            quorum.establish_quorum(sessions, actor=who.actor, meeting_id=meeting.id, body=body, now=now)
    except DomainError as exc:
        return again(current_id=top, section_errors={f"quorum-{body}": exc.german}, status=422)
    return _done(request, url, again, top=top, code="beschlussfaehigkeit")


def _record_once(
    sessions: Any,
    who: Principal,
    key: str,
    method: str,
    path: str,
    payload: Any,
    record: Callable[[], tuple[int, object]],
) -> None:
    """The use case through the API's idempotency record: a form sent again with its key is answered from
    the record; a double click whose first request still runs waits for that one's answer."""
    for _ in range(40):
        try:
            run_idempotent(sessions, who, key, method, path, payload, record)
            return
        except StillRunning:
            time.sleep(0.25)
    raise StillRunning(
        "The first request with this key is still running",
        german="Das Ergebnis wird gerade gespeichert. Bitte laden Sie die Seite gleich neu.",
    )


@router.post("/{municipality}/sitzungen/{slug}/sitzungsdienst/top/{item_id}")
async def record_top(
    request: Request,
    town: Town,
    slug: str,
    item_id: int,
    me: LoggedIn,
    session: ReadSession,
    sessions: Sessions,
    now: Now,
) -> Response:
    """Record the TOP's result, or correct it with a reason; the same key sent again records nothing twice."""
    meeting = _meeting(session, town, slug)
    item = _item(meeting, item_id)
    if item.consultation is None:
        raise NotFound(f"agenda item {item_id} has no paper", german="Dieser TOP hat keine Vorlage")
    who = require_record_for(own_town(me, town), meeting, item.consultation.body_id)
    form = await request.form()
    # The form says what it is: a correction form carries the revision it corrects. A result form sent again
    # after its result was recorded is answered from the idempotency record, not taken for a correction.
    correcting = bool(text_of(form, "revision"))
    values, errors, payload = read_form(form, _top(session, town, meeting, item), correcting=correcting)
    factions = faction_keys(session, town.id)
    url, order = _url(session, town, meeting), item.order
    again = _again(request, session, town, me, slug, now)
    if wants_another_vote(form):  # a row for one more earlier vote; nothing is recorded
        if len(values["weitere"]) < MAX_EARLIER:
            values["weitere"].append({"gegenstand": "", "ja": "", "nein": "", "enthaltung": ""})
        release(session)
        return again(current_id=item_id, values=values)
    data: schemas.ResultIn | None = None
    if payload is not None:
        try:
            data = (schemas.CorrectionIn if correcting else schemas.ResultIn).model_validate(payload)
        except ValidationError:
            errors["_form"] = "Eine Angabe ist zu lang oder außerhalb des erlaubten Bereichs."
    if data is None:
        release(session)
        return again(current_id=item_id, values=values, errors=errors, status=422)
    given = result_input(factions, data)
    release(session)

    def record() -> tuple[int, object]:
        if isinstance(data, schemas.CorrectionIn):
            row = results.correct_result(
                sessions,
                who=who,
                agenda_item_id=item_id,
                result=given,
                reason=data.reason,
                expected_revision=data.expected_revision,
                now=now,
            )
            return 200, {"agenda_item_id": item_id, "revision": row.revision}
        row = results.record_result(sessions, who=who, agenda_item_id=item_id, result=given, now=now)
        return 201, {"agenda_item_id": item_id, "revision": row.revision}

    try:
        _record_once(
            sessions,
            who,
            values["schluessel"],
            "PUT" if correcting else "POST",
            request.url.path,
            data.model_dump(mode="json"),
            record,
        )
    except Forbidden:
        raise
    except DomainError as exc:
        return again(current_id=item_id, values=values, errors={field_of(exc): exc.german}, status=422)
    if correcting:
        return _done(request, url, again, top=item_id, code=f"berichtigung-{item_id}")
    refresh(session)
    meeting = _meeting(session, town, slug)
    later = [i for i in meeting.agenda_items if i.result is None and _may_record(who, meeting, i)]
    following = next((i for i in later if i.order > order), later[0] if later else None)
    return _done(request, url, again, top=following.id if following else None, code=f"top-{item_id}")


@router.post("/{municipality}/sitzungen/{slug}/sitzungsdienst/niederschrift")
async def approve_minutes(
    request: Request, town: Town, slug: str, me: LoggedIn, session: ReadSession, sessions: Sessions, now: Now
) -> Response:
    meeting = _meeting(session, town, slug)
    who = _recorder(me, town, meeting)
    url = _url(session, town, meeting)
    again = _again(request, session, town, me, slug, now)
    release(session)
    try:
        meetings.approve_minutes(sessions, actor=who.actor, meeting_id=meeting.id, now=now)
    except DomainError as exc:
        return again(section_errors={"niederschrift": exc.german}, status=422)
    return _done(request, url, again, top=None, code="niederschrift")
