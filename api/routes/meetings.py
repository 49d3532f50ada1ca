"""Meetings (Sitzungen): create, agenda, invitation, cancellation, attendance, minutes; results per TOP."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Callable, Coroutine
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi.routing import APIRoute
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from starlette.concurrency import run_in_threadpool

from api import schemas, views
from api.deps import (
    Caller,
    Credentials,
    ItemId,
    MeetingId,
    MunicipalityKey,
    Now,
    ReadSession,
    Sessions,
    Town,
    refresh,
    refuse_before_validation,
    release,
)
from api.idempotency import run_idempotent
from api.result_admission import Submission, admit, named_factions, recorder, result_input
from api.result_writer import ResultWriter
from api.routes.papers import (
    BodyKeyPath,
    Cursor,
    IdempotencyKey,
    Limit,
    SafeDateQuery,
    keyset_page,
)
from workflow import meetings, results
from workflow.access import (
    Role,
    can_see_non_public_of,
    require_record_for,
    require_role,
    require_same_municipality,
)
from workflow.errors import DomainError, NotFound, RuleViolation
from workflow.models import AgendaItem, Body, Consultation, Faction, ItemResult, Meeting, MeetingBody, Paper
from workflow.queries import waiting_for
from workflow.rules import BERLIN
from workflow.store import by_key, get
from workflow.vocabulary import Channel, MeetingState

router = APIRouter(prefix="/api/v1/{municipality}", tags=["Sitzungen (meetings)"])


def _meeting(session: ReadSession, town_id: int, meeting_id: int) -> Meeting:
    meeting = get(session, Meeting, meeting_id)
    if meeting.municipality_id != town_id:
        raise NotFound(f"meeting {meeting_id} not found (Sitzung {meeting_id} gibt es nicht)")
    return meeting


def _meeting_body(session: ReadSession, meeting_id: int, who: Caller, now: dt.datetime) -> dict[str, object]:
    refresh(session)  # the use case committed in its own transaction; read what it left
    body = views.meeting_out(session, get(session, Meeting, meeting_id), who, now).model_dump(mode="json")
    release(session)
    return body


def _meeting_response(session: ReadSession, meeting_id: int, who: Caller, now: dt.datetime) -> JSONResponse:
    return JSONResponse(_meeting_body(session, meeting_id, who, now))


def _coordination(who: Caller, town: Town) -> str:
    caller = require_role(who, Role.coordination)
    require_same_municipality(caller, town.id)
    return caller.actor


@router.get("/meetings", response_model=schemas.Page[schemas.MeetingSummary], summary="List meetings")
def list_meetings(
    town: Town,
    session: ReadSession,
    body: Annotated[str | None, Query(pattern=r"^[a-z0-9][a-z0-9_-]{0,63}$")] = None,
    state: MeetingState | None = None,
    date_from: SafeDateQuery = None,
    date_to: SafeDateQuery = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> schemas.Page[schemas.MeetingSummary]:
    """Newest first (by id, a stable keyset order)."""
    query = select(Meeting).where(Meeting.municipality_id == town.id)
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
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    caller = require_role(who, Role.coordination)
    require_same_municipality(caller, town.id)

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
def read_meeting(
    town: Town, meeting_id: MeetingId, session: ReadSession, who: Caller, now: Now
) -> schemas.MeetingOut:
    return views.meeting_out(session, _meeting(session, town.id, meeting_id), who, now)


@router.post(
    "/meetings/{meeting_id}/agenda-items",
    status_code=201,
    response_model=schemas.MeetingOut,
    summary="Put a paper's step, or a plain item, on the agenda",
)
def add_agenda_item(
    now: Now,
    town: Town,
    meeting_id: MeetingId,
    data: schemas.AgendaItemIn,
    request: Request,
    sessions: Sessions,
    session: ReadSession,
    who: Caller,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    meeting = _meeting(session, town.id, meeting_id)
    caller = require_role(who, Role.coordination)
    require_same_municipality(caller, town.id)
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


@router.post(
    "/meetings/{meeting_id}/agenda",
    response_model=schemas.MeetingOut,
    summary="Build the agenda from every paper waiting for the meeting's bodies",
)
def build_agenda(
    now: Now, town: Town, meeting_id: MeetingId, sessions: Sessions, session: ReadSession, who: Caller
) -> JSONResponse:
    """Oldest submission first; public items in the public part (Ö), the others in the non-public part (N)."""
    meeting = _meeting(session, town.id, meeting_id)
    release(session)
    meetings.build_agenda(sessions, actor=_coordination(who, town), meeting_id=meeting.id, now=now)
    return _meeting_response(session, meeting.id, who, now)


@router.get(
    "/bodies/{body}/waiting",
    response_model=list[schemas.WaitingStepOut],
    summary="Papers waiting for a meeting of this body",
)
def waiting(town: Town, body: BodyKeyPath, session: ReadSession, who: Caller) -> list[schemas.WaitingStepOut]:
    require_same_municipality(require_role(who, Role.coordination), town.id)
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
    town: Town,
    meeting_id: MeetingId,
    data: schemas.InvitationIn,
    sessions: Sessions,
    session: ReadSession,
    who: Caller,
) -> JSONResponse:
    meeting = _meeting(session, town.id, meeting_id)
    release(session)
    meetings.invite_meeting(
        sessions,
        actor=_coordination(who, town),
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
    town: Town,
    meeting_id: MeetingId,
    data: schemas.ReasonIn,
    sessions: Sessions,
    session: ReadSession,
    who: Caller,
) -> JSONResponse:
    meeting = _meeting(session, town.id, meeting_id)
    release(session)
    meetings.cancel_meeting(
        sessions, actor=_coordination(who, town), meeting_id=meeting.id, reason=data.reason, now=now
    )
    return _meeting_response(session, meeting.id, who, now)


@router.put(
    "/meetings/{meeting_id}/attendance", response_model=schemas.MeetingOut, summary="Record attendance"
)
def attendance(
    now: Now,
    town: Town,
    meeting_id: MeetingId,
    data: schemas.AttendanceIn,
    sessions: Sessions,
    session: ReadSession,
    who: Caller,
) -> JSONResponse:
    meeting = _meeting(session, town.id, meeting_id)
    caller = require_record_for(who, meeting)
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
    "/meetings/{meeting_id}/minutes-approval",
    response_model=schemas.MeetingOut,
    summary="The body approved the minutes (Niederschrift)",
)
def approve_minutes(
    now: Now, town: Town, meeting_id: MeetingId, sessions: Sessions, session: ReadSession, who: Caller
) -> JSONResponse:
    meeting = _meeting(session, town.id, meeting_id)
    caller = require_record_for(who, meeting)
    release(session)
    meetings.approve_minutes(sessions, actor=caller.actor, meeting_id=meeting.id, now=now)
    return _meeting_response(session, meeting.id, who, now)


# -------------------------------------------------------------------------------------------- results


def _item(session: ReadSession, town_id: int, item_id: int) -> tuple[AgendaItem, Meeting]:
    item = get(session, AgendaItem, item_id)
    meeting = _meeting(session, town_id, item.meeting_id)
    return item, meeting


def _result_json(row: ItemResult | results.RecordedResult, factions: dict[str, int]) -> dict[str, object]:
    return views.result_out(row, {id_: key for key, id_ in factions.items()}).model_dump(mode="json")


def _result_body(session: ReadSession, town_id: int, item_id: int) -> dict[str, object]:
    refresh(session)
    item = get(session, AgendaItem, item_id)
    if item.result is None:
        raise NotFound(f"No result recorded for TOP {item.number} yet")
    faction_keys = {
        f.id: f.key for f in session.scalars(select(Faction).where(Faction.municipality_id == town_id))
    }
    body = views.result_out(item.result, faction_keys).model_dump(mode="json")
    release(session)
    return body


def _may_see_item(session: ReadSession, who: Caller, item: AgendaItem, meeting: Meeting) -> None:
    if not item.public and not can_see_non_public_of(session, who, meeting):
        raise NotFound(f"agenda item {item.id} not found")


@router.get("/agenda-items/{item_id}/result", response_model=schemas.ResultOut, summary="The result of a TOP")
def read_result(town: Town, item_id: ItemId, session: ReadSession, who: Caller) -> JSONResponse:
    item, meeting = _item(session, town.id, item_id)
    _may_see_item(session, who, item, meeting)
    return JSONResponse(_result_body(session, town.id, item.id))


class _AnswersLikeTheOtherRoutes(APIRoute):
    """Recording a result takes neither ``Town`` nor ``Caller`` as a dependency (the result writer checks
    both), so FastAPI would answer a malformed body with 422 even for an unknown municipality or a bad
    token; every other route answers 404 or 401 first. When validation fails, those two are checked
    as the other routes would, and the 422 stands only if neither applies."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def checked(request: Request) -> Response:
            try:
                return await handler(request)
            except RequestValidationError:
                await refuse_before_validation(request)
                raise

        return checked


