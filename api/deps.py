"""Dependencies shared by the routes: the database, the caller, the municipality, path ids."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Annotated

from anyio import CapacityLimiter, to_thread
from fastapi import Depends, Path, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import Field, TypeAdapter, ValidationError
from sqlalchemy.orm import Session, sessionmaker

from workflow.access import (
    Principal,
    Role,
    principal_for_token,
    recording_scope,
    require_council_member,
    require_edit_draft,
    require_manage_paper,
    require_read_paper,
    require_record_for,
    require_record_in,
    require_role,
    require_same_municipality,
    require_start_circulation,
)
from workflow.db import wrote_nothing
from workflow.models import AgendaItem, Circulation, Consultation, Meeting, Municipality, Paper
from workflow.store import get, municipality_by_key, not_found

MAX_ID = 2_147_483_647  # PostgreSQL integer


async def get_now(request: Request) -> dt.datetime:
    """The current time from the app's clock (a fixed or simulated clock in tests and demos).

    ``async``: it does no I/O, and a plain ``def`` dependency costs a hop to the thread pool per request."""
    clock: Callable[[], dt.datetime] = request.app.state.clock
    return clock()


Now = Annotated[dt.datetime, Depends(get_now)]


async def get_sessions(request: Request) -> sessionmaker[Session]:  # async: no I/O, no thread hop
    sessions: sessionmaker[Session] = request.app.state.sessions
    return sessions


Sessions = Annotated[sessionmaker[Session], Depends(get_sessions)]


def read_session(sessions: Sessions) -> Iterator[Session]:
    """A session for reading; writes go through the use cases, which commit on their own.

    It ends as ``release`` does when nothing was written, so that the connection keeps its prepared
    statements for the next request (closing with a rollback would drop them, see ``release``); anything
    changed or flushed through it is rolled back as before."""
    with sessions() as session:
        yield session
        if wrote_nothing(session):
            release(session)


ReadSession = Annotated[Session, Depends(read_session)]


def refresh(session: Session) -> None:
    """Read what a use case just committed: end the read transaction (its snapshot predates the write)
    and forget every object read so far."""
    session.rollback()
    session.expire_all()


def release(session: Session) -> None:
    """End the read transaction so its connection returns to the pool before a use case takes its own:
    a request never holds two connections at once (under load that would exhaust the pool).

    Commit, not rollback: nothing was written, and with ``expire_on_commit=False`` the objects already
    read stay readable, where a rollback would expire them and the next attribute access would take the
    connection back in the middle of the use case. After a rollback psycopg also drops the connection's
    prepared statements (DEALLOCATE ALL), and PostgreSQL would parse and plan every statement of the use
    case that takes the connection next.
    """
    session.commit()


_bearer = HTTPBearer(auto_error=False, description="Token from POST /api/v1/auth/token")

Credentials = Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]


def current_principal(
    session: ReadSession,
    now: Now,
    credentials: Credentials,
) -> Principal | None:
    """The logged-in caller, or None for the public. A bad or expired token is a 401, not the public."""
    if credentials is None:
        return None
    return principal_for_token(session, credentials.credentials, now)


Caller = Annotated[Principal | None, Depends(current_principal)]

MUNICIPALITY_KEY = r"^[a-z0-9][a-z0-9_-]{0,63}$"
MunicipalityKey = Annotated[
    str, Path(pattern=MUNICIPALITY_KEY, description="Key of the municipality", examples=["wetzlar"])
]


def town_of(municipality: MunicipalityKey, session: ReadSession) -> Municipality:
    return municipality_by_key(session, municipality)


Town = Annotated[Municipality, Depends(town_of)]

PaperId = Annotated[int, Path(ge=1, le=MAX_ID, description="Id of the paper (Vorlage)", examples=[1])]
MeetingId = Annotated[int, Path(ge=1, le=MAX_ID, description="Id of the meeting (Sitzung)", examples=[1])]
ItemId = Annotated[int, Path(ge=1, le=MAX_ID, description="Id of the agenda item (TOP)", examples=[1])]
StepId = Annotated[int, Path(ge=1, le=MAX_ID, description="Id of the step (Beratungsschritt)", examples=[1])]
CirculationId = Annotated[
    int,
    Path(ge=1, le=MAX_ID, description="Id of the decision without a meeting (Umlaufverfahren)", examples=[1]),
]


def agenda_item_in(town: Town, item_id: ItemId, session: ReadSession) -> AgendaItem:
    """The TOP, if it belongs to a meeting of the municipality in the path (else 404)."""
    item = get(session, AgendaItem, item_id)
    if item.meeting.municipality_id != town.id:
        raise not_found("meeting", item.meeting_id)
    return item


AgendaItemOr404 = Annotated[AgendaItem, Depends(agenda_item_in)]


@dataclass(frozen=True)
class Recording:
    """Who records (or corrects) the result of a TOP, and the municipality in the path."""

    who: Principal
    municipality_id: int


async def recording_threads(request: Request) -> CapacityLimiter:  # async: no I/O, no thread hop
    """The threads results are recorded in (``api.app.RECORDING_THREADS`` at once)."""
    threads: CapacityLimiter = request.app.state.recording_threads
    return threads


RecordingThreads = Annotated[CapacityLimiter, Depends(recording_threads)]


#: The TOP's id as sent, for ``recording_lookups``: FastAPI validates it as ``ItemId`` (422 for 0, a number
#: too large or no number) only after the dependencies, so an unknown municipality (404) and a bad token
#: (401) are answered first.
SentItemId = Annotated[str, Path(alias="item_id", include_in_schema=False)]
_ITEM_ID = TypeAdapter(Annotated[int, Field(ge=1, le=MAX_ID)])


async def recording_lookups(
    municipality: MunicipalityKey,
    item_id: SentItemId,
    credentials: Credentials,
    sessions: Sessions,
    now: Now,
    threads: RecordingThreads,
) -> Recording | None:
    """The lookups of ``result_recorder`` in one step: the municipality (404), the caller (401), where the
    TOP's result is recorded (a TOP of another municipality is a 404) and whether the caller may record
    there (403); None if there is no such TOP. One hop to one of the recording threads (``threads``, not
    the 40 of the default pool: with 32 requests at once waking that many threads cost the event loop CPU
    per result), in a session of their own that is closed before the route runs."""
    return await to_thread.run_sync(
        _recording_lookups, municipality, item_id, credentials, sessions, now, limiter=threads
    )


def _recording_lookups(
    municipality: str,
    item_id: str,
    credentials: HTTPAuthorizationCredentials | None,
    sessions: sessionmaker[Session],
    now: dt.datetime,
) -> Recording | None:
    try:
        item = _ITEM_ID.validate_python(item_id)
    except ValidationError:  # not an id: FastAPI answers 422 for it (``ItemId``) after the checks below
        item = None
    with sessions() as session:
        scope = None if item is None else recording_scope(session, item)
        if scope is not None and scope.municipality_key == municipality:
            town_id = scope.municipality_id  # the TOP's meeting vouches for the municipality in the path
        else:
            town_id = municipality_by_key(session, municipality).id
        who = None if credentials is None else principal_for_token(session, credentials.credentials, now)
        release(session)
    if scope is None:
        return None
    if scope.municipality_id != town_id:
        raise not_found("meeting", scope.meeting_id)
    return Recording(require_record_in(who, scope.municipality_id, set(scope.body_ids)), town_id)


async def result_recorder(
    found: Annotated[Recording | None, Depends(recording_lookups)], item_id: ItemId
) -> Recording:
    """Who may record or correct the result of the TOP: a secretary of its body (a TOP without a paper:
    of one of the meeting's bodies), or an administrator. The municipality first: an unknown one is a 404
    before a bad token's 401, as on every route. ``async``: it does no I/O (no hop to the thread pool)."""
    if found is None:
        raise not_found("agenda_item", item_id, entity="agenda_item", id=item_id)
    return found


ResultRecorder = Annotated[Recording, Depends(result_recorder)]


# ------------------------------------------------------------------------ papers and meetings, and who may act


def paper_in(town: Town, paper_id: PaperId, session: ReadSession, who: Caller) -> Paper:
    """The paper, if it belongs to the municipality in the path and the caller may read it (else 404)."""
    paper = get(session, Paper, paper_id)
    if paper.municipality_id != town.id:
        raise not_found("paper", paper_id)
    require_read_paper(session, who, paper)
    return paper


PaperOr404 = Annotated[Paper, Depends(paper_in)]


def meeting_in(town: Town, meeting_id: MeetingId, session: ReadSession) -> Meeting:
    """The meeting, if it belongs to the municipality in the path (else 404)."""
    meeting = get(session, Meeting, meeting_id)
    if meeting.municipality_id != town.id:
        raise not_found("meeting", meeting_id)
    return meeting


MeetingOr404 = Annotated[Meeting, Depends(meeting_in)]


def office(town: Town, who: Caller) -> Principal:
    """The coordination office (Sitzungsdienst) of the municipality, or an administrator."""
    caller = require_role(who, Role.coordination)
    require_same_municipality(caller, town.id)
    return caller


Office = Annotated[Principal, Depends(office)]


def department_or_office(town: Town, who: Caller) -> Principal:
    """A department or the coordination office of the municipality (or an administrator)."""
    caller = require_role(who, Role.department, Role.coordination)
    require_same_municipality(caller, town.id)
    return caller


DepartmentOrOffice = Annotated[Principal, Depends(department_or_office)]


def staff_or_member(town: Town, who: Caller) -> Principal:
    """Anyone with a login of the municipality: its staff and its council members."""
    caller = require_role(who, Role.coordination, Role.department, Role.secretary, Role.council_member)
    require_same_municipality(caller, town.id)
    return caller


StaffOrMember = Annotated[Principal, Depends(staff_or_member)]


def draft_editor(paper: PaperOr404, who: Caller) -> Principal:
    """Who may edit the draft: its department or the coordination office."""
    return require_edit_draft(who, paper)


DraftEditor = Annotated[Principal, Depends(draft_editor)]


def paper_manager(paper: PaperOr404, who: Caller) -> Principal:
    """Who may plan, withdraw and otherwise manage the paper."""
    return require_manage_paper(who, paper)


PaperManager = Annotated[Principal, Depends(paper_manager)]


def meeting_recorder(meeting: MeetingOr404, who: Caller) -> Principal:
    """Who may record attendance and approve minutes: a secretary of one of the meeting's bodies."""
    return require_record_for(who, meeting)


MeetingRecorder = Annotated[Principal, Depends(meeting_recorder)]


# ------------------------------------------------------------------------ decisions without a meeting


def step_in(town: Town, step_id: StepId, session: ReadSession) -> Consultation:
    """The step, if its paper belongs to the municipality in the path (else 404)."""
    step = get(session, Consultation, step_id)
    if step.paper.municipality_id != town.id:
        raise not_found("consultation", step_id)
    return step


StepOr404 = Annotated[Consultation, Depends(step_in)]


def circulation_starter(town: Town, who: Caller, step: StepOr404) -> Principal:
    """Who starts a decision without a meeting on the step: the coordination office, or a secretary of the
    step's body."""
    return require_start_circulation(who, town.id, step.body_id)


CirculationStarter = Annotated[Principal, Depends(circulation_starter)]


def circulation_in(town: Town, circulation_id: CirculationId, session: ReadSession) -> Circulation:
    """The circulation, if it belongs to the municipality in the path (else 404)."""
    circulation = get(session, Circulation, circulation_id)
    if circulation.municipality_id != town.id:
        raise not_found("circulation", circulation_id)
    return circulation


CirculationOr404 = Annotated[Circulation, Depends(circulation_in)]


def circulation_member(town: Town, who: Caller) -> Principal:
    """Who answers in a circulation: a council member of the municipality (the use case checks that they
    belong to the body)."""
    return require_council_member(who, town.id)


CirculationMember = Annotated[Principal, Depends(circulation_member)]


def administrator(town: Town, who: Caller) -> Principal:
    """The administrator of the municipality (users, roles, persons and memberships)."""
    caller = require_role(who, Role.admin)
    require_same_municipality(caller, town.id)
    return caller


Administrator = Annotated[Principal, Depends(administrator)]
