"""Login: a bearer token that expires."""

from __future__ import annotations

from fastapi import APIRouter, Request

from api import schemas
from api.deps import Caller, Now, ReadSession, Sessions
from workflow.access import Unauthenticated, login
from workflow.login_throttle import throttled_login
from workflow.models import Department, Municipality, User

router = APIRouter(prefix="/api/v1", tags=["Anmeldung (auth)"])


@router.post("/auth/token", response_model=schemas.TokenOut, summary="Log in; returns a bearer token")
def create_token(data: schemas.LoginIn, request: Request, sessions: Sessions, now: Now) -> schemas.TokenOut:
    """Repeated failures for one user name or from one address are answered with 429 and Retry-After."""
    token, expires, _user = throttled_login(
        sessions,
        username=data.username,
        address=request.client.host if request.client else None,
        attempt=lambda: login(sessions, username=data.username, password=data.password, now=now),
        now=now,
    )
    return schemas.TokenOut(access_token=token, expires_at=expires)


@router.get("/me", response_model=schemas.MeOut, summary="Who am I")
def me(session: ReadSession, who: Caller) -> schemas.MeOut:
    if who is None:
        raise Unauthenticated("Log in first", german="Bitte zuerst anmelden")
    user = session.get_one(User, who.user_id)
    town = session.get_one(Municipality, user.municipality_id)
    department = session.get(Department, user.department_id) if user.department_id else None
    return schemas.MeOut(
        username=user.username,
        display_name=user.display_name,
        role=user.role,
        municipality=town.key,
        department=department.key if department else None,
        bodies=[b.key for b in user.bodies],
    )
