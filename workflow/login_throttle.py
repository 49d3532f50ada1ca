"""The login throttle: after repeated failures, a user name or an address waits before the next try.

One rule for the web pages' login and the API's token endpoint. The failures are rows in the database, so
every process of the installation counts the same ones.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable
from typing import TypeVar

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session, sessionmaker

from workflow.access import Unauthenticated
from workflow.db import transaction
from workflow.errors import DomainError
from workflow.models import LoginFailure
from workflow.store import clock

#: Failures counted within this window …
WINDOW = dt.timedelta(minutes=15)
#: … block a user name after this many (someone guessing one person's password) …
USERNAME_LIMIT = 5
#: … and an address after this many (someone trying many user names; a town hall's proxy is one address).
ADDRESS_LIMIT = 30

T = TypeVar("T")


class TooManyLoginAttempts(DomainError):
    """HTTP 429 with Retry-After on the API; a German message on the login page."""

    code = "too_many_login_attempts"

    def __init__(self, retry_after: int) -> None:
        minutes = max(1, math.ceil(retry_after / 60))
        super().__init__(
            f"Too many failed logins; try again in {retry_after} seconds",
            german=(
                "Zu viele fehlgeschlagene Anmeldeversuche. Bitte warten Sie "
                f"{minutes} {'Minute' if minutes == 1 else 'Minuten'} und versuchen Sie es dann erneut."
            ),
            retry_after=retry_after,
        )
        self.retry_after = retry_after


def _keys(username: str, address: str | None) -> list[tuple[str, str, int]]:
    keys = [("username", username.strip().lower()[:200], USERNAME_LIMIT)]
    if address:
        keys.append(("address", address[:200], ADDRESS_LIMIT))
    return keys


def refuse_if_blocked(session: Session, *, username: str, address: str | None, now: dt.datetime) -> None:
    """TooManyLoginAttempts while the user name or the address has too many recent failures."""
    since = now - WINDOW
    waits = []
    for kind, value, limit in _keys(username, address):
        count, oldest = session.execute(
            select(func.count(LoginFailure.id), func.min(LoginFailure.failed_at)).where(
                LoginFailure.key_kind == kind, LoginFailure.key_value == value, LoginFailure.failed_at > since
            )
        ).one()
        if count >= limit and oldest is not None:
            oldest = oldest if oldest.tzinfo else oldest.replace(tzinfo=dt.UTC)  # SQLite aggregates are naive
            waits.append(max(1, math.ceil((oldest + WINDOW - now).total_seconds())))
    if waits:
        raise TooManyLoginAttempts(max(waits))


def record_failure(
    sessions: sessionmaker[Session], *, username: str, address: str | None, now: dt.datetime
) -> None:
    """Count one failure for the user name and the address; forget their failures older than the window."""
    with transaction(sessions) as session:
        for kind, value, _limit in _keys(username, address):
            session.execute(
                delete(LoginFailure).where(
                    LoginFailure.key_kind == kind,
                    LoginFailure.key_value == value,
                    LoginFailure.failed_at <= now - WINDOW,
                )
            )
            session.add(LoginFailure(key_kind=kind, key_value=value, failed_at=now))


def throttled_login(
    sessions: sessionmaker[Session],
    *,
    username: str,
    address: str | None,
    attempt: Callable[[], T],
    now: dt.datetime | None = None,
) -> T:
    """Run ``attempt`` (a login) unless the user name or address is blocked; count it if it fails with
    Unauthenticated, and forget the user name's failures when it succeeds."""
    now = clock(now)
    with sessions() as session:
        refuse_if_blocked(session, username=username, address=address, now=now)
    try:
        result = attempt()
    except Unauthenticated:
        record_failure(sessions, username=username, address=address, now=now)
        raise
    with transaction(sessions) as session:
        [(kind, value, _)] = _keys(username, None)
        session.execute(
            delete(LoginFailure).where(LoginFailure.key_kind == kind, LoginFailure.key_value == value)
        )
    return result
