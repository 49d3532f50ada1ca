"""The real stack: Celery workers on the real Redis, PostgreSQL, and a real SMTP server in the test process.

Each fault the issue names is shown here with the real parts: the SMTP server down, a worker process
killed in the middle of a task, Redis down while a secretary records a result.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from celery import Celery
from celery.contrib.testing.worker import start_worker
from sqlalchemy import select

from tests.conftest import Database
from tests.scenario import Scenario
from tests.workers.conftest import SmtpSink, free_port, worker_settings
from tests.workers.helpers import expected_invitees
from workers import relay
from workers.celery_app import create_celery, publisher
from workers.settings import WorkerSettings
from workflow.models import MailDelivery, OutboxMessage
from workflow.rules import VoteInput
from workflow.vocabulary import Outcome

pytestmark = pytest.mark.postgres
ROOT = Path(__file__).resolve().parents[2]


def _invited_meeting(pg: Database) -> int:
    sc = Scenario(pg.sessions)
    paper = sc.submitted_paper(committees=["sjs"])
    sc.deal_with(paper.id, "magistrat", "2013-09-30 09:00", Outcome.recommended, VoteInput(12, 0, 0))
    meeting = sc.new_meeting("sjs", "2013-10-28 17:00")
    sc.schedule(paper.id, "sjs", meeting.id)
    sc.invite(meeting.id)
    return meeting.id


@contextmanager
def thread_worker(app: Celery) -> Iterator[None]:
    with start_worker(app, pool="threads", concurrency=2, perform_ping_check=False, shutdown_timeout=20):
        yield


def _cleanup(app: Celery, settings: WorkerSettings) -> None:
    with app.connection_for_write() as conn:
        conn.default_channel.client.delete(f"{settings.queue_prefix}.tasks", f"{settings.queue_prefix}.pdf")


def _sent(pg: Database, prefix: str) -> dict[str, str]:
    with pg.session() as s:
        rows = s.scalars(select(MailDelivery).where(MailDelivery.dedupe_key.startswith(prefix)))
        return {r.recipient: r.state for r in rows}


def _wait(condition: object, timeout: float = 60.0, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while not condition():  # type: ignore[operator]
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.1)


def _invitations_to(sink: SmtpSink) -> list[str]:
    """Who got the committee's invitation (the Magistrat's earlier meeting has its own)."""
    with sink.lock:
        return sorted(
            r
            for m in sink.messages
            if str(m.message["Subject"]).startswith("Einladung: Sitzung Sozial")
            for r in m.recipients
        )


def test_a_celery_worker_on_redis_delivers_the_invitation_once_to_each_member(
    pg: Database, smtp: SmtpSink, redis_url: str
) -> None:
    meeting_id = _invited_meeting(pg)
    settings = worker_settings(smtp.port, redis_url=redis_url)
    app = create_celery(settings, pg.url)
    try:
        with thread_worker(app):
            app.send_task("gremienlauf.relay_sweep")  # what beat sends every few seconds
            invitees = sorted(expected_invitees(pg, meeting_id))
            _wait(lambda: _invitations_to(smtp) == invitees, what="the invitations")
            # The relay sweep runs again (as beat does): nothing is handed over twice.
            assert relay.publish_pending(pg.sessions, publisher(app)) == 0
            time.sleep(1)
        assert _invitations_to(smtp) == invitees
        with pg.session() as s:
            assert s.scalars(select(OutboxMessage).where(OutboxMessage.published_at.is_(None))).all() == []
    finally:
        _cleanup(app, settings)


def test_smtp_down_is_retried_with_backoff_and_each_mail_delivered_once_when_it_is_back(
    pg: Database, redis_url: str
) -> None:
    meeting_id = _invited_meeting(pg)
    sink = SmtpSink(free_port())  # nothing listens on this port yet
    settings = worker_settings(sink.port, redis_url=redis_url)
    app = create_celery(settings, pg.url)
    invitees = sorted(expected_invitees(pg, meeting_id))
    try:
        with thread_worker(app):
            relay.publish_pending(pg.sessions, publisher(app))

            def retried() -> bool:
                rows = _sent(pg, f"invitation:{meeting_id}:")
                return bool(rows) and all(state == "failed" for state in rows.values())

            _wait(retried, what="the first failed attempt")
            time.sleep(3)  # a few retries with backoff while the server is down
            with pg.session() as s:
                attempts = {
                    r.attempts
                    for r in s.scalars(
                        select(MailDelivery).where(MailDelivery.dedupe_key.startswith("invitation:"))
                    )
                }
                errors = {r.last_error for r in s.scalars(select(MailDelivery))}
            assert max(attempts) >= 2, attempts
            assert all(e and "Connection refused" in e for e in errors), errors
            assert sink.messages == []
            sink.start()
            _wait(lambda: _invitations_to(sink) == invitees, what="delivery once the server is back")
            time.sleep(2)  # no late duplicates from retries still queued
        assert _invitations_to(sink) == invitees
        assert set(_sent(pg, f"invitation:{meeting_id}:").values()) == {"sent"}
    finally:
        sink.stop()
        _cleanup(app, settings)


def _children(pid: int) -> list[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(p) for p in path.read_text().split()] if path.exists() else []


def test_a_worker_killed_during_a_task_leaves_it_to_be_done_again_without_a_duplicate_mail(
    pg: Database, redis_url: str
) -> None:
    meeting_id = _invited_meeting(pg)
    sink = SmtpSink(free_port(), delay=0.3)  # each mail takes a while: the task is long enough to kill
    sink.start()
    settings = worker_settings(sink.port, redis_url=redis_url)
    env = {
        **os.environ,
        "GREMIENLAUF_DATABASE_URL": pg.url,
        **{f"GREMIENLAUF_{k.upper()}": str(v) for k, v in settings.model_dump().items() if v is not None},
    }
    worker = subprocess.Popen(
        [sys.executable, "-m", "gremienlauf.cli", "worker", "--concurrency", "1", "--loglevel", "WARNING"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    app = create_celery(settings, pg.url)
    invitees = sorted(expected_invitees(pg, meeting_id))
    try:
        relay.publish_pending(pg.sessions, publisher(app))
        sink.wait_for(4, timeout=60)
        sink.arrived.clear()
        assert sink.arrived.wait(10)  # the fifth mail is in the middle of its SMTP conversation
        children = _children(worker.pid)
        assert len(children) == 1
        os.kill(children[0], signal.SIGKILL)  # the pool process dies; the worker itself lives on
        killed_at = len(sink.messages)
        assert killed_at < len(invitees)
        _wait(lambda: _invitations_to(sink) == invitees, timeout=90, what="the task done again")
        time.sleep(4)  # past the mail lease: nothing is sent twice
        assert _invitations_to(sink) == invitees
        assert set(_sent(pg, f"invitation:{meeting_id}:").values()) == {"sent"}
    finally:
        worker.send_signal(signal.SIGTERM)
        try:
            worker.wait(timeout=20)
        except subprocess.TimeoutExpired:
            worker.kill()
        sink.stop()
        _cleanup(app, settings)


@contextmanager
def private_redis(port: int) -> Iterator[subprocess.Popen[bytes]]:
    """A Redis server of this test alone, so it can be stopped without touching anyone else's."""
    server = subprocess.Popen(
        ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        from tests.workers.conftest import redis_reachable

        _wait(lambda: redis_reachable(f"redis://127.0.0.1:{port}/0"), timeout=10, what="redis-server")
        yield server
    finally:
        server.terminate()
        server.wait(timeout=10)


def test_redis_down_while_a_secretary_records_a_result_loses_nothing(
    pg: Database, smtp: SmtpSink, redis_url: str
) -> None:
    from fastapi.testclient import TestClient

    from api.app import create_app
    from tests.e2e.conftest import FakeClock, cheap_password_hashing, login
    from workflow import access

    with cheap_password_hashing():
        access.add_user(
            pg.sessions,
            municipality="wetzlar",
            username="schrift-mag",
            password="geheim-genug",
            role=access.Role.secretary,
            bodies=["magistrat"],
        )
    sc = Scenario(pg.sessions)
    paper = sc.submitted_paper(committees=["sjs"])
    meeting = sc.new_meeting("magistrat", "2013-09-30 09:00")
    item = sc.schedule(paper.id, "magistrat", meeting.id)
    sc.invite(meeting.id)
    sc.attend(meeting.id)
    with pg.sessions.begin() as s:  # what came before is handed over already; this test is about the result
        for row in s.scalars(select(OutboxMessage)):
            row.published_at = row.created_at

    port = free_port()
    settings = worker_settings(smtp.port, redis_url=f"redis://127.0.0.1:{port}/0", relay_interval=0.5)
    clock = FakeClock(meeting.start)
    clock.set("2013-09-30 09:30")
    app = create_app(pg.url, clock=clock, workers=settings)
    with TestClient(app) as client:  # Redis is not running
        token, _ = login(client, "schrift-mag", "geheim-genug")
        response = client.post(
            f"/api/v1/wetzlar/agenda-items/{item.id}/result",
            json={"outcome": "recommended", "votes": [{"yes": 12, "no": 0, "abstain": 0}]},
            headers={"Authorization": f"Bearer {token}"},
        )
        assert response.status_code == 201, response.text

        def pending() -> list[OutboxMessage]:
            with pg.session() as s:
                return list(s.scalars(select(OutboxMessage).where(OutboxMessage.published_at.is_(None))))

        _wait(lambda: any(r.attempts >= 2 for r in pending()), timeout=30, what="failed hand-overs")
        rows = pending()
        assert next(r.event_type for r in rows) == "ResultRecorded"
        assert all(r.last_error for r in rows if r.attempts)
        with pg.session() as s:
            from workflow.models import ItemResult

            assert (
                s.scalars(select(ItemResult).where(ItemResult.agenda_item_id == item.id)).one().outcome
                == "recommended"
            )

        with private_redis(port):
            celery = create_celery(settings, pg.url)
            with thread_worker(celery):
                _wait(lambda: pending() == [], timeout=30, what="the outbox to drain")
                _wait(
                    lambda: any("Ergebnis der Beratung" in s for s in smtp.subjects()),
                    timeout=30,
                    what="the result mail",
                )
        assert [m.recipients for m in smtp.messages if "Ergebnis" in str(m.message["Subject"])] == [
            ["koordinationsbuero@wetzlar.example"]
        ]


def test_beats_reminder_scan_on_the_real_worker_sends_a_due_reminder_once(
    pg: Database, smtp: SmtpSink, redis_url: str
) -> None:
    import datetime as dt

    from workflow import meetings as meeting_cases
    from workflow.models import Reminder, utcnow

    now = utcnow()
    meeting = meeting_cases.create_meeting(
        pg.sessions,
        actor="test",
        municipality="wetzlar",
        bodies=["magistrat"],
        start=now + dt.timedelta(days=8),
        location="Rathaus",
        now=now,
    )
    meeting_cases.add_agenda_item(
        pg.sessions, actor="test", meeting_id=meeting.id, title="Mitteilungen", now=now
    )
    meeting_cases.invite_meeting(pg.sessions, actor="test", meeting_id=meeting.id, now=now)
    with pg.sessions.begin() as s:  # the events are not the point here; a reminder that fell due is
        for row in s.scalars(select(OutboxMessage)):
            row.published_at = row.created_at
        s.add(
            Reminder(
                meeting_id=meeting.id,
                kind="meeting",
                offset_key="7d",
                due_at=now - dt.timedelta(minutes=1),
                state="pending",
                created_at=now,
            )
        )
    settings = worker_settings(smtp.port, redis_url=redis_url)
    app = create_celery(settings, pg.url)
    invitees = sorted(expected_invitees(pg, meeting.id))
    try:
        with thread_worker(app):
            for _ in range(3):  # three scans, two of them at the same moment
                app.send_task("gremienlauf.scan_reminders")

            def reminded() -> list[str]:
                with smtp.lock:
                    return sorted(
                        r
                        for m in smtp.messages
                        if str(m.message["Subject"]).startswith("Erinnerung:")
                        for r in m.recipients
                    )

            _wait(lambda: reminded() == invitees, what="the reminder")
            time.sleep(1.5)
        assert reminded() == invitees
        with pg.session() as s:
            assert s.scalars(select(Reminder.state)).all() == ["sent"]
    finally:
        _cleanup(app, settings)


def test_gremienlauf_beat_sends_the_relay_sweep_and_the_reminder_scan_to_the_queue(
    tmp_path: Path, redis_url: str
) -> None:
    import redis

    settings = worker_settings(0, redis_url=redis_url, relay_interval=0.5, reminder_interval=0.5)
    env = {
        **os.environ,
        **{f"GREMIENLAUF_{k.upper()}": str(v) for k, v in settings.model_dump().items() if v is not None},
    }
    beat = subprocess.Popen(
        [sys.executable, "-m", "gremienlauf.cli", "beat", "--schedule", str(tmp_path / "beat")],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    client = redis.Redis.from_url(redis_url)
    queue = f"{settings.queue_prefix}.tasks"
    try:
        _wait(lambda: client.llen(queue) >= 4, timeout=30, what="beat's tasks")
        names = {json.loads(m)["headers"]["task"] for m in client.lrange(queue, 0, -1)}
        assert names == {"gremienlauf.relay_sweep", "gremienlauf.scan_reminders"}
    finally:
        beat.terminate()
        beat.wait(timeout=20)
        client.delete(queue)


def test_a_task_whose_mail_server_stays_down_is_not_given_up_after_a_few_hours() -> None:
    # With 30 retries at most 600 s apart, an SMTP outage over a weekend lost every invitation of it:
    # the task failed for good, its mails stayed 'failed' and nothing sent them later.
    from workers import runtime

    try:
        app = create_celery(WorkerSettings(redis_url="redis://127.0.0.1:1/0"))
        for name in ("gremienlauf.run_job", "gremienlauf.send_reminder"):
            assert app.tasks[name].max_retries is None
    finally:
        runtime.configure()


def _relay_once(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "gremienlauf.cli", "relay", "--once"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_gremienlauf_relay_hands_over_what_the_api_wrote_as_a_process_of_its_own(
    pg: Database, redis_url: str
) -> None:
    """With ``GREMIENLAUF_API_RELAY=false`` in the API processes (as in docker-compose.yml), the relay runs
    as ``gremienlauf relay``: it hands every pending event to the queue within its interval, and stops on
    SIGTERM; ``--once`` hands over what is pending and ends."""
    import redis

    settings = worker_settings(0, redis_url=redis_url)
    env = {
        **os.environ,
        **{f"GREMIENLAUF_{k.upper()}": str(v) for k, v in settings.model_dump().items() if v is not None},
        "GREMIENLAUF_DATABASE_URL": pg.url,
    }
    client = redis.Redis.from_url(redis_url)
    queue = f"{settings.queue_prefix}.tasks"
    _invited_meeting(pg)  # the use cases wrote events; no relay ran
    try:
        with pg.session() as s:
            assert None in s.scalars(select(OutboxMessage.published_at)).all()
        once = _relay_once(env)
        assert once.returncode == 0, once.stderr[-2000:]
        assert re.search(r"^\d+ Ereignis(se)? an die Worker übergeben\.$", once.stdout, re.M), once.stdout
        with pg.session() as s:
            assert None not in s.scalars(select(OutboxMessage.published_at)).all()
        handed = client.llen(queue)
        assert handed >= 1
        client.delete(queue)

        running = subprocess.Popen(
            [sys.executable, "-m", "gremienlauf.cli", "relay", "--interval", "0.2"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            _invited_meeting(pg)  # new events while it runs
            _wait(lambda: client.llen(queue) >= 1, timeout=30, what="the relay's hand-over")
            with pg.session() as s:
                _wait(
                    lambda: None not in s.scalars(select(OutboxMessage.published_at)).all(),
                    timeout=30,
                    what="every event published",
                )
        finally:
            running.send_signal(signal.SIGTERM)
            out, err = running.communicate(timeout=30)
        assert running.returncode == 0, err[-2000:]
        assert "Beendet;" in out

        _invited_meeting(pg)  # more events, and the broker is gone
        down = {**env, "GREMIENLAUF_REDIS_URL": f"redis://127.0.0.1:{free_port()}/0"}
        failed = _relay_once(down)
        assert failed.returncode == 1, failed.stderr[-2000:]
        assert "0 Ereignisse an die Worker übergeben." in failed.stdout
        assert "stehen noch aus" in failed.stderr
        assert "Traceback" not in failed.stderr
        with pg.session() as s:
            assert None in s.scalars(select(OutboxMessage.published_at)).all()  # nothing lost
    finally:
        client.delete(queue, f"{settings.queue_prefix}.pdf")
