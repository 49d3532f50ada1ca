"""The result writer checks the requests of a batch together (``api.result_admission``) and gathers the
results that keep arriving into one batch; on SQLite and PostgreSQL.

A request checked in a batch must get exactly the answer it gets alone: each its own 401, 403 or 404, in
the order every route checks them (municipality, token, TOP, right to record, factions), and a broken
rule only its own 422.
"""

from __future__ import annotations

import datetime as dt
import re
import subprocess
import sys
import threading
import time
from concurrent.futures import Future
from typing import Any

import pytest
from fastapi.testclient import TestClient
from opentelemetry import trace
from sqlalchemy import func, select

import api.result_writer as result_writer
from api import schemas
from api.app import create_app
from api.result_admission import Answer, Submission, admit
from api.result_writer import ResultWriter
from tests.conftest import Database
from tests.e2e.conftest import cheap_password_hashing
from tests.integration.test_result_batches import NOW, _meetings_with_items, _recording
from tests.scenario import Scenario
from workflow import results
from workflow.access import TOKEN_LIFETIME, Forbidden, Role, Unauthenticated, add_user, login
from workflow.bulk import insert_many_with_ids
from workflow.db import upgrade
from workflow.errors import DomainError, NotFound, VoteInconsistent
from workflow.models import AuditEvent, ItemResult, OutboxMessage, table

GOOD = {"outcome": "recommended", "votes": [{"yes": 9, "no": 2, "abstain": 1}]}


def _votes(result: results.RecordedResult) -> list[tuple[int, int, int]]:
    return [(v.yes, v.no, v.abstain) for v in result.votes]


def _data(body: dict[str, Any]) -> schemas.ResultIn:
    return schemas.ResultIn.model_validate(body)


@pytest.fixture
def tokens(db: Database) -> dict[str, str]:
    """Tokens of the Magistrat's secretary, a committee's secretary, and one that has expired."""
    with cheap_password_hashing():
        for name, bodies in (("schrift-magistrat", ["magistrat"]), ("schrift-sjs", ["sjs"])):
            add_user(
                db.sessions,
                municipality="wetzlar",
                username=name,
                password="passwort-1234",
                role=Role.secretary,
                bodies=bodies,
                actor="test",
                now=NOW - dt.timedelta(hours=1),
            )
        found = {
            name: login(db.sessions, username=f"schrift-{name}", password="passwort-1234", now=NOW)[0]
            for name in ("magistrat", "sjs")
        }
        found["expired"] = login(
            db.sessions,
            username="schrift-magistrat",
            password="passwort-1234",
            now=NOW - dt.timedelta(days=2),
        )[0]
    return found


def _alone(db: Database, submission: Submission) -> object:
    """What the request gets on its own: its checks, then its result recorded alone."""
    with db.session() as session:
        [checked] = admit(session, [submission])
    if isinstance(checked, DomainError):
        return checked
    [outcome] = results.record_results(db.sessions, [checked.recording])
    return outcome


