"""Benchmark: recording a result over HTTP on PostgreSQL, one API process, beside a bare FastAPI endpoint.

Targets (issue 11, "Figures"), on this 2-core machine, for ``POST /api/v1/wetzlar/agenda-items/{id}/result``:

- one secretary at a time (1 client): p50 under 15 ms, p99 under 40 ms;
- 32 secretaries at 32 meetings at once (32 clients): at least 100 results per second, p99 under 500 ms,
  0 failed, and afterwards every result with its audit events and its outbox message (checked in SQL).

What it does:

1. A scratch PostgreSQL database ``gl_bench_record_<pid>``: the migrations, the Wetzlar municipality and a
   secretary (Schriftführung) of the Magistrat.
2. One template meeting of the Magistrat, built with the real use cases: ``--per-meeting`` papers drafted,
   planned (default Beratungsfolge), submitted and put on its agenda, the invitation issued and the
   attendance recorded. The meeting started yesterday (by the real clock), so the API process, which runs
   on the real clock, may record results for it.
3. The template meeting is copied with SQL (papers, steps, meeting, agenda, attendance; ids shifted,
   Drucksachen-Nr. renumbered) until ``--items`` agenda items wait for a result, and ``--history`` more
   get their result through the use case first (a database in use holds earlier results); then
   ``VACUUM ANALYZE``. Copying keeps the setup to seconds; every copy is the same rows the use cases wrote.
4. Two uvicorn processes, one after the other, each ``--workers 1`` on 127.0.0.1 and a free port: the
   bare endpoint (``benchmarks.bare_app``: same route, same body model, no database), then the app as
   shipped (``api.main:app``). The app runs as in ``docker-compose.yml``: with ``GREMIENLAUF_API_RELAY=false``
   while ``gremienlauf relay`` runs beside it as a process of its own and hands each outbox message to
   Celery on Redis (``--redis-url``, a queue prefix of its own, removed afterwards). ``--worker`` chooses
   another set-up.
5. Against each process both scenarios, one after the other: ``one`` (1 client) and ``busy``
   (``--clients``, default 32). A client is a secretary working through the agenda of one meeting, TOP by
   TOP, then taking the next meeting, so no two clients record for the same meeting. ``--warmup`` seconds
   are not measured, then ``--duration`` seconds are (or until the first client runs out of meetings).
6. Afterwards, in SQL: every result has its two audit events and its outbox message, and the database
   holds exactly the results recorded before the load plus one per 201 answer.

Printed: a table of both scenarios for both endpoints, the verdict per target and the load averages;
``--json FILE`` writes every figure to a file as well.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import contextlib
import datetime as dt
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, select, text
from sqlalchemy.orm import Session, sessionmaker

from benchmarks.common import (
    CpuMeter,
    HttpConnection,
    Repeat,
    Request,
    RequestSource,
    Server,
    Summary,
    busy_share,
    busy_warning,
    cpu_seconds,
    load_average,
    machine,
    postgres_version,
    profiled,
    run_load_sync,
    scratch_database,
    wait_until_quiet,
    write_json,
)
from workflow import meetings, papers, planning, quorum, results
from workflow.access import Role, add_user, principal_of_user
from workflow.db import make_engine, make_session_factory, upgrade
from workflow.models import Base, Body, Consultation, Membership
from workflow.municipality import example_path
from workflow.rules import BERLIN, VoteInput
from workflow.setup import import_municipality
from workflow.vocabulary import MembershipRole, Outcome, PaperKind

TOWN = "wetzlar"
BODY = "magistrat"
SECRETARY = "bench-schrift-magistrat"
PASSWORD = "benchmark-passwort"
SETUP_TIME = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
ACTOR = "Benchmark"
#: What a secretary sends for a Magistrat TOP: recommended, 9 yes / 2 no / 1 abstention of 12 present.
RESULT_BODY = {"outcome": "recommended", "votes": [{"yes": 9, "no": 2, "abstain": 1}]}
STRIDE = 100_000  # id offset between copies of the template meeting


# ------------------------------------------------------------------------------------------- setup


@dataclass(frozen=True)
class Fixture:
    meetings: dict[int, list[int]]  # meeting id → agenda item ids in agenda order
    meeting_start: dt.datetime
    history: int  # results recorded before the load

    @property
    def items(self) -> int:
        return sum(len(items) for items in self.meetings.values())


def _voting_members(sessions: sessionmaker[Session], body_id: int) -> list[int]:
    with sessions() as session:
        return list(
            session.scalars(
                select(Membership.person_id)
                .where(
                    Membership.body_id == body_id,
                    Membership.role != MembershipRole.substitute.value,
                    Membership.voting_right.is_(True),
                )
                .order_by(Membership.id)
            )
        )


def build_template_meeting(sessions: sessionmaker[Session], per_meeting: int, start: dt.datetime) -> int:
    """A Magistrat meeting that started at ``start`` with ``per_meeting`` papers on its agenda, invited,
    attendance and quorum recorded: all through the use cases, each at a plausible moment before the meeting."""
    planned_at = start - dt.timedelta(days=30)
    with sessions() as session:
        body_id = session.scalars(select(Body.id).where(Body.key == BODY)).one()
    meeting = meetings.create_meeting(
        sessions,
        actor=ACTOR,
        municipality=TOWN,
        bodies=[BODY],
        start=start,
        location="Rathaus",
        now=planned_at,
    )
    for number in range(1, per_meeting + 1):
        paper = papers.draft_paper(
            sessions,
            actor=ACTOR,
            municipality=TOWN,
            kind=PaperKind.beschlussvorlage,
            department="kbs",
            subject=f"Zuschuss an den Jugendverein Nr. {number} für die Ferienspiele",
            paper_date=planned_at.astimezone(BERLIN).date(),
            proposed_resolution="Die Stadtverordnetenversammlung beschließt den Zuschuss.",
            justification="Die Ferienspiele werden seit Jahren gut angenommen.",
            now=planned_at,
        )
        planning.plan_consultations(sessions, actor=ACTOR, paper_id=paper.id, now=planned_at)
        papers.submit_paper(sessions, actor=ACTOR, paper_id=paper.id, now=planned_at)
        with sessions() as session:
            step_id = session.scalars(
                select(Consultation.id).where(
                    Consultation.paper_id == paper.id, Consultation.body_id == body_id
                )
            ).one()
        meetings.schedule_consultation(
            sessions,
            actor=ACTOR,
            consultation_id=step_id,
            meeting_id=meeting.id,
            now=start - dt.timedelta(days=20),
        )
    meetings.invite_meeting(sessions, actor=ACTOR, meeting_id=meeting.id, now=start - dt.timedelta(days=10))
    meetings.record_attendance(
        sessions,
        actor=ACTOR,
        meeting_id=meeting.id,
        present=_voting_members(sessions, body_id),
        now=start + dt.timedelta(minutes=1),
    )
    # The chair establishes the quorum at the opening: without it no decision is recorded.
    quorum.establish_quorum(
        sessions, actor=ACTOR, meeting_id=meeting.id, body=BODY, now=start + dt.timedelta(minutes=2)
    )
    return meeting.id


#: Which rows of the template are copied, and which of their columns hold ids that move with the copy.
_TEMPLATE_PAPERS = (
    "SELECT c.paper_id FROM consultation c JOIN agenda_item ai ON ai.consultation_id = c.id "
    "WHERE ai.meeting_id = :meeting"
)
_COPIED: list[tuple[str, str, frozenset[str]]] = [
    ("paper", f"id IN ({_TEMPLATE_PAPERS})", frozenset({"id"})),
    ("meeting", "id = :meeting", frozenset({"id"})),
    ("meeting_body", "meeting_id = :meeting", frozenset({"meeting_id"})),
    (
        "consultation",
        f"paper_id IN ({_TEMPLATE_PAPERS})",
        frozenset({"id", "paper_id", "meeting_id", "referred_from_id"}),
    ),
    ("agenda_item", "meeting_id = :meeting", frozenset({"id", "meeting_id", "consultation_id"})),
    ("attendance", "meeting_id = :meeting", frozenset({"id", "meeting_id"})),
    ("meeting_quorum", "meeting_id = :meeting", frozenset({"id", "meeting_id", "lacking_from_item_id"})),
]


def copy_template_meeting(engine: Engine, meeting_id: int, per_meeting: int, copies: int) -> None:
    """``copies`` copies of the template meeting with its papers, steps, agenda, attendance and quorum."""
    with engine.begin() as conn:
        for table in ("paper", "consultation", "meeting", "agenda_item", "attendance", "meeting_quorum"):
            biggest = conn.execute(text(f"SELECT coalesce(max(id), 0) FROM {table}")).scalar_one()
            if biggest >= STRIDE:
                raise RuntimeError(f"template ids of {table} reach {biggest}; raise STRIDE")
        for table, where, shifted in _COPIED:
            columns = [c.name for c in Base.metadata.tables[table].columns]
            values = []
            for name in columns:
                if name in shifted:
                    values.append(f'"{name}" + g * {STRIDE}')
                elif (table, name) == ("consultation", "agenda_item_id"):
                    values.append("NULL")  # set below, once the agenda items exist
                elif (table, name) == ("paper", "reference"):
                    number = f"(split_part(reference, '/', 1)::int + g * {per_meeting})"
                    values.append(
                        f"CASE WHEN reference IS NULL THEN NULL ELSE "
                        f"lpad({number}::text, greatest(4, length({number}::text)), '0') "
                        f"|| '/' || split_part(reference, '/', 2) END"
                    )
                else:
                    values.append(f'"{name}"')
            quoted = ", ".join(f'"{name}"' for name in columns)
            conn.execute(
                text(
                    f'INSERT INTO "{table}" ({quoted}) SELECT {", ".join(values)} '
                    f"FROM {table}, generate_series(1, :copies) AS g WHERE {where}"
                ),
                {"meeting": meeting_id, "copies": copies},
            )
        conn.execute(
            text(
                f"UPDATE consultation SET agenda_item_id = src.agenda_item_id + (consultation.id / {STRIDE}) "
                f"* {STRIDE} FROM consultation src WHERE src.id = consultation.id % {STRIDE} "
                f"AND consultation.id >= {STRIDE} AND src.agenda_item_id IS NOT NULL"
            )
        )
        for table in ("paper", "consultation", "meeting", "agenda_item", "attendance", "meeting_quorum"):
            conn.execute(
                text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")
            )
        conn.execute(
            text(
                "UPDATE reference_counter SET last_number = (SELECT max(split_part(reference, '/', 1)::int) "
                "FROM paper WHERE paper.municipality_id = reference_counter.municipality_id "
                "AND split_part(reference, '/', 2)::int = reference_counter.year % 100)"
            )
        )
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE"))


def build_fixture(url: str, items: int, per_meeting: int, history: int) -> Fixture:
    started = time.perf_counter()
    upgrade(url)
    engine = make_engine(url)
    sessions = make_session_factory(engine)
    import_municipality(sessions, example_path(TOWN), actor=ACTOR, now=SETUP_TIME)
    add_user(
        sessions,
        municipality=TOWN,
        username=SECRETARY,
        password=PASSWORD,
        role=Role.secretary,
        bodies=[BODY],
        actor=ACTOR,
        now=SETUP_TIME,
    )
    yesterday = (dt.datetime.now(BERLIN) - dt.timedelta(days=1)).date()
    start = dt.datetime.combine(yesterday, dt.time(9, 0), tzinfo=BERLIN)
    template = build_template_meeting(sessions, per_meeting, start)
    print(
        f"  template meeting with {per_meeting} TOPs via the use cases: {time.perf_counter() - started:.1f} s"
    )
    copies = max(0, -(-(items + history) // per_meeting) - 1)
    copy_template_meeting(engine, template, per_meeting, copies)
    agenda: dict[int, list[int]] = collections.defaultdict(list)
    with engine.connect() as conn:
        rows = conn.execute(text('SELECT id, meeting_id FROM agenda_item ORDER BY meeting_id, "order"'))
        for item_id, meeting_id in rows:
            agenda[meeting_id].append(item_id)
    recorded = record_history(sessions, agenda, history)
    with engine.begin() as conn:
        # The events of the earlier days went to the workers back then. Left pending, the relay (or the
        # in-process worker) would hand them over during the first scenario, on the same CPUs as the API.
        handed = conn.execute(text("UPDATE outbox SET published_at = now() WHERE published_at IS NULL"))
        print(f"  {handed.rowcount} outbox messages of the setup marked as handed to the workers")
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE"))  # what autovacuum does after so many new rows
    engine.dispose()
    fixture = Fixture(dict(agenda), start, recorded)
    print(
        f"  {recorded} results recorded before (the meetings of earlier days), {len(fixture.meetings)} "
        f"meetings with {fixture.items} TOPs waiting for a result: {time.perf_counter() - started:.1f} s"
    )
    return fixture


def record_history(sessions: sessionmaker[Session], agenda: dict[int, list[int]], count: int) -> int:
    """Results for the TOPs of the first meetings, ``count`` at least, through the use case as the
    secretary; those meetings leave ``agenda``. A city's database holds the results of earlier meetings:
    measured on empty result tables, PostgreSQL plans its foreign-key checks for tables without rows (a
    sequential scan, kept by each connection until the statistics change), which no database in use has.
    """
    chosen: list[int] = []
    while len(chosen) < count and agenda:
        chosen.extend(agenda.pop(next(iter(agenda))))
    now = dt.datetime.now(dt.UTC)
    given = results.ResultInput(Outcome.recommended, votes=[VoteInput(9, 2, 1)])
    with sessions() as session:
        secretary = principal_of_user(session, SECRETARY)
    for item_id in chosen:
        results.record_result(sessions, who=secretary, agenda_item_id=item_id, result=given, now=now)
    return len(chosen)


# -------------------------------------------------------------------------------------------- load


class MeetingQueue:
    """Each client takes the next meeting and records its TOPs one after the other."""

    def __init__(
        self, meetings_: dict[int, list[int]], token: str, *, idempotency_keys: bool = False
    ) -> None:
        self._meetings = collections.deque(meetings_.values())
        self._current: dict[int, collections.deque[int]] = {}
        self._body = json.dumps(RESULT_BODY).encode()
        self._headers = {"Authorization": f"Bearer {token}"}
        self._keys = idempotency_keys

    def next(self, client: int) -> Request | None:
        items = self._current.get(client)
        if not items:
            if not self._meetings:
                return None
            items = self._current[client] = collections.deque(self._meetings.popleft())
        item = items.popleft()
        headers = self._headers | {"Idempotency-Key": f"result-{item}"} if self._keys else self._headers
        return Request("POST", f"/api/v1/{TOWN}/agenda-items/{item}/result", self._body, headers)


def login(host: str, port: int) -> str:
    async def go() -> str:
        connection = HttpConnection(host, port)
        body = json.dumps({"username": SECRETARY, "password": PASSWORD}).encode()
        response = await connection.request("POST", "/api/v1/auth/token", body)
        await connection.close()
        if response.status != 200:
            raise RuntimeError(f"login failed: {response.status} {response.body!r}")
        return str(response.json()["access_token"])

    return asyncio.run(go())


# ------------------------------------------------------------------------------------ verification


def verify(url: str) -> dict[str, int]:
    """Every recorded result has its audit events and its outbox message."""
    engine = make_engine(url)
    with engine.connect() as conn:

        def count(sql: str) -> int:
            return int(conn.execute(text(sql)).scalar_one())

        found = {
            "results": count("SELECT count(*) FROM item_result"),
            "audit_result_recorded": count(
                "SELECT count(*) FROM audit_event WHERE action = 'result.recorded'"
            ),
            "audit_step_dealt_with": count(
                "SELECT count(*) FROM audit_event WHERE action = 'consultation.dealt_with'"
            ),
            "outbox_result_recorded": count(
                "SELECT count(*) FROM outbox WHERE event_type = 'ResultRecorded'"
            ),
            "results_without_audit": count(
                "SELECT count(*) FROM item_result r WHERE NOT EXISTS (SELECT 1 FROM audit_event a "
                "WHERE a.action = 'result.recorded' AND a.entity_type = 'item_result' AND a.entity_id = r.id)"
            ),
            "results_without_step_audit": count(
                "SELECT count(*) FROM item_result r JOIN agenda_item ai ON ai.id = r.agenda_item_id "
                "WHERE NOT EXISTS (SELECT 1 FROM audit_event a WHERE a.action = 'consultation.dealt_with' "
                "AND a.entity_type = 'consultation' AND a.entity_id = ai.consultation_id)"
            ),
            "results_without_outbox": count(
                "SELECT count(*) FROM item_result r WHERE NOT EXISTS (SELECT 1 FROM outbox o "
                "WHERE o.event_type = 'ResultRecorded' "
                "AND (o.payload ->> 'agenda_item_id')::int = r.agenda_item_id)"
            ),
            "steps_dealt_with": count("SELECT count(*) FROM consultation WHERE state = 'dealt_with'"),
        }
    engine.dispose()
    return found


# -------------------------------------------------------------------------------------------- main


@dataclass(frozen=True)
class Scenario:
    key: str
    label: str
    clients: int


@dataclass(frozen=True)
class Target:
    scenario: str
    label: str
    met: Callable[[dict[str, Any]], bool]
    shown: Callable[[dict[str, Any]], str]


TARGETS = (
    Target("one", "p50 < 15 ms", lambda f: f["p50_ms"] < 15, lambda f: f"{f['p50_ms']:.1f} ms"),
    Target("one", "p99 < 40 ms", lambda f: f["p99_ms"] < 40, lambda f: f"{f['p99_ms']:.1f} ms"),
    Target("busy", "≥ 100 results/s", lambda f: f["per_second"] >= 100, lambda f: f"{f['per_second']:.1f}/s"),
    Target("busy", "p99 < 500 ms", lambda f: f["p99_ms"] < 500, lambda f: f"{f['p99_ms']:.1f} ms"),
    Target("busy", "0 failed", lambda f: f["failed"] == 0, lambda f: str(f["failed"])),
)


def drop_queues(redis_url: str, prefix: str) -> int:
    """Remove the benchmark's Celery queues (and kombu's bindings) from Redis; the messages they held."""
    import redis

    client = redis.Redis.from_url(redis_url)
    held = 0
    for key in client.scan_iter(match=f"{prefix}*"):
        if client.type(key) == b"list":
            held += int(client.llen(key))
        client.delete(key)
    for key in client.scan_iter(match=f"_kombu.binding.{prefix}*"):
        client.delete(key)
    client.close()
    return held


@contextlib.contextmanager
def relay_process(env: dict[str, str] | None) -> Iterator[subprocess.Popen[bytes] | None]:
    """``gremienlauf relay`` beside the API, as the ``relay`` service of docker-compose.yml (None: none)."""
    if env is None:
        yield None
        return
    process = subprocess.Popen(
        [sys.executable, "-m", "gremienlauf.cli", "relay", "--interval", "0.5"],
        env=os.environ | env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        yield process
    finally:
        process.terminate()
        process.wait(timeout=30)


def _load_average() -> list[float]:
    return [round(value, 2) for value in load_average()]


def measure(
    source: RequestSource,
    server: Server,
    database: str,
    scenario: Scenario,
    args: argparse.Namespace,
    relay: subprocess.Popen[bytes] | None = None,
    profile: tuple[Path, str] | None = None,
) -> tuple[dict[str, Any], int]:
    """One scenario against one server: its figures, and how many requests were answered 201."""
    load_before = _load_average()
    relay_cpu = cpu_seconds(relay.pid) if relay else 0.0
    with (
        profiled(
            server.pid,
            profile[0] if profile else None,
            profile[1] if profile else "",
            args.warmup + args.duration,
        ),
        CpuMeter(server.pid, database) as cpu,
    ):
        result = run_load_sync(
            source,
            server.host,
            server.port,
            clients=scenario.clients,
            warmup=args.warmup,
            duration=args.duration,
            timeout=args.timeout,
        )
    answered = sum(1 for sample in result.samples if sample.status)
    figures: dict[str, Any] = Summary.of_load(result).as_dict() | {
        "cpu_per_request": cpu.per_request_ms(answered)
    }
    if relay:
        spent = cpu_seconds(relay.pid) - relay_cpu
        figures["cpu_per_request"]["relay_process_cpu_ms"] = (
            round(1000 * spent / answered, 2) if answered else None
        )
    statuses = collections.Counter(sample.status for sample in result.samples)
    figures |= {
        "statuses_with_warmup": {str(status): count for status, count in sorted(statuses.items())},
        "errors": result.errors[:5],
        "load_average_before": load_before,
    }
    return figures, statuses[201]


def _cpu(ms: float | None) -> str:
    """A CPU figure for the table; PostgreSQL's is a lower bound (connections that closed during the
    scenario, e.g. the pool's overflow, took their CPU with them), and negative when many did: n/a."""
    return "" if ms is None else "n/a" if ms < 0 else f"{ms:.1f}"


