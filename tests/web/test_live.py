"""The live page of a meeting over real HTTP (uvicorn in a thread; a streamed response needs a server): a
result recorded through the API reaches an open event stream, a non-public result never does, with the
in-process broker and with Redis pub/sub between two app instances (as between two API processes)."""

from __future__ import annotations

import datetime as dt
import html
import queue
import re
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import redis
import uvicorn

from api.app import create_app
from api.live import InProcessBroker, LiveBroker, RedisBroker, watch
from api.web import links
from gremienlauf.demo_users import DEMO_PASSWORD
from tests.conftest import Database, _sqlite_copy
from tests.web.live_world import MARKER, SECRETARY, LiveWorld, build_live_world, result_with_factions
from workflow.audit import emit
from workflow.models import Meeting

REDIS_URL = "redis://127.0.0.1:6379/0"
START = "2014-05-12 17:00"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@contextmanager
def serving(database_url: str, now: dt.datetime, live: LiveBroker) -> Iterator[str]:
    """The app in uvicorn on a free port in a thread of this process; its base URL."""
    app = create_app(database_url, clock=lambda: now, live=live)
    port = _free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", timeout_graceful_shutdown=2)
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert thread.is_alive(), "uvicorn stopped"
        assert time.monotonic() < deadline, "uvicorn did not start within 20 s"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        app.state.engine.dispose()


@dataclass
class Event:
    name: str
    data: str
    id: str | None
    at: float


class Stream:
    """An open event stream read in a thread; its events land in a queue."""

    def __init__(self, url: str) -> None:
        self.events: queue.Queue[Event] = queue.Queue()
        self.status: queue.Queue[int] = queue.Queue()
        self._response: httpx.Response
        self._client = httpx.Client(timeout=httpx.Timeout(5, read=None))
        self._thread = threading.Thread(target=self._read, args=(url,), daemon=True)
        self._thread.start()
        assert self.status.get(timeout=10) == 200

    def _read(self, url: str) -> None:
        try:
            with self._client.stream("GET", url) as response:
                self._response = response
                self.status.put(response.status_code)
                fields: dict[str, list[str]] = {}
                for line in response.iter_lines():
                    if line == "":
                        if "data" in fields:
                            name = fields.get("event", ["message"])[0]
                            ident = fields.get("id", [None])[0]
                            self.events.put(Event(name, "\n".join(fields["data"]), ident, time.monotonic()))
                        fields = {}
                    elif not line.startswith(":"):
                        key, _, value = line.partition(":")
                        fields.setdefault(key, []).append(value.removeprefix(" "))
        except httpx.HTTPError:
            return  # closed by the test

    def next(self, timeout: float) -> Event | None:
        try:
            return self.events.get(timeout=timeout)
        except queue.Empty:
            return None

    def close(self) -> None:
        """Hang up, as a browser closing the page does (shutting the socket wakes the blocked reader)."""
        sock = self._response.extensions["network_stream"].get_extra_info("socket")
        sock.shutdown(socket.SHUT_RDWR)
        self._client.close()
        self._thread.join(timeout=5)


def live_url(db_sessions, world: LiveWorld, meeting_id: int | None = None) -> str:  # type: ignore[no-untyped-def]
    with db_sessions() as session:
        meeting = session.get_one(Meeting, meeting_id or world.meeting_id)
        return links.meeting(session, "wetzlar", meeting) + "/live"


def events_url(base: str, page: str) -> str:
    match = re.search(r'data-live-source="([^"]+)"', page)
    assert match, "the live page names no event stream"
    return base + html.unescape(match[1])


def token(base: str) -> str:
    response = httpx.post(
        base + "/api/v1/auth/token", json={"username": SECRETARY, "password": DEMO_PASSWORD}, timeout=10
    )
    assert response.status_code == 200, response.text
    return str(response.json()["access_token"])


def record(base: str, bearer: str, item_id: int, result: dict[str, object]) -> float:
    response = httpx.post(
        f"{base}/api/v1/wetzlar/agenda-items/{item_id}/result",
        json=result,
        headers={"Authorization": f"Bearer {bearer}"},
        timeout=10,
    )
    assert response.status_code == 201, response.text
    return time.monotonic()


@pytest.fixture
def live_db(sqlite_template: Path, tmp_path: Path) -> Iterator[tuple[Database, LiveWorld]]:
    for db in _sqlite_copy(sqlite_template, tmp_path):
        world = build_live_world(db.sessions, START)
        yield db, world


