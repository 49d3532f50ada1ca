"""What runs beside the API in its process: the outbox relay to Celery (with Redis), or the in-process
worker (the embedded default without Redis)."""

from __future__ import annotations

from typing import Protocol

from sqlalchemy.orm import Session, sessionmaker

from workers.context import Context
from workers.delivery import transport_for
from workers.inprocess import InProcessWorker
from workers.relay import RelayThread
from workers.settings import WorkerSettings


class Background(Protocol):
    def stop(self) -> None: ...


class _Nothing:
    """With Redis and ``api_relay`` off, beat's sweep relays the outbox; the API process runs nothing."""

    def stop(self) -> None:
        return None


def start_background(sessions: sessionmaker[Session], settings: WorkerSettings) -> Background:
    """Start the relay (Redis configured) or the in-process worker; both wake right after a commit that
    wrote to the outbox and sweep every few seconds. With Redis and ``api_relay`` off: nothing."""
    thread: RelayThread | InProcessWorker
    if settings.redis_url and not settings.api_relay:
        return _Nothing()
    if settings.redis_url:
        from workers.celery_app import create_celery, publisher

        thread = RelayThread(sessions, publisher(create_celery(settings)), interval=settings.relay_interval)
    else:
        ctx = Context(sessions=sessions, settings=settings, transport=transport_for(settings))
        thread = InProcessWorker(ctx, interval=settings.relay_interval)
    thread.start()
    return thread
