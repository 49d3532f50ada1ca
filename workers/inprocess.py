"""The embedded default: no Redis, no worker processes. A thread in the same process runs the *same* jobs.

The database stays the source of truth: an outbox row is marked published only after all its jobs ran;
a failing job leaves it pending with ``attempts``/``last_error`` and it is tried again with backoff. Due
reminders are claimed exactly as beat claims them and sent after the claim commits.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time

from sqlalchemy import select

from workers import alert_jobs, document_jobs, jobs, reminders, wiring
from workers.context import Context
from workers.delivery import MailBusy
from workers.relay import Nudge
from workflow.db import transaction
from workflow.models import OutboxMessage

log = logging.getLogger(__name__)


def drain_once(ctx: Context, *, limit: int = 200) -> int:
    """Run the jobs of pending outbox rows in order, then the due reminders; returns rows finished."""
    with ctx.sessions() as session:
        pending = session.execute(
            select(OutboxMessage.id, OutboxMessage.event_type, OutboxMessage.payload, OutboxMessage.attempts)
            .where(OutboxMessage.published_at.is_(None))
            .order_by(OutboxMessage.id)
            .limit(limit)
        ).all()
    finished = 0
    for outbox_id, event_type, payload, attempts in pending:
        if not _due_for_attempt(ctx, outbox_id, attempts or 0):
            break
        error: str | None = None
        for name in wiring.jobs_for(event_type, payload, pdf=ctx.settings.pdf_enabled):
            try:
                wiring.JOBS[name](ctx, outbox_id, payload)
            except MailBusy as exc:
                error = str(exc)
            except Exception as exc:  # SMTP down, a bug in a template …: keep it pending and go on later
                log.warning("job %s of outbox %s failed: %r", name, outbox_id, exc)
                error = f"{type(exc).__name__}: {exc}"
        with transaction(ctx.sessions) as session:
            row = session.get_one(OutboxMessage, outbox_id, with_for_update=True)
            row.attempts = (row.attempts or 0) + 1
            if error is None:
                row.published_at, row.last_error = ctx.clock(), None
            else:
                row.last_error = error[:2000]
        if error is not None:
            ctx.extra[f"retry:{outbox_id}"] = time.monotonic() + _backoff(ctx, (attempts or 0) + 1)
            break  # keep the order: later events wait for this one
        finished += 1
    for reminder_id in reminders.claim_due(ctx.sessions, ctx.clock(), lambda _rid: None):
        try:
            jobs.send_reminder(ctx, reminder_id)
        except Exception as exc:
            # The reminder stays queued; the scan takes it again after reminders.REQUEUE_AFTER.
            log.warning("reminder %s failed: %r", reminder_id, exc)
    _alerts_if_due(ctx)
    return finished


def _alerts_if_due(ctx: Context) -> None:
    """The portal's e-mail alerts, every ``alert_interval`` seconds (as beat runs them); the first run a
    minute after the worker started (not while the process is still starting up)."""
    if "alerts_next" not in ctx.extra:
        ctx.extra["alerts_next"] = time.monotonic() + min(60.0, ctx.settings.alert_interval)
    if time.monotonic() < float(ctx.extra["alerts_next"]):
        return
    ctx.extra["alerts_next"] = time.monotonic() + ctx.settings.alert_interval
    try:
        alert_jobs.send_alerts(ctx)
    except Exception as exc:  # SMTP down: the next run sends what is left
        log.warning("alerts failed: %r", exc)


def _backoff(ctx: Context, attempts: int) -> float:
    s = ctx.settings
    return float(min(s.retry_backoff_max, s.retry_backoff * 2 ** max(0, attempts - 1)))


def _due_for_attempt(ctx: Context, outbox_id: int, attempts: int) -> bool:
    until = ctx.extra.get(f"retry:{outbox_id}")
    return until is None or time.monotonic() >= float(until)


def drain(ctx: Context, *, timeout: float = 60.0) -> None:
    """Run until the outbox is empty (the demo and the CLI wait for their mails and documents)."""
    deadline = time.monotonic() + timeout
    while True:
        drain_once(ctx)
        with ctx.sessions() as session:
            left = session.scalar(
                select(OutboxMessage.id).where(OutboxMessage.published_at.is_(None)).limit(1)
            )
        if left is None or time.monotonic() > deadline:
            return
        time.sleep(0.2)


class InProcessWorker(threading.Thread):
    """Drains the outbox after each commit that wrote to it (and every ``interval`` seconds)."""

    def __init__(self, ctx: Context, *, interval: float = 2.0) -> None:
        super().__init__(name="gremienlauf-inprocess-worker", daemon=True)
        self.ctx, self.interval = ctx, interval
        self.nudge = Nudge()
        self.nudge.watch(ctx.sessions)
        self.stopping = threading.Event()
        self.last_run: dt.datetime | None = None

    def run(self) -> None:
        try:
            document_jobs.drop_earlier_pdf_claims(self.ctx, dt.datetime.now(dt.UTC))
        except Exception:
            log.exception("in-process worker: dropping the PDF claims of an earlier run failed")
        while not self.stopping.is_set():
            try:
                drain_once(self.ctx)
            except Exception:
                log.exception("in-process worker: drain failed")
            self.nudge.wait(self.interval)

    def stop(self) -> None:
        self.stopping.set()
        self.nudge.event.set()
        self.join(timeout=30)
