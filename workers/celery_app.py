"""The Celery app on Redis: the tasks that run jobs and reminders, the relay sweep and the reminder scan.

Every task is idempotent (deterministic output keys, mails recorded per recipient), so it is acknowledged
only after it ran (``acks_late``) and handed back when its worker process dies
(``task_reject_on_worker_lost``): a killed worker's task is done again by another.
"""

from __future__ import annotations

import logging
from typing import Any

from celery import Celery, Task
from celery.schedules import crontab
from kombu.entity import Queue
from sqlalchemy.exc import DBAPIError

from workers import alert_jobs, jobs, relay, reminders, runtime, wiring
from workers.delivery import MailBusy, MailNotDelivered
from workers.runtime import context
from workers.settings import WorkerSettings
from workflow.errors import Conflict

log = logging.getLogger(__name__)

RETRYABLE = (MailNotDelivered, Conflict, DBAPIError, OSError)


def queue_name(settings: WorkerSettings) -> str:
    return f"{settings.queue_prefix}.tasks"


def pdf_queue_name(settings: WorkerSettings) -> str:
    """PDF conversions wait in their own queue, so mails and Word documents never queue behind them."""
    return f"{settings.queue_prefix}.pdf"


def create_celery(settings: WorkerSettings | None = None, database_url: str | None = None) -> Celery:
    """The app for ``settings`` (default: from the environment). Needs ``GREMIENLAUF_REDIS_URL``."""
    if settings is not None or database_url is not None:
        runtime.configure(database_url=database_url, settings=settings)
    settings = settings or WorkerSettings()
    if not settings.redis_url:
        raise RuntimeError(
            "GREMIENLAUF_REDIS_URL is not set; without Redis the in-process worker runs the tasks"
        )
    app = Celery("gremienlauf", broker=settings.redis_url, set_as_current=False)
    queue = queue_name(settings)
    app.conf.update(
        task_default_queue=queue,
        # A worker started without --queues consumes both.
        task_queues=(Queue(queue), Queue(pdf_queue_name(settings))),
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        task_ignore_result=True,
        worker_prefetch_multiplier=1,
        worker_hijack_root_logger=False,
        broker_connection_retry_on_startup=True,
        broker_transport_options={
            "visibility_timeout": settings.visibility_timeout,
            # Queues in the order given (tasks before pdf): a worker converts a PDF only when no mail,
            # Word document or reminder is waiting.
            "queue_order_strategy": "priority",
        },
        task_serializer="json",
        accept_content=["json"],
        timezone="Europe/Berlin",
        gremienlauf_pdf=settings.pdf_enabled,
        gremienlauf_pdf_queue=pdf_queue_name(settings),
        beat_schedule={
            "outbox-relay": {"task": "gremienlauf.relay_sweep", "schedule": settings.relay_interval},
            "reminder-scan": {"task": "gremienlauf.scan_reminders", "schedule": settings.reminder_interval},
            "alerts": {"task": "gremienlauf.send_alerts", "schedule": settings.alert_interval},
            **(
                {
                    "oparl-import": {
                        "task": "gremienlauf.oparl_import",
                        "schedule": crontab(hour=settings.oparl_import_hour, minute=0),
                    }
                }
                if settings.oparl_import_hour is not None
                else {}
            ),
        },
    )

    options = {"bind": True, "max_retries": settings.max_retries}
    app.task(name="gremienlauf.run_job", **options)(run_job)
    app.task(name="gremienlauf.send_reminder", **options)(send_reminder)
    app.task(name="gremienlauf.relay_sweep", bind=True)(relay_sweep)
    app.task(name="gremienlauf.scan_reminders", bind=True)(scan_reminders)
    app.task(name="gremienlauf.oparl_import", bind=True)(oparl_import)
    app.task(name="gremienlauf.send_alerts", bind=True)(send_alerts)
    return app


# The task bodies are module-level functions, registered on each app: Celery keeps one callable per task
# name, so a function defined inside create_celery would be a *different* callable for every app.


def _backoff(task: Task, exc: BaseException) -> float:
    if isinstance(exc, MailBusy):
        return exc.retry_in
    settings = context().settings
    return float(min(settings.retry_backoff_max, settings.retry_backoff * 2**task.request.retries))


def run_job(self: Task, outbox_id: int, job: str) -> None:
    """Run one job of one outbox event; retried with backoff when mail or the database fails."""
    try:
        wiring.run(context(), job, outbox_id)
    except (MailBusy, *RETRYABLE) as exc:
        log.warning("job %s of outbox %s: %s; retry", job, outbox_id, exc)
        raise self.retry(exc=exc, countdown=_backoff(self, exc)) from exc


def send_reminder(self: Task, reminder_id: int) -> None:
    """Send one reminder the scan queued."""
    try:
        jobs.send_reminder(context(), reminder_id)
    except (MailBusy, *RETRYABLE) as exc:
        raise self.retry(exc=exc, countdown=_backoff(self, exc)) from exc


def relay_sweep(self: Task) -> int:
    """Hand over whatever the outbox still holds (after a crash or a broker outage)."""
    return relay.publish_pending(context().sessions, publisher(self.app))


def scan_reminders(self: Task) -> int:
    """Queue the due reminders (marked queued in the same transaction)."""
    ctx = context()
    send = self.app.tasks["gremienlauf.send_reminder"]
    return len(
        reminders.claim_due(ctx.sessions, ctx.clock(), lambda rid: send.apply_async(args=[rid], retry=False))
    )


def send_alerts(self: Task) -> int:
    """Mail the due e-mail alerts of the portal (a mail not sent now goes out on the next run)."""
    try:
        return alert_jobs.send_alerts(context())
    except (MailBusy, *RETRYABLE) as exc:
        log.warning("alerts: %s; the next run sends what is left", exc)
        return 0


def oparl_import(self: Task) -> int:
    """Re-import every OParl source imported before (nightly); returns how many ran."""
    from workers.oparl_import.nightly import import_all

    return len(import_all(context().sessions))


def publisher(app: Celery) -> relay.Publish:
    """The relay's hand-over for ``app``: one ``run_job`` task per job of the event (used by the API process
    right after commit and by the beat sweep)."""
    run_job = app.tasks["gremienlauf.run_job"]
    pdf = bool(app.conf.get("gremienlauf_pdf", True))
    pdf_queue = app.conf.get("gremienlauf_pdf_queue")

    def publish(outbox_id: int, event_type: str, payload: dict[str, Any]) -> None:
        jobs = wiring.jobs_for(event_type, payload, pdf=pdf)
        if not jobs:
            return
        with app.producer_or_acquire() as producer:  # one for the event's jobs, not one per job
            for name in jobs:
                # No kombu retries: a broker that is down leaves the row pending at once, for the next sweep.
                queue = pdf_queue if name == "pdfs" else None
                run_job.apply_async(args=[outbox_id, name], retry=False, queue=queue, producer=producer)

    return publish