def test_a_batch_of_requests_gets_each_the_answer_it_gets_alone(
    db: Database, tokens: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    sc = Scenario(db.sessions)
    [first, second] = _meetings_with_items(sc, 2, 9)
    named_faction = {
        "outcome": "recommended",
        "votes": [
            {
                "yes": 9,
                "no": 2,
                "abstain": 1,
                "factions": [{"faction": "keine-fraktion", "yes": 1, "no": 0, "abstain": 0}],
            }
        ],
    }
    broken = {"outcome": "recommended", "votes": [{"yes": 90, "no": 0, "abstain": 0}]}
    magistrat, sjs = tokens["magistrat"], tokens["sjs"]
    # Each row: the request, and the same request again on twin data (the second meeting), recorded alone.
    cases: list[tuple[str | None, str, int, dict[str, Any], type]] = [
        (magistrat, "wetzlar", 0, GOOD, Answer),
        ("not-a-token", "atlantis", 1, GOOD, NotFound),  # the municipality first, even before the token
        ("not-a-token", "wetzlar", 2, GOOD, Unauthenticated),
        (tokens["expired"], "wetzlar", 3, GOOD, Unauthenticated),
        (None, "wetzlar", 4, GOOD, Unauthenticated),  # the public
        (sjs, "wetzlar", 5, GOOD, Forbidden),  # a committee's secretary, a Magistrat TOP
        (magistrat, "duisburg", 6, GOOD, NotFound),  # a Wetzlar TOP under another municipality
        (magistrat, "wetzlar", 7, named_faction, NotFound),  # a faction that does not exist
        (magistrat, "wetzlar", 8, broken, VoteInconsistent),  # more votes than members
    ]
    missing = (magistrat, "wetzlar", 2_000_000_000, GOOD, NotFound)
    gate = threading.Event()
    sizes: list[int] = []

    def gated(session: Any, submissions: Any) -> Any:
        gate.wait(10)
        sizes.append(len(submissions))
        return admit(session, submissions)

    monkeypatch.setattr(result_writer, "admit", gated)
    writer = ResultWriter(db.sessions)
    futures: list[Future[Answer]] = []
    for token, town, index, body, _ in [*cases, missing]:
        item = first[index] if index < len(first) else index
        futures.append(writer.submit(Submission(token, town, item, _data(body), NOW)))
    gate.set()
    answers: list[object] = []
    for future in futures:
        try:
            answers.append(future.result(30))
        except DomainError as exc:
            answers.append(exc)
    writer.stop()
    assert sizes[0] == len(futures)  # all of them checked in one batch

    for (token, town, index, body, expected), answer in zip([*cases, missing], answers, strict=True):
        assert isinstance(answer, expected), (town, index, answer)
        item = second[index] if index < len(second) else index
        alone = _alone(db, Submission(token, town, item, _data(body), NOW))
        if isinstance(answer, Answer):
            assert isinstance(alone, results.RecordedResult)
            assert _votes(answer.result) == _votes(alone)
            assert (answer.result.outcome, len(answer.result.present)) == (alone.outcome, len(alone.present))
        else:
            assert type(alone) is type(answer)
            assert re.sub(r"\d+", "#", str(alone)) == re.sub(r"\d+", "#", str(answer))
    with db.session() as s:
        recorded = set(s.scalars(select(ItemResult.agenda_item_id)))
    assert recorded == {first[0], second[0]}  # nothing else was written


def test_results_that_keep_arriving_join_one_batch_and_a_lone_one_waits_only_the_quiet_time(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    sc = Scenario(db.sessions)
    agendas = _meetings_with_items(sc, 5, 1)
    sizes: list[int] = []
    record_results = results.record_results

    def counted(sessions: Any, recordings: Any) -> Any:
        sizes.append(len(recordings))
        return record_results(sessions, recordings)

    monkeypatch.setattr(results, "record_results", counted)
    writer = ResultWriter(db.sessions, gather_seconds=5.0, quiet_seconds=0.3)
    futures = []
    for (item,) in agendas[:4]:  # one every 50 ms: each within the quiet time of the one before
        futures.append(Future[results.RecordedResult]())
        threading.Thread(
            target=lambda i=item, f=futures[-1]: f.set_result(writer.record(_recording(i)))
        ).start()
        time.sleep(0.05)
    for future in futures:
        future.result(30)
    assert sizes == [4]
    started = time.monotonic()
    writer.record(_recording(agendas[4][0]))
    assert 0.3 <= time.monotonic() - started < 5.0  # waited for the quiet time, not the whole gathering
    assert sizes == [4, 1]
    writer.stop()


def test_a_request_whose_waiting_was_cancelled_is_not_recorded(db: Database, tokens: dict[str, str]) -> None:
    sc = Scenario(db.sessions)
    (a,), (b,) = _meetings_with_items(sc, 2, 1)
    writer = ResultWriter(db.sessions, quiet_seconds=0.3)
    gone = writer.submit(Submission(tokens["magistrat"], "wetzlar", a, _data(GOOD), NOW))
    assert gone.cancel()  # the client went away while its batch was still gathering
    kept = writer.submit(Submission(tokens["magistrat"], "wetzlar", b, _data(GOOD), NOW))
    assert kept.result(30).result.agenda_item_id == b
    writer.stop()
    with db.session() as s:
        assert set(s.scalars(select(ItemResult.agenda_item_id))) == {b}


@pytest.mark.postgres
def test_two_writer_threads_record_every_result_once_and_stop_together(pg: Database) -> None:
    sc = Scenario(pg.sessions)
    agendas = _meetings_with_items(sc, 6, 3)
    writer = ResultWriter(pg.sessions, writers=2, max_batch=4)
    answers: dict[int, Any] = {}

    def secretary(items: list[int]) -> None:
        for item in items:
            answers[item] = writer.record(_recording(item))

    threads = [threading.Thread(target=secretary, args=(agenda,)) for agenda in agendas]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert len(writer._threads) == 2
    writer.stop()
    assert writer._threads == []
    items = {item for agenda in agendas for item in agenda}
    assert set(answers) == items
    with pg.session() as s:
        assert set(s.scalars(select(ItemResult.agenda_item_id))) == items
        assert s.scalar(
            select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "result.recorded")
        ) == len(items)
        assert s.scalar(
            select(func.count())
            .select_from(OutboxMessage)
            .where(OutboxMessage.event_type == "ResultRecorded")
        ) == len(items)


def test_new_ids_are_given_in_the_order_of_the_rows(db: Database) -> None:
    """``insert_many_with_ids``: on PostgreSQL the ids come back sorted, and the rows were numbered in
    their order; each id must name its own row."""
    rows = [
        {
            "created_at": NOW,
            "event_type": f"Probe{n}",
            "payload": {"n": n, "text": 'a "quoted" ß'},
            "attempts": n,
        }
        for n in range(300)
    ]
    with db.engine.begin() as conn:
        ids = insert_many_with_ids(conn, table(OutboxMessage), rows)
    assert len(ids) == len(set(ids)) == 300
    with db.session() as s:
        for n, id_ in enumerate(ids):
            message = s.get_one(OutboxMessage, id_)
            assert (message.event_type, message.payload["n"], message.attempts) == (f"Probe{n}", n, n)
            assert message.payload["text"] == 'a "quoted" ß'
            assert message.created_at == NOW


def test_the_server_process_freezes_what_it_holds_after_start_up(tmp_path: Any) -> None:
    """``api.main`` (the app uvicorn serves) leaves its start-up heap out of garbage collection; an app
    built by tests does not. In a child process: freezing is for good."""
    script = f"""
import gc
from fastapi.testclient import TestClient
from api.app import create_app
url = "sqlite:///{tmp_path / "x.sqlite3"}"
from workflow.db import upgrade
upgrade(url)
with TestClient(create_app(url)):
    assert gc.get_freeze_count() == 0
with TestClient(create_app(url, freeze_gc=True)):
    assert gc.get_freeze_count() > 10_000, gc.get_freeze_count()
print("ok")
"""
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert done.stdout.strip() == "ok", done.stderr[-2000:]


def test_fastapi_telemetry_is_off_unless_asked_for(monkeypatch: pytest.MonkeyPatch, tmp_path: Any) -> None:
    """Unused, FastAPI's telemetry looked up the OpenTelemetry providers on every request."""
    url = f"sqlite:///{tmp_path / 'x.sqlite3'}"
    upgrade(url)
    lookups: list[int] = []
    real = trace.get_tracer_provider

    def counted() -> Any:
        lookups.append(1)
        return real()

    monkeypatch.setattr(trace, "get_tracer_provider", counted)
    with TestClient(create_app(url)) as client:
        assert client.get("/api/v1/wetzlar/papers").status_code in (200, 404)
    assert lookups == []
    monkeypatch.setenv("GREMIENLAUF_TELEMETRY", "true")
    with TestClient(create_app(url)) as client:
        client.get("/api/v1/wetzlar/papers")
    assert lookups


def test_a_defect_in_a_batch_fails_its_requests_and_the_writer_goes_on(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    sc = Scenario(db.sessions)
    (a,), (b,) = _meetings_with_items(sc, 2, 1)
    writer = ResultWriter(db.sessions)
    real = ResultWriter._admit

    def broken(self: ResultWriter, batch: Any) -> Any:
        raise KeyError("a defect")

    monkeypatch.setattr(ResultWriter, "_admit", broken)
    with pytest.raises(KeyError, match="a defect"):
        writer.record(_recording(a))
    monkeypatch.setattr(ResultWriter, "_admit", real)
    assert writer.record(_recording(b)).agenda_item_id == b  # the same thread, still serving
    writer.stop()


def test_each_request_of_a_batch_is_checked_at_its_own_time(db: Database, tokens: dict[str, str]) -> None:
    """Review of ab8bd22: a batch checked every token at the latest time of the batch, so a request whose
    token was still valid at its own time got a 401 when a later request shared its batch."""
    expires = NOW + TOKEN_LIFETIME  # the Magistrat secretary logged in at NOW
    early = Submission(
        tokens["magistrat"], "wetzlar", 2_000_000_000, _data(GOOD), expires - dt.timedelta(seconds=1)
    )
    late = Submission(
        tokens["magistrat"], "wetzlar", 2_000_000_000, _data(GOOD), expires + dt.timedelta(seconds=1)
    )
    with db.session() as session:
        [first, second] = admit(session, [early, late])
    assert isinstance(first, NotFound)  # the token was valid then: the TOP that does not exist
    assert isinstance(second, Unauthenticated)
