"""The administrator's use cases on logins: list, deactivate, reactivate, reset a password (creating one is
``workflow.access.add_user``).

A deactivated user cannot log in, and what they were logged in with ends at once: their web sessions and
bearer tokens are deleted in the same transaction. A password reset draws a new random password, returns it
once (only its argon2 hash is stored) and ends the user's sessions and tokens too.
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass

from sqlalchemy import delete, select
from sqlalchemy.orm import Session, selectinload, sessionmaker

from workflow.access import hash_password
from workflow.audit import record_audit
from workflow.db import transaction
from workflow.errors import NotFound, RuleViolation
from workflow.models import ApiToken, User, WebSession
from workflow.store import clock

#: Letters and digits without those easily mistaken for one another (0/O, 1/l/I) when read aloud or typed.
_ALPHABET = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
#: 16 characters of 56: about 93 bits, far beyond guessing even without the login throttle.
PASSWORD_LENGTH = 16


def new_password() -> str:
    """A random password from ``secrets``, grouped in fours for reading it out: ``abcd-efgh-ijkm-npqr``."""
    raw = "".join(secrets.choice(_ALPHABET) for _ in range(PASSWORD_LENGTH))
    return "-".join(raw[i : i + 4] for i in range(0, PASSWORD_LENGTH, 4))


def users_of(session: Session, municipality_id: int) -> list[User]:
    """The municipality's logins, active ones first, by user name."""
    return list(
        session.scalars(
            select(User)
            .where(User.municipality_id == municipality_id)
            .options(selectinload(User.bodies))
            .order_by(User.active.desc(), User.username)
        )
    )


def _end_logins(session: Session, user_id: int) -> int:
    """Delete the user's web sessions and bearer tokens; how many there were."""
    ended = 0
    for model in (WebSession, ApiToken):
        result = session.execute(delete(model).where(model.user_id == user_id))
        ended += int(getattr(result, "rowcount", 0) or 0)  # a CursorResult for DELETE
    return ended


def _user_of(session: Session, municipality_id: int, user_id: int) -> User:
    user = session.get(User, user_id, with_for_update=True, populate_existing=True)
    if user is None or user.municipality_id != municipality_id:
        # Another municipality's login does not exist for this administrator.
        raise NotFound(
            f"user {user_id} not found",
            german=f"Den Zugang {user_id} gibt es nicht",
            entity="user",
            id=user_id,
        )
    return user


def deactivate_user(
    sessions: sessionmaker[Session],
    *,
    actor: str,
    municipality_id: int,
    user_id: int,
    acting_user_id: int | None = None,
    now: dt.datetime | None = None,
) -> User:
    """Deactivate a login: it can no longer log in, its open sessions and tokens end now. Nobody
    deactivates their own login (an administrator would lock themselves out)."""
    now = clock(now)
    if acting_user_id is not None and acting_user_id == user_id:
        raise RuleViolation(
            "You cannot deactivate your own login",
            german="Den eigenen Zugang können Sie nicht sperren",
        )
    with transaction(sessions) as session:
        user = _user_of(session, municipality_id, user_id)
        if not user.active:
            raise RuleViolation(
                f"The user '{user.username}' is already deactivated",
                german=f"Der Zugang „{user.username}“ ist bereits gesperrt",
            )
        user.active = False
        user.modified_at = now
        ended = _end_logins(session, user.id)
        record_audit(
            session,
            actor=actor,
            action="user.deactivated",
            entity=user,
            now=now,
            before={"active": True},
            after={"active": False, "logins_ended": ended},
        )
    return user


def reactivate_user(
    sessions: sessionmaker[Session],
    *,
    actor: str,
    municipality_id: int,
    user_id: int,
    now: dt.datetime | None = None,
) -> User:
    """Let a deactivated login log in again (with its old password; reset it if that is not known)."""
    now = clock(now)
    with transaction(sessions) as session:
        user = _user_of(session, municipality_id, user_id)
        if user.active:
            raise RuleViolation(
                f"The user '{user.username}' is active",
                german=f"Der Zugang „{user.username}“ ist nicht gesperrt",
            )
        user.active = True
        user.modified_at = now
        record_audit(
            session,
            actor=actor,
            action="user.reactivated",
            entity=user,
            now=now,
            before={"active": False},
            after={"active": True},
        )
    return user


@dataclass(frozen=True)
class PasswordReset:
    user: User
    password: str  # shown once; only its hash is stored


def reset_password(
    sessions: sessionmaker[Session],
    *,
    actor: str,
    municipality_id: int,
    user_id: int,
    now: dt.datetime | None = None,
) -> PasswordReset:
    """Give a login a new random password (returned once) and end its open sessions and tokens, so that
    whoever knew the old one is logged out too."""
    now = clock(now)
    password = new_password()
    digest = hash_password(password)  # outside the transaction: argon2 takes a while
    with transaction(sessions) as session:
        user = _user_of(session, municipality_id, user_id)
        user.password_hash = digest
        user.modified_at = now
        ended = _end_logins(session, user.id)
        record_audit(
            session,
            actor=actor,
            action="user.password_reset",
            entity=user,
            now=now,
            before=None,
            after={"logins_ended": ended},  # never the password or its hash
        )
    return PasswordReset(user=user, password=password)