async def record_result(
    item_id: ItemId,
    municipality: MunicipalityKey,
    data: schemas.ResultIn,
    request: Request,
    now: Now,
    credentials: Credentials,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    # ``async``: the request hands its result to the result writer (api.result_writer), which checks the
    # caller, the TOP and the factions (api.result_admission) and records the result together with those
    # that arrive at the same moment; the request awaits the answer without holding a thread or a
    # connection. The answer is built from the result the use case returns, not read back
    # (docs/benchmarks.md).
    writer: ResultWriter = request.app.state.result_writer
    submission = Submission(
        credentials.credentials if credentials else None, municipality, item_id, data, now
    )
    if idempotency_key is None:
        answer = await asyncio.wrap_future(writer.submit(submission))
        return JSONResponse(_result_json(answer.result, answer.factions), status_code=201)
    sessions: sessionmaker[Session] = request.app.state.sessions
    return await run_in_threadpool(
        _record_once, sessions, writer, submission, idempotency_key, request.url.path
    )


def _record_once(
    sessions: sessionmaker[Session], writer: ResultWriter, submission: Submission, key: str, path: str
) -> JSONResponse:
    """With an ``Idempotency-Key``: the key belongs to the caller, so the request is checked first (as the
    writer would check it), then its key reserved and its result recorded at most once."""
    with sessions() as session:
        [checked] = admit(session, [submission])
    if isinstance(checked, DomainError):
        raise checked
    admitted = checked

    def compute() -> tuple[int, object]:
        row = writer.record(admitted.recording)
        return 201, _result_json(row, admitted.factions)

    return run_idempotent(
        sessions, admitted.caller, key, "POST", path, submission.data.model_dump(mode="json"), compute
    )


router.add_api_route(
    "/agenda-items/{item_id}/result",
    record_result,
    methods=["POST"],
    status_code=201,
    response_model=schemas.ResultOut,
    summary="Record the result: attendance, votes, outcome",
    route_class_override=_AnswersLikeTheOtherRoutes,
)


@router.put(
    "/agenda-items/{item_id}/result",
    response_model=schemas.ResultOut,
    summary="Correct a recorded result (reason required; the earlier one stays in the history)",
)
def correct_result(
    now: Now,
    town: Town,
    item_id: ItemId,
    data: schemas.CorrectionIn,
    sessions: Sessions,
    session: ReadSession,
    who: Caller,
) -> JSONResponse:
    caller = recorder(session, town.id, item_id, who)
    factions = named_factions(session, town.id, data)
    given = result_input(factions, data)
    release(session)
    row = results.correct_result(
        sessions,
        actor=caller.actor,
        agenda_item_id=item_id,
        result=given,
        reason=data.reason,
        expected_revision=data.expected_revision,
        now=now,
    )
    return JSONResponse(_result_json(row, factions))
