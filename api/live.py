"""Tells every open live page of a meeting that the meeting changed (a result was recorded or corrected, the
agenda changed, the minutes were approved).

The message is only "meeting M changed": it carries no content. Each live page's stream then reads the
public results from the database again (the source of truth) and decides what it may show
(``workflow.publication``). Two brokers with the same interface, chosen where the app is wired
(``api.app.create_app``):

* ``InProcessBroker``: the embedded default, one API process;
* ``RedisBroker``: several API processes (docker-compose); a commit in one process reaches the live pages
  open in every other one over Redis pub/sub. Each process keeps one subscription and fans the message out
  to its own pages.

``watch`` publishes after a commit that wrote an outbox event naming a meeting: right after the commit, not
behind the document and mail jobs of the outbox. A message lost in a crash between commit and publish (or
while Redis was away) costs a live page at most ``RECHECK_SECONDS``: the stream reads again that often.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from typing import Any, Protocol

import redis
import redis.asyncio as aioredis
from sqlalchemy import event
from sqlalchemy.orm import Session, sessionmaker

from workflow.models import OutboxMessage

log = logging.getLogger(__name__)

#: A live page's stream reads the results again at least this often, even without a message.
RECHECK_SECONDS = 30.0
_CHANGED = "live:changed_meetings"


class Subscription:
    """One open live page's wait for "its meeting changed"."""

    def __init__(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._changed = asyncio.Event()

    def notify(self) -> None:
        """Thread-safe: called from the thread that committed, or from the Redis listener."""
        with suppress(RuntimeError):  # its event loop has closed (the server stopped): nobody is waiting
            self._loop.call_soon_threadsafe(self._changed.set)

    async def wait(self, timeout: float) -> bool:
        """Until the meeting changed (True) or ``timeout`` seconds passed (False)."""
        try:
            await asyncio.wait_for(self._changed.wait(), timeout)
        except TimeoutError:
            return False
        self._changed.clear()
        return True


class _Pages:
    """The live pages open in this process, by meeting."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._by_meeting: dict[int, set[Subscription]] = {}

    def notify(self, meeting_id: int) -> None:
        with self._lock:
            waiting = list(self._by_meeting.get(meeting_id, ()))
        for subscription in waiting:
            subscription.notify()

    def notify_all(self) -> None:
        with self._lock:
            meetings = list(self._by_meeting)
        for meeting_id in meetings:
            self.notify(meeting_id)

    @asynccontextmanager
    async def subscribe(self, meeting_id: int) -> AsyncIterator[Subscription]:
        subscription = Subscription()
        with self._lock:
            self._by_meeting.setdefault(meeting_id, set()).add(subscription)
        try:
            yield subscription
        finally:
            with self._lock:
                pages = self._by_meeting.get(meeting_id, set())
                pages.discard(subscription)
                if not pages:
                    self._by_meeting.pop(meeting_id, None)


class Publisher(Protocol):
    def publish(self, meeting_id: int) -> None:
        """Tell every live page of the meeting, in every process, that it changed; never raises."""


class LiveBroker(Publisher, Protocol):
    def subscribe(self, meeting_id: int) -> Any:
        """``async with broker.subscribe(m) as subscription``: wait for changes of meeting ``m``."""

    async def start(self) -> None: ...

    async def stop(self) -> None: ...


class InProcessBroker(_Pages):
    """The embedded default: one process, so telling its own pages is all."""

    def publish(self, meeting_id: int) -> None:
        self.notify(meeting_id)

    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        return None


class RedisBroker(_Pages):
    """Redis pub/sub on one channel (messages: the meeting id); one listener task per process."""

    def __init__(self, url: str, *, channel: str) -> None:
        super().__init__()
        self.url, self.channel = url, channel
        self._client = redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)
        self._listener: asyncio.Task[None] | None = None
        self._subscribed = asyncio.Event()

    def publish(self, meeting_id: int) -> None:
        try:
            self._client.publish(self.channel, str(meeting_id))
        except redis.RedisError as exc:  # the pages catch up at their next re-read
            log.warning("live: meeting %s changed, but Redis did not take the message (%r)", meeting_id, exc)

    async def start(self) -> None:
        """Start listening; returns once subscribed (or after 5 s, still trying in the background)."""
        self._listener = asyncio.create_task(self._listen(), name="gremienlauf-live-listener")
        with suppress(TimeoutError):
            await asyncio.wait_for(self._subscribed.wait(), 5)

    async def _listen(self) -> None:
        while True:
            client = aioredis.Redis.from_url(self.url)
            try:
                async with client.pubsub() as pubsub:
                    await pubsub.subscribe(self.channel)
                    self._subscribed.set()
                    self.notify_all()  # whatever was missed while not subscribed
                    async for message in pubsub.listen():
                        if message.get("type") == "message":
                            self._received(message.get("data"))
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # Redis restarted or unreachable: subscribe again
                log.warning("live: Redis subscription lost (%r); trying again", exc)
                await asyncio.sleep(1)
            finally:
                await client.aclose()

    def _received(self, data: object) -> None:
        try:
            meeting_id = int(data)  # type: ignore[call-overload]
        except (TypeError, ValueError):
            log.warning("live: ignored a message that names no meeting: %r", data)
            return
        self.notify(meeting_id)

    async def stop(self) -> None:
        if self._listener is not None:
            self._listener.cancel()
            with suppress(asyncio.CancelledError):
                await self._listener
        self._client.close()


def watch(sessions: sessionmaker[Session], broker: Publisher) -> None:
    """Publish "meeting M changed" after each commit that wrote an outbox event naming meeting M."""

    def before_flush(session: Session, _context: Any, _instances: Any) -> None:
        for obj in session.new:
            if isinstance(obj, OutboxMessage) and isinstance(obj.payload.get("meeting_id"), int):
                session.info.setdefault(_CHANGED, set()).add(obj.payload["meeting_id"])

    def after_commit(session: Session) -> None:
        for meeting_id in sorted(session.info.pop(_CHANGED, ())):
            try:
                broker.publish(meeting_id)
            except Exception:  # the commit stands; the pages catch up at their next re-read
                log.exception("live: meeting %s changed, but the broker failed", meeting_id)

    def after_rollback(session: Session) -> None:
        session.info.pop(_CHANGED, None)

    event.listen(sessions, "before_flush", before_flush)
    event.listen(sessions, "after_commit", after_commit)
    event.listen(sessions, "after_rollback", after_rollback)
