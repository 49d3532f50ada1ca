"""Dependencies shared by the routes: the database, the caller, the municipality, path ids."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterator
from typing import Annotated

from fastapi import Depends, Path, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session, sessionmaker
from starlette.concurrency import run_in_threadpool

from workflow.access import Principal, principal_for_token
from workflow.models import Municipality
from workflow.store import municipality_by_key

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
    """A session for reading; writes go through the use cases, which commit on their own."""
    with sessions() as session:
        yield session


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
    connection back in the middle of the use case.
    """
    session.commit()


_bearer = HTTPBearer(auto_error=False, description="Token from POST /api/v1/auth/token")

#: The bearer token as given, not yet checked (for a route that checks it later, as recording a result does).
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


async def refuse_before_validation(request: Request) -> None:
    """What a route with ``Town`` and ``Caller`` answers before FastAPI validates its other parameters and
    body: 404 for an unknown municipality, then 401 for a bad token (FastAPI resolves dependencies
    first). For a route that takes neither as a dependency (recording a result checks them later, in the
    result writer), called when its validation failed; returns if neither applies. Runs the very
    dependencies of the other routes: ``town_of`` (for a well-formed key), ``_bearer`` and
    ``current_principal``."""
    credentials = await _bearer(request)
    await run_in_threadpool(_resolve_town_and_caller, request, credentials)


def _resolve_town_and_caller(request: Request, credentials: HTTPAuthorizationCredentials | None) -> None:
    key = str(request.path_params.get("municipality", ""))
    sessions: sessionmaker[Session] = request.app.state.sessions
    with sessions() as session:
        if re.fullmatch(MUNICIPALITY_KEY, key):
            town_of(key, session)
        current_principal(session, request.app.state.clock(), credentials)


Town = Annotated[Municipality, Depends(town_of)]

PaperId = Annotated[int, Path(ge=1, le=MAX_ID, description="Id of the paper (Vorlage)", examples=[1])]
MeetingId = Annotated[int, Path(ge=1, le=MAX_ID, description="Id of the meeting (Sitzung)", examples=[1])]
ItemId = Annotated[int, Path(ge=1, le=MAX_ID, description="Id of the agenda item (TOP)", examples=[1])]
StepId = Annotated[int, Path(ge=1, le=MAX_ID, description="Id of the step (Beratungsschritt)", examples=[1])]
