"""The outbox relay: hands the events use cases wrote to the outbox over to the workers, after commit.

Nothing is lost between commit and hand-over: a row stays pending (``published_at`` empty) until the broker
took it; a sweep (beat, or the in-process worker) picks up whatever a crash or a broker outage left behind.
A failed hand-over is counted in ``attempts`` with ``last_error``; later rows wait, so events keep their order.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from sqlalchemy import event, select
from sqlalchemy.orm import Session, sessionmaker

from workflow.audit import OUTBOX_WRITTEN
from workflow.db import transaction
from workflow.models import OutboxMessage, utcnow

log = logging.getLogger(__name__)

Publish = Callable[[int, str, dict[str, Any]], None]


def publish_pending(
    sessions: sessionmaker[Session], publish: Publish, *, now: dt.datetime | None = None, limit: int = 200
) -> int:
    """Publish pending outbox rows in order; returns how many were handed over. Never raises for a broker
    error: the row records it and stays pending."""
    with transaction(sessions) as session:
        rows = session.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.published_at.is_(None))
            .order_by(OutboxMessage.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        ).all()
        done = 0
        for row in rows:
            try:
                publish(row.id, row.event_type, dict(row.payload))
            except Exception as exc:  # broker down, connection refused, timeout …
                row.attempts = (row.attempts or 0) + 1
                row.last_error = f"{type(exc).__name__}: {exc}"[:2000]
                log.warning("outbox %s not handed over (%s); it stays pending", row.id, row.last_error)
                break
            row.published_at = now or utcnow()
            row.attempts = (row.attempts or 0) + 1
            row.last_error = None
            done += 1
    return done


def pending_count(sessions: sessionmaker[Session]) -> int:
    from sqlalchemy import func

    with sessions() as session:
        return (
            session.scalar(
                select(func.count()).select_from(OutboxMessage).where(OutboxMessage.published_at.is_(None))
            )
            or 0
        )


class Nudge:
    """Wakes a relay loop when a transaction that wrote outbox rows commits (the "after commit" hand-over)."""

    def __init__(self) -> None:
        self.event = threading.Event()

    def watch(self, sessions: sessionmaker[Session]) -> None:
        def before_flush(session: Session, _context: Any, _instances: Any) -> None:
            if any(isinstance(obj, OutboxMessage) for obj in session.new):
                session.info[OUTBOX_WRITTEN] = True

        def after_commit(session: Session) -> None:
            if session.info.pop(OUTBOX_WRITTEN, False):
                self.event.set()

        def after_rollback(session: Session) -> None:
            session.info.pop(OUTBOX_WRITTEN, None)

        event.listen(sessions, "before_flush", before_flush)
        event.listen(sessions, "after_commit", after_commit)
        event.listen(sessions, "after_rollback", after_rollback)

    def wait(self, timeout: float) -> bool:
        fired = self.event.wait(timeout)
        self.event.clear()
        return fired


#: Outbox rows one sweep hands over (and locks) at most.
PAGE = 200


def relay_until(
    sessions: sessionmaker[Session], publish: Publish, *, interval: float, stopped: Callable[[], bool]
) -> int:
    """The relay as a process of its own (``gremienlauf relay``): hand over what is pending, again every
    ``interval`` seconds (at once while a sweep found a full page), until ``stopped()``. Returns how many
    events it handed over. The API processes then relay nothing (``GREMIENLAUF_API_RELAY=false``).

    ``stopped`` is asked at least every 0.2 s; a signal handler only has to set a flag (setting a
    ``threading.Event`` there could wait for ever on the lock its own ``wait`` holds)."""
    handed = 0
    while not stopped():
        try:
            handed += drain(sessions, publish)
        except Exception:  # the database is busy or down: try again at the next beat
            log.exception("outbox relay sweep failed")
        resume = time.monotonic() + interval
        while not stopped() and (left := resume - time.monotonic()) > 0:
            time.sleep(min(0.2, left))
    return handed


def drain(sessions: sessionmaker[Session], publish: Publish) -> int:
    """Hand over page after page of pending events, until a page is not full (nothing more is pending, or
    the broker refused one: it stays pending); returns how many were handed over."""
    handed = 0
    while True:
        done = publish_pending(sessions, publish, limit=PAGE)
        handed += done
        if done < PAGE:
            return handed


class RelayThread(threading.Thread):
    """In the API process: publish to the broker right after a commit that wrote outbox rows, and sweep
    every ``interval`` seconds. A daemon: if the process dies, the next sweep anywhere takes over."""

    def __init__(self, sessions: sessionmaker[Session], publish: Publish, *, interval: float) -> None:
        super().__init__(name="gremienlauf-relay", daemon=True)
        self.sessions, self.publish, self.interval = sessions, publish, interval
        self.nudge = Nudge()
        self.nudge.watch(sessions)
        self.stopping = threading.Event()

    def run(self) -> None:
        while not self.stopping.is_set():
            try:
                publish_pending(self.sessions, self.publish)
            except Exception:  # the database is busy or down: try again at the next beat
                log.exception("outbox relay sweep failed")
            self.nudge.wait(self.interval)

    def stop(self) -> None:
        self.stopping.set()
        self.nudge.event.set()
        self.join(timeout=10)