def print_table(
    scenarios: list[Scenario], figures: dict[str, dict[str, Any]], args: argparse.Namespace
) -> None:
    print()
    print(
        f"{'':<34} {'2xx/s':>8} {'p50':>8} {'p95':>8} {'p99':>8} {'max':>8} {'failed':>6}  "
        f"{'CPU ms per request: API':>23} {'PG':>5} {'relay':>5}  load average before"
    )
    for scenario in scenarios:
        print(
            f"{scenario.label} ({scenario.clients} client{'s' if scenario.clients > 1 else ''}, "
            f"{args.warmup:g} s warm-up, {args.duration:g} s measured)"
        )
        for endpoint, label in (
            ("bare", "bare FastAPI endpoint"),
            ("record", "record a result (api.main:app)"),
        ):
            got = figures.get(endpoint, {}).get(scenario.key)
            if got is None:
                continue
            cpu = got["cpu_per_request"]
            relay = cpu.get("relay_process_cpu_ms")
            print(
                f"  {label:<32} {got['per_second']:>8.1f} {got['p50_ms']:>8.1f} {got['p95_ms']:>8.1f} "
                f"{got['p99_ms']:>8.1f} {got['max_ms']:>8.1f} {got['failed']:>6}  {cpu['server_cpu_ms']:>23.1f} "
                f"{_cpu(cpu['postgres_cpu_ms']):>5} {_cpu(relay):>5}  "
                + " ".join(f"{value:.2f}" for value in got["load_average_before"])
            )
            for error in got["errors"][:3]:
                print(f"    ! {error[:240]}")
    print(
        "(latencies in ms, of every request in flight in the measured window; 2xx/s: answers within it;\n"
        " CPU of PostgreSQL: its backends still open at the end and its background processes, a lower bound)"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--items", type=int, default=24_000, help="TOPs waiting for a result (default 24000)")
    parser.add_argument("--per-meeting", type=int, default=20, help="TOPs per meeting (default 20)")
    parser.add_argument(
        "--history",
        type=int,
        default=2_000,
        help="results recorded before the load, as a database in use holds them (default 2000; 0: none)",
    )
    parser.add_argument("--clients", type=int, default=32, help="clients of the busy scenario (default 32)")
    parser.add_argument(
        "--scenarios",
        default="one,busy",
        help="which scenarios, comma-separated: one (1 client), busy (--clients) (default: both)",
    )
    parser.add_argument("--warmup", type=float, default=3.0, help="seconds not measured (default 3)")
    parser.add_argument("--duration", type=float, default=20.0, help="measured seconds (default 20)")
    parser.add_argument(
        "--idempotency-keys",
        action="store_true",
        help="send an Idempotency-Key with every result (two more transactions per request)",
    )
    parser.add_argument(
        "--worker",
        choices=("relay-process", "relay", "beat", "in-process"),
        default="relay-process",
        help="what runs beside the API: as in docker-compose.yml, the API with GREMIENLAUF_API_RELAY=false "
        "and `gremienlauf relay` as a process of its own, handing the outbox to Redis (default); the "
        "API's own relay thread; nothing (beat's sweep would relay; not run here); or the embedded "
        "default's in-process worker",
    )
    parser.add_argument(
        "--redis-url",
        default="redis://127.0.0.1:6379/12",
        help="Redis for the relay (default redis://127.0.0.1:6379/12); its benchmark queues are removed after",
    )
    parser.add_argument("--timeout", type=float, default=60.0, help="a request fails after (default 60 s)")
    parser.add_argument(
        "--wait-quiet",
        type=float,
        default=0.0,
        metavar="SECONDS",
        help="on a shared machine: first wait up to SECONDS for the CPUs to be idle (default 0)",
    )
    parser.add_argument("--keep-database", action="store_true", help="do not drop the scratch database")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    parser.add_argument("--server-log", type=Path, help="keep the API process's log in this file")
    parser.add_argument(
        "--profile",
        type=Path,
        help="record the API process with py-spy during each scenario (pip install py-spy); one file per "
        "scenario, named <PROFILE stem>-<scenario><suffix>; .txt gives collapsed stacks, else speedscope",
    )
    args = parser.parse_args(argv)
    known = {
        "one": Scenario("one", "one secretary at a time", 1),
        "busy": Scenario(
            "busy", f"{args.clients} secretaries at {args.clients} meetings at once", args.clients
        ),
    }
    keys = [key.strip() for key in args.scenarios.split(",") if key.strip()]
    if not keys or set(keys) - set(known):
        parser.error(f"--scenarios: choose from {', '.join(known)}")
    scenarios = [known[key] for key in keys]
    if args.per_meeting < 1 or args.items < args.per_meeting or args.clients < 1:
        parser.error("need --items >= --per-meeting >= 1 and --clients >= 1")

    print("record_result: POST /api/v1/wetzlar/agenda-items/{id}/result")
    wait_until_quiet(args.wait_quiet)
    load_before = _load_average()
    busy_before = busy_share()
    print(
        f"load average {' '.join(f'{v:.2f}' for v in load_before)}, CPUs {busy_before:.0%} busy before the run"
    )
    warning = busy_warning(busy_before)
    if warning:
        print(warning)
    figures: dict[str, dict[str, Any]] = {"bare": {}, "record": {}}
    created = 0
    queue_prefix = f"gl-bench-{os.getpid()}"
    with scratch_database("record", keep=args.keep_database) as url:
        print(f"setup (PostgreSQL {postgres_version(url)}):")
        fixture = build_fixture(url, args.items, args.per_meeting, args.history)
        database = url.rsplit("/", 1)[1]
        body = json.dumps(RESULT_BODY).encode()
        print("load: bare endpoint, then the app, each in both scenarios")
        with Server("benchmarks.bare_app:app") as bare:
            request = Request("POST", f"/api/v1/{TOWN}/agenda-items/1/result", body)
            for scenario in scenarios:
                figures["bare"][scenario.key], _ = measure(Repeat(request), bare, database, scenario, args)

        env = {"GREMIENLAUF_DATABASE_URL": url}
        if args.worker != "in-process":
            env |= {"GREMIENLAUF_REDIS_URL": args.redis_url, "GREMIENLAUF_QUEUE_PREFIX": queue_prefix}
            env |= {"GREMIENLAUF_API_RELAY": str(args.worker == "relay").lower()}
        with (
            Server("api.main:app", env=env, keep_log=args.server_log) as app,
            relay_process(env if args.worker == "relay-process" else None) as relay,
        ):
            queue = MeetingQueue(
                fixture.meetings, login(app.host, app.port), idempotency_keys=args.idempotency_keys
            )
            for scenario in scenarios:
                profile = (args.profile, scenario.key) if args.profile else None
                got, answered = measure(queue, app, database, scenario, args, relay, profile)
                figures["record"][scenario.key] = got
                created += answered
        print_table(scenarios, figures, args)

        if args.worker in ("relay", "relay-process"):
            print(
                f"relay: {drop_queues(args.redis_url, queue_prefix)} messages handed to Redis (queues removed)"
            )
        counts = verify(url)
        rows_complete = (
            counts["results_without_audit"] == 0
            and counts["results_without_step_audit"] == 0
            and counts["results_without_outbox"] == 0
            and counts["audit_result_recorded"] == counts["results"]
            and counts["audit_step_dealt_with"] == counts["results"]
            and counts["outbox_result_recorded"] == counts["results"]
        )
        one_each = counts["results"] == fixture.history + created
        print(
            f"check: {created} answered 201 (warm-up included); in the database {counts['results']} results "
            f"({fixture.history} of them recorded before the load"
            + ("" if one_each else f", so {counts['results'] - fixture.history - created:+d} beside the 201s")
            + f") with {counts['audit_result_recorded']} + {counts['audit_step_dealt_with']} audit events and "
            f"{counts['outbox_result_recorded']} outbox messages → "
            + ("every result has its audit and outbox rows" if rows_complete else "ROWS MISSING")
        )

    verdicts: dict[str, dict[str, bool]] = {}
    print("targets (issue 11):")
    for target in TARGETS:
        measured = figures["record"].get(target.scenario)
        if measured is None:
            continue
        met = target.met(measured)
        verdicts.setdefault(target.scenario, {})[target.label] = met
        print(
            f"  {known[target.scenario].label}: {target.label}: {'met' if met else 'NOT met'} ({target.shown(measured)})"
        )
    verdicts["check"] = {
        "every result with its audit and outbox rows": rows_complete,
        "one result per 201": one_each,
    }
    print(f"  every result with its audit and outbox rows: {'met' if rows_complete else 'NOT met'}")
    load_after = _load_average()
    print(f"load average after the run: {' '.join(f'{v:.2f}' for v in load_after)}")
    data: dict[str, Any] = {
        "benchmark": "record_result",
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        "cpu_busy_before": round(busy_before, 3),
        "load_average_before": load_before,
        "load_average_after": load_after,
        "settings": {k: str(v) if isinstance(v, Path) else v for k, v in vars(args).items()},
        **figures,
        "database_check": counts | {"answered_201": created, "history": fixture.history},
        "targets": verdicts,
    }
    write_json(args.json, data)
    return 0 if rows_complete and one_each else 1


if __name__ == "__main__":
    sys.exit(main())
