"""Fixtures of the worker tests: a real SMTP server in the test process (aiosmtpd), the real Redis, and
settings that keep each test run's queues apart from everyone else's on the shared Redis."""

from __future__ import annotations

import asyncio
import email
import email.policy
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from tests.conftest import IN_CI, Database
from workers.context import Context
from workers.delivery import transport_for
from workers.settings import WorkerSettings

REDIS_URL = os.environ.get("GREMIENLAUF_TEST_REDIS_URL", "redis://127.0.0.1:6379/11")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class Received:
    recipients: list[str]
    message: EmailMessage


@dataclass
class SmtpSink:
    """What the SMTP server accepted. ``delay`` holds each mail before the answer; a mail whose client went
    away meanwhile is not accepted (the server only takes responsibility with its final 250)."""

    port: int
    messages: list[Received] = field(default_factory=list)
    delay: float = 0.0
    arrived: threading.Event = field(default_factory=threading.Event)
    controller: Controller | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)
    # Addresses the server refuses for good (550), as a real server does for an unknown mailbox.
    refuse: set[str] = field(default_factory=set)
    refusal: str = "550 5.1.1 mailbox unavailable"

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: list[str]
    ) -> str:
        if address in self.refuse:
            return self.refusal
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.arrived.set()
        if self.delay:
            await asyncio.sleep(self.delay)
            if server.transport is None or server.transport.is_closing():
                return "421 client went away"
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        with self.lock:
            self.messages.append(Received(list(envelope.rcpt_tos), message))
        return "250 OK"

    def start(self) -> None:
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    def to(self, address: str) -> list[EmailMessage]:
        with self.lock:
            return [r.message for r in self.messages if address in r.recipients]

    def subjects(self) -> list[str]:
        with self.lock:
            return [str(r.message["Subject"]) for r in self.messages]

    def wait_for(self, count: int, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while len(self.messages) < count:
            if time.monotonic() > deadline:
                raise AssertionError(f"only {len(self.messages)} of {count} mails arrived within {timeout} s")
            time.sleep(0.05)


@pytest.fixture
def smtp() -> Iterator[SmtpSink]:
    sink = SmtpSink(free_port())
    sink.start()
    yield sink
    sink.stop()


def worker_settings(smtp_port: int, **overrides: Any) -> WorkerSettings:
    values: dict[str, Any] = {
        "smtp_host": "127.0.0.1",
        "smtp_port": smtp_port,
        "mail_sender": "Sitzungsdienst Wetzlar <sitzungsdienst@wetzlar.example>",
        "retry_backoff": 1,
        "retry_backoff_max": 2,
        "mail_lease_seconds": 3,
        "queue_prefix": f"gl-test-{uuid.uuid4().hex[:10]}",
        "redis_url": REDIS_URL,
        "visibility_timeout": 5,
        # LibreOffice takes seconds per document: only the tests about PDFs convert.
        "pdf_enabled": False,
    }
    values.update(overrides)
    return WorkerSettings(**values)


def make_context(db: Database, settings: WorkerSettings, clock: Callable[[], Any] | None = None) -> Context:
    ctx = Context(sessions=db.sessions, settings=settings, transport=transport_for(settings))
    if clock is not None:
        ctx.clock = clock
    return ctx


def redis_reachable(url: str = REDIS_URL) -> bool:
    import redis

    try:
        return bool(redis.Redis.from_url(url, socket_connect_timeout=2).ping())
    except Exception:
        return False


@pytest.fixture
def redis_url() -> str:
    if not redis_reachable():
        if IN_CI:
            pytest.fail(f"CI=true but Redis is not reachable at {REDIS_URL}")
        pytest.skip(f"Redis not reachable at {REDIS_URL} (set GREMIENLAUF_TEST_REDIS_URL)")
    return REDIS_URL


@pytest.fixture
def mail_dir(tmp_path: Path) -> Path:
    return tmp_path / "mail"
