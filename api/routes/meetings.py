"""Meetings (Sitzungen): create, agenda, invitation, cancellation, attendance, minutes; results per TOP."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse
from sqlalchemy import select

from api import schemas, views
from api.deps import (
    Caller,
    ItemId,
    MeetingOr404,
    MeetingRecorder,
    Now,
    Office,
    ReadSession,
    Sessions,
    Town,
    refresh,
    release,
)
from api.idempotency import run_idempotent
from api.paper_search import keyset_page
from api.routes.papers import (
    BodyKeyPath,
    Cursor,
    IdempotencyKey,
    Limit,
    SafeDateQuery,
)
from workflow import agenda, meeting_changes, meetings, quorum
from workflow.access import can_see_meeting, sees_as_public
from workflow.errors import NotFound, RuleViolation
from workflow.models import Body, Consultation, Meeting, MeetingBody, Paper
from workflow.publication import meeting_is_public
from workflow.queries import waiting_for
from workflow.rules import BERLIN
from workflow.store import by_key, get, not_found
from workflow.vocabulary import Channel, MeetingState

router = APIRouter(prefix="/api/v1/{municipality}", tags=["Sitzungen (meetings)"])


def _meeting_body(session: ReadSession, meeting_id: int, who: Caller, now: dt.datetime) -> dict[str, object]:
    refresh(session)  # the use case committed in its own transaction; read what it left
    body = views.meeting_out(session, get(session, Meeting, meeting_id), who, now).model_dump(mode="json")
    release(session)
    return body


def _meeting_response(session: ReadSession, meeting_id: int, who: Caller, now: dt.datetime) -> JSONResponse:
    return JSONResponse(_meeting_body(session, meeting_id, who, now))


@router.get("/meetings", response_model=schemas.Page[schemas.MeetingSummary], summary="List meetings")
def list_meetings(
    town: Town,
    session: ReadSession,
    who: Caller,
    body: Annotated[str | None, Query(pattern=r"^[a-z0-9][a-z0-9_-]{0,63}$")] = None,
    state: MeetingState | None = None,
    date_from: SafeDateQuery = None,
    date_to: SafeDateQuery = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> schemas.Page[schemas.MeetingSummary]:
    """Newest first (by id, a stable keyset order)."""
    query = select(Meeting).where(Meeting.municipality_id == town.id)
    if sees_as_public(who, town.id):
        query = query.where(meeting_is_public())
    if body:
        body_id = by_key(session, Body, town.id, body).id
        query = query.where(
            Meeting.id.in_(select(MeetingBody.meeting_id).where(MeetingBody.body_id == body_id))
        )
    if state:
        query = query.where(Meeting.state == state.value)
    if date_from:  # days as they are in Berlin, where the meetings take place
        query = query.where(Meeting.start >= dt.datetime.combine(date_from, dt.time(), tzinfo=BERLIN))
    if date_to:
        query = query.where(
            Meeting.start < dt.datetime.combine(date_to + dt.timedelta(days=1), dt.time(), tzinfo=BERLIN)
        )
    rows, next_cursor = keyset_page(session, query, Meeting.id, cursor, limit)
    return schemas.Page[schemas.MeetingSummary](
        items=[views.meeting_summary(m) for m in rows], next_cursor=next_cursor
    )


@router.post("/meetings", status_code=201, response_model=schemas.MeetingOut, summary="Create a meeting")
def create_meeting(
    now: Now,
    town: Town,
    data: schemas.MeetingCreate,
    request: Request,
    sessions: Sessions,
    session: ReadSession,
    who: Caller,
    caller: Office,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    def compute() -> tuple[int, object]:
        release(session)
        meeting = meetings.create_meeting(
            sessions,
            actor=caller.actor,
            municipality=town.key,
            bodies=data.bodies,
            start=data.start,
            end=data.end,
            location=data.location,
            name=data.name,
            second_session=data.second_session,
            now=now,
        )
        return 201, _meeting_body(session, meeting.id, who, now)

    release(session)  # the idempotency record takes a connection of its own
    return run_idempotent(
        sessions, caller, idempotency_key, "POST", request.url.path, data.model_dump(mode="json"), compute
    )


@router.get("/meetings/{meeting_id}", response_model=schemas.MeetingOut, summary="A meeting with its agenda")
def read_meeting(meeting: MeetingOr404, session: ReadSession, who: Caller, now: Now) -> schemas.MeetingOut:
    if not can_see_meeting(session, who, meeting):
        raise not_found("meeting", meeting.id)
    return views.meeting_out(session, meeting, who, now)


@router.post(
    "/meetings/{meeting_id}/agenda-items",
    status_code=201,
    response_model=schemas.MeetingOut,
    summary="Put a paper's step, or a plain item, on the agenda",
)
def add_agenda_item(
    now: Now,
    town: Town,
    meeting: MeetingOr404,
    caller: Office,
    data: schemas.AgendaItemIn,
    request: Request,
    sessions: Sessions,
    session: ReadSession,
    who: Caller,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    if (data.consultation_id is None) == (data.title is None):
        raise RuleViolation("Give either consultation_id (a paper's step) or title (a plain item)")

    def compute() -> tuple[int, object]:
        if data.consultation_id is not None:
            step = get(session, Consultation, data.consultation_id)
            if get(session, Paper, step.paper_id).municipality_id != town.id:
                raise NotFound(f"consultation {data.consultation_id} not found")
            release(session)
            meetings.schedule_consultation(
                sessions,
                actor=caller.actor,
                consultation_id=step.id,
                meeting_id=meeting.id,
                public=data.public,
                matter=data.matter,
                now=now,
            )
        else:
            release(session)
            meetings.add_agenda_item(
                sessions,
                actor=caller.actor,
                meeting_id=meeting.id,
                title=data.title or "",
                public=data.public,
                matter=data.matter,
                now=now,
            )
        return 201, _meeting_body(session, meeting.id, who, now)

    release(session)  # the idempotency record takes a connection of its own
    return run_idempotent(
        sessions, caller, idempotency_key, "POST", request.url.path, data.model_dump(mode="json"), compute
    )


def _item_of(meeting: Meeting, item_id: int) -> int:
    if not any(item.id == item_id for item in meeting.agenda_items):
        raise not_found("agenda_item", item_id, entity="agenda_item", id=item_id)
    return item_id


@router.put(
    "/meetings/{meeting_id}/agenda-items/{item_id}/position",
    response_model=schemas.MeetingOut,
    summary="Move a TOP within its part of the agenda (the engine numbers all TOPs again)",
)
def move_agenda_item(
    now: Now,
    meeting: MeetingOr404,
    item_id: ItemId,
    caller: Office,
    data: schemas.AgendaPositionIn,
    sessions: Sessions,
    session: ReadSession,
    who: Caller,
) -> JSONResponse:
    """While the meeting is planned or invited; after the invitation the members get the changed invitation."""
    item_id = _item_of(meeting, item_id)
    release(session)
    agenda.move_agenda_item(sessions, actor=caller.actor, item_id=item_id, position=data.position, now=now)
    return _meeting_response(session, meeting.id, who, now)


@router.delete(
    "/meetings/{meeting_id}/agenda-items/{item_id}",
    response_model=schemas.MeetingOut,
    summary="Take a TOP off the agenda before the invitation (a paper's step waits for a meeting again)",
)
def remove_agenda_item(
    now: Now,
    meeting: MeetingOr404,
    item_id: ItemId,
    caller: Office,
    sessions: Sessions,
    session: ReadSession,
    who: Caller,
) -> JSONResponse:
    """After the invitation only the body takes a TOP off, in the meeting (result 'removed')."""
    item_id = _item_of(meeting, item_id)
    release(session)
    agenda.remove_agenda_item(sessions, actor=caller.actor, item_id=item_id, now=now)
    return _meeting_response(session, meeting.id, who, now)


@router.post(
    "/meetings/{meeting_id}/agenda",
    response_model=schemas.MeetingOut,
    summary="Build the agenda from every paper waiting for the meeting's bodies",
)
def build_agenda(
    now: Now, meeting: MeetingOr404, caller: Office, sessions: Sessions, session: ReadSession, who: Caller
) -> JSONResponse:
    """Oldest submission first; public items in the public part (Ö), the others in the non-public part (N)."""
    release(session)
    agenda.build_agenda(sessions, actor=caller.actor, meeting_id=meeting.id, now=now)
    return _meeting_response(session, meeting.id, who, now)


@router.get(
    "/bodies/{body}/waiting",
    response_model=list[schemas.WaitingStepOut],
    summary="Papers waiting for a meeting of this body",
)
def waiting(
    town: Town, _office: Office, body: BodyKeyPath, session: ReadSession
) -> list[schemas.WaitingStepOut]:
    body_row = by_key(session, Body, town.id, body)
    out = []
    for step in waiting_for(session, body_row.id):
        paper = step.paper
        out.append(
            schemas.WaitingStepOut(
                consultation_id=step.id,
                paper_id=paper.id,
                reference=paper.reference,
                subject=paper.subject,
                state=step.state,
            )
        )
    return out


@router.post(
    "/meetings/{meeting_id}/invitation",
    response_model=schemas.MeetingOut,
    summary="Issue the invitation (refused after the notice deadline unless urgent with a reason)",
)
def invite(
    now: Now,
    meeting: MeetingOr404,
    caller: Office,
    data: schemas.InvitationIn,
    sessions: Sessions,
    session: ReadSession,
    who: Caller,
) -> JSONResponse:
    release(session)
    meetings.invite_meeting(
        sessions,
        actor=caller.actor,
        meeting_id=meeting.id,
        urgent=data.urgent,
        urgent_reason=data.urgent_reason,
        channel=Channel(data.channel) if data.channel else None,
        now=now,
    )
    return _meeting_response(session, meeting.id, who, now)


@router.post("/meetings/{meeting_id}/cancellation", response_model=schemas.MeetingOut, summary="Cancel")
def cancel(
    now: Now,
    meeting: MeetingOr404,
    caller: Office,
    data: schemas.ReasonIn,
    sessions: Sessions,
    session: ReadSession,
    who: Caller,
) -> JSONResponse:
    release(session)
    meetings.cancel_meeting(sessions, actor=caller.actor, meeting_id=meeting.id, reason=data.reason, now=now)
    return _meeting_response(session, meeting.id, who, now)


@router.post(
    "/meetings/{meeting_id}/move",
    response_model=schemas.MeetingOut,
    summary="Move to another date, time or place (the notice period is checked again once invited)",
)
def move(
    now: Now,
    meeting: MeetingOr404,
    caller: Office,
    data: schemas.MeetingMoveIn,
    sessions: Sessions,
    session: ReadSession,
    who: Caller,
) -> JSONResponse:
    """Fields left out stay as they are; the invitees of an invited meeting get the changed invitation."""
    given = data.model_fields_set
    start = data.start if "start" in given and data.start is not None else meeting.start
    if "end" in given:
        end = data.end
    else:  # the meeting keeps its length
        end = meeting.end + (start - meeting.start) if meeting.end is not None else None
    location = data.location if "location" in given else meeting.location
    release(session)
    meeting_changes.move_meeting(
        sessions,
        actor=caller.actor,
        meeting_id=meeting.id,
        start=start,
        end=end,
        location=location,
        urgent=data.urgent,
        urgent_reason=data.urgent_reason,
        now=now,
    )
    return _meeting_response(session, meeting.id, who, now)


@router.put(
    "/meetings/{meeting_id}/attendance", response_model=schemas.MeetingOut, summary="Record attendance"
)
def attendance(
    now: Now,
    meeting: MeetingOr404,
    caller: MeetingRecorder,
    data: schemas.AttendanceIn,
    sessions: Sessions,
    session: ReadSession,
    who: Caller,
) -> JSONResponse:
    release(session)
    meetings.record_attendance(
        sessions,
        actor=caller.actor,
        meeting_id=meeting.id,
        present=data.present,
        excused=data.excused,
        now=now,
    )
    return _meeting_response(session, meeting.id, who, now)


@router.post(
    "/meetings/{meeting_id}/quorum",
    response_model=schemas.MeetingOut,
    summary="The chair established the quorum at the opening (§ 53 I HGO, § 49 I GO NRW, § 65 I NKomVG)",
)
def establish_quorum(
    now: Now,
    meeting: MeetingOr404,
    caller: MeetingRecorder,
    data: schemas.QuorumIn,
    sessions: Sessions,
    session: ReadSession,
    who: Caller,
) -> JSONResponse:
    release(session)
    quorum.establish_quorum(sessions, actor=caller.actor, meeting_id=meeting.id, body=data.body, now=now)
    return _meeting_response(session, meeting.id, who, now)


@router.post(
    "/meetings/{meeting_id}/quorum/lack",
    response_model=schemas.MeetingOut,
    summary="The chair established the lack of quorum from an agenda item on",
)
def establish_lack_of_quorum(
    now: Now,
    meeting: MeetingOr404,
    caller: MeetingRecorder,
    data: schemas.QuorumLackIn,
    sessions: Sessions,
    session: ReadSession,
    who: Caller,
) -> JSONResponse:
    release(session)
    quorum.establish_lack_of_quorum(
        sessions,
        actor=caller.actor,
        meeting_id=meeting.id,
        body=data.body,
        from_item_id=data.from_item_id,
        now=now,
    )
    return _meeting_response(session, meeting.id, who, now)


@router.post(
    "/meetings/{meeting_id}/minutes-approval",
    response_model=schemas.MeetingOut,
    summary="The body approved the minutes (Niederschrift)",
)
def approve_minutes(
    now: Now,
    meeting: MeetingOr404,
    caller: MeetingRecorder,
    sessions: Sessions,
    session: ReadSession,
    who: Caller,
) -> JSONResponse:
    release(session)
    meetings.approve_minutes(sessions, actor=caller.actor, meeting_id=meeting.id, now=now)
    return _meeting_response(session, meeting.id, who, now)