def _brokers(kind: str) -> tuple[LiveBroker, LiveBroker]:
    """Two brokers as two API processes would have them: one shared object in-process, or two that only
    Redis connects."""
    if kind == "inprocess":
        broker = InProcessBroker()
        return broker, broker
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping()
    except redis.RedisError:
        pytest.skip("Redis at 127.0.0.1:6379 is not reachable")
    channel = f"gremienlauf-test-{uuid.uuid4().hex[:8]}:live"
    return RedisBroker(REDIS_URL, channel=channel), RedisBroker(REDIS_URL, channel=channel)


@pytest.mark.parametrize("kind", ["inprocess", "redis"])
def test_a_public_result_reaches_every_open_live_page_within_two_seconds_and_a_non_public_one_never(
    live_db: tuple[Database, LiveWorld], kind: str
) -> None:
    db, world = live_db
    now = world.start + dt.timedelta(minutes=30)
    writer_broker, reader_broker = _brokers(kind)
    path = live_url(db.sessions, world)
    with serving(db.url, now, writer_broker) as writer, serving(db.url, now, reader_broker) as reader:
        page = httpx.get(reader + path, timeout=10)
        assert page.status_code == 200
        assert "Spielplatz am Lahnufer" in page.text
        assert MARKER not in page.text
        stream = Stream(events_url(reader, page.text))
        try:
            assert stream.next(1.0) is None, "the page already shows the current list: nothing to send"
            bearer = token(writer)

            record(
                writer, bearer, world.private_item, {"outcome": "recommended", "votes": [{"yes": 5, "no": 0}]}
            )
            record(
                writer, bearer, world.secret_item, {"outcome": "recommended", "votes": [{"yes": 5, "no": 0}]}
            )
            assert stream.next(2.5) is None, "a result on a non-public TOP was sent"

            recorded = record(writer, bearer, world.public_items[0], result_with_factions(world))
            event = stream.next(5.0)
            assert event is not None, "the public result did not arrive"
            assert event.at - recorded < 2.0
            assert event.name == "ergebnisse"
            assert MARKER not in event.data
            # the event's id (a hex digest) names no non-public TOP
            assert not re.search(rf"(?<![0-9a-f]){world.private_item}(?![0-9a-f])", event.id or "")
            text = re.sub(r"<[^>]+>", " ", html.unescape(event.data))
            assert "empfohlen" in text
            vote = result_with_factions(world)["votes"][0]
            yes, no, abstain = vote["yes"], vote["no"], vote["abstain"]
            assert f"{yes} Ja, {no} Nein, {abstain} Enthaltung" in text
            assert "Abstimmung nach Fraktionen" in event.data
            assert "SPD-Fraktion" in event.data
            assert "Öffnungszeiten der Stadtbücherei" in text
            assert "Noch kein Ergebnis" in text

            # the page reloaded without JavaScript shows the same list the stream sent
            again = httpx.get(reader + path, timeout=10).text
            assert event.data.strip() in again
        finally:
            stream.close()


def test_the_live_page_of_a_non_public_meeting_does_not_exist(live_db: tuple[Database, LiveWorld]) -> None:
    db, world = live_db
    path = live_url(db.sessions, world, world.magistrat_meeting_id)
    with serving(db.url, world.start, InProcessBroker()) as base:
        assert httpx.get(base + path, timeout=10).status_code == 404
        response = httpx.get(base + path + "/ereignisse", timeout=10)
        assert response.status_code == 404
        assert "text/event-stream" not in response.headers.get("content-type", "")


class Told:
    """A broker that only notes whom it was told about (the HTTP tests above use the real ones)."""

    def __init__(self) -> None:
        self.meetings: list[int] = []

    def publish(self, meeting_id: int) -> None:
        self.meetings.append(meeting_id)


def test_only_a_committed_event_naming_a_meeting_is_published(live_db: tuple[Database, LiveWorld]) -> None:
    db, world = live_db
    told = Told()
    watch(db.sessions, told)
    now = world.start + dt.timedelta(minutes=30)
    with db.sessions() as session:
        emit(session, "ResultRecorded", now, meeting_id=world.meeting_id, agenda_item_id=1)
        session.flush()
        session.rollback()
    with db.sessions.begin() as session:
        emit(session, "PaperChanged", now, paper_id=1)
    assert told.meetings == []
    with db.sessions.begin() as session:
        emit(session, "ResultRecorded", now, meeting_id=world.meeting_id, agenda_item_id=1)
    assert told.meetings == [world.meeting_id]
