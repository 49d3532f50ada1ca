"""Sessions of the web pages: a login kept in a server-side table, named by a secret cookie value.

Only the SHA-256 of the cookie value is stored (like bearer tokens), so a database dump gives no one a
login. Each session carries its own CSRF secret, which every form of the pages sends back.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass

from sqlalchemy import delete, select
from sqlalchemy.orm import Session, sessionmaker

from workflow.access import Principal, Unauthenticated, check_password, principal_for_user
from workflow.db import transaction
from workflow.models import User, WebSession
from workflow.store import clock

#: A working day: after it, the person logs in again.
SESSION_LIFETIME = dt.timedelta(hours=8)


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class OpenedSession:
    token: str  # the cookie value, given out once
    expires_at: dt.datetime
    municipality_id: int


@dataclass(frozen=True)
class ActiveSession:
    principal: Principal
    display_name: str
    csrf_token: str
    expires_at: dt.datetime


def open_session(
    sessions: sessionmaker[Session], *, username: str, password: str, now: dt.datetime | None = None
) -> OpenedSession:
    """Check the password and start a session; its expired sessions are removed on the way."""
    now = clock(now)
    with transaction(sessions) as session:
        user = check_password(session, username=username, password=password)
        session.execute(delete(WebSession).where(WebSession.user_id == user.id, WebSession.expires_at <= now))
        token = secrets.token_urlsafe(32)
        expires = now + SESSION_LIFETIME
        session.add(
            WebSession(
                token_hash=_hash(token),
                user_id=user.id,
                csrf_token=secrets.token_urlsafe(32),
                created_at=now,
                last_seen_at=now,
                expires_at=expires,
            )
        )
    return OpenedSession(token=token, expires_at=expires, municipality_id=user.municipality_id)


def active_session(session: Session, token: str, now: dt.datetime | None = None) -> ActiveSession:
    """The session behind a cookie value, or Unauthenticated when it is unknown, expired or its user is
    deactivated."""
    now = clock(now)
    found = session.execute(
        select(WebSession, User)
        .join(User, User.id == WebSession.user_id)
        .where(WebSession.token_hash == _hash(token))
    ).one_or_none()
    if found is None or found.WebSession.expires_at <= now:
        raise Unauthenticated(
            "The session is unknown or has expired",
            german="Ihre Anmeldung ist abgelaufen; bitte melden Sie sich neu an",
        )
    web_session, user = found.WebSession, found.User
    if not user.active:
        raise Unauthenticated("The user is deactivated", german="Der Zugang ist gesperrt")
    return ActiveSession(
        principal=principal_for_user(session, user),
        display_name=user.display_name,
        csrf_token=web_session.csrf_token,
        expires_at=web_session.expires_at,
    )


def close_session(sessions: sessionmaker[Session], token: str) -> None:
    """Log out: the session row is gone, the cookie value is worthless from now on."""
    with transaction(sessions) as session:
        session.execute(delete(WebSession).where(WebSession.token_hash == _hash(token)))
