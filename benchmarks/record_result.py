"""Benchmark: recording a result over HTTP on PostgreSQL, one API process, 32 concurrent clients.

Target (issue 3, "Speed"): at least 500 results per second with p99 under 100 ms, reported beside a bare
FastAPI endpoint measured in the same run.

What it does:

1. A scratch PostgreSQL database ``gl_bench_record_<pid>``: the migrations, the Wetzlar municipality and a
   secretary (Schriftführung) of the Magistrat.
2. One template meeting of the Magistrat, built with the real use cases: ``--per-meeting`` papers drafted,
   planned (default Beratungsfolge), submitted and put on its agenda, the invitation issued and the
   attendance recorded. The meeting started yesterday (by the real clock), so the API process, which runs
   on the real clock, may record results for it.
3. The template meeting is copied with SQL (papers, steps, meeting, agenda, attendance; ids shifted,
   Drucksachen-Nr. renumbered) until there are ``--items`` agenda items waiting for a result. Copying
   keeps the setup to seconds; every copy is the same rows the use cases wrote.
4. The API process runs as in production (``docker-compose.yml``): with ``GREMIENLAUF_API_RELAY=false``,
   while ``gremienlauf relay`` runs as a process of its own beside it and hands each outbox message to
   Celery on Redis (``--redis-url``, a queue prefix of its own, removed afterwards); the documents and
   mails are the separate workers' work, not measured here. ``--worker relay`` runs the API's own relay
   thread instead (the set-up before the relay service), ``--worker beat`` nothing beside it (beat's sweep
   would relay), ``--worker in-process`` the embedded default's in-process worker inside the API process
   (documents rendered in the same process).
   Uvicorn processes, one after the other, each ``--workers 1`` on 127.0.0.1 and a free port: the bare
   endpoint (``benchmarks.bare_app``), the app as shipped (``api.main:app``) and, as a what-if, the app with
   a connection pool of 2 × clients (``benchmarks.sized_pool_app``; ``--variants`` chooses).
   ``python -m benchmarks.record_result_phases`` shows where the time of one request goes.
5. ``--clients`` concurrent keep-alive clients in this process (a separate process from the server). A
   client works through the agenda of one meeting at a time, TOP by TOP, as a secretary would; 32 clients
   are 32 secretaries at 32 different meetings. After ``--warmup`` seconds the measurement runs for
   ``--duration`` seconds, or until the first client runs out of meetings.
6. Afterwards: every result recorded has its two audit events and its outbox message (counted in SQL).
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
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, select, text
from sqlalchemy.orm import Session, sessionmaker

from benchmarks.common import (
    CpuMeter,
    HttpConnection,
    LoadResult,
    Repeat,
    Request,
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
from workflow import meetings, papers, results
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
    attendance recorded: all through the use cases, each at a plausible moment before the meeting."""
    planning = start - dt.timedelta(days=30)
    with sessions() as session:
        body_id = session.scalars(select(Body.id).where(Body.key == BODY)).one()
    meeting = meetings.create_meeting(
        sessions, actor=ACTOR, municipality=TOWN, bodies=[BODY], start=start, location="Rathaus", now=planning
    )
    for number in range(1, per_meeting + 1):
        paper = papers.draft_paper(
            sessions,
            actor=ACTOR,
            municipality=TOWN,
            kind=PaperKind.beschlussvorlage,
            department="kbs",
            subject=f"Zuschuss an den Jugendverein Nr. {number} für die Ferienspiele",
            paper_date=planning.astimezone(BERLIN).date(),
            proposed_resolution="Die Stadtverordnetenversammlung beschließt den Zuschuss.",
            justification="Die Ferienspiele werden seit Jahren gut angenommen.",
            now=planning,
        )
        papers.plan_consultations(sessions, actor=ACTOR, paper_id=paper.id, now=planning)
        papers.submit_paper(sessions, actor=ACTOR, paper_id=paper.id, now=planning)
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
]


def copy_template_meeting(engine: Engine, meeting_id: int, per_meeting: int, copies: int) -> None:
    """``copies`` copies of the template meeting with its papers, steps, agenda and attendance."""
    with engine.begin() as conn:
        for table in ("paper", "consultation", "meeting", "agenda_item", "attendance"):
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
        for table in ("paper", "consultation", "meeting", "agenda_item", "attendance"):
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
class Variant:
    key: str
    label: str
    app: str


VARIANTS = {
    "shipped": Variant("shipped", "record a result (api.main:app)", "api.main:app"),
    "sized-pool": Variant("sized-pool", "record a result, pool 2×clients", "benchmarks.sized_pool_app:app"),
}


def drop_queues(redis_url: str, prefix: str) -> int:
    """Remove the benchmark's Celery queues (and kombu's bindings) from Redis; the messages they held."""
    import redis

    client = redis.Redis.from_url(redis_url)
    held = 0
    for key in client.scan_iter(match=f"{prefix}*"):
        if client.type(key) == b"list":
            held += int(client.llen(key))  # type: ignore[arg-type]
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


def _report(name: str, result: LoadResult, cpu: CpuMeter) -> dict[str, Any]:
    summary = Summary.of_load(result)
    answered = sum(1 for s in result.samples if s.status)
    costs = cpu.per_request_ms(answered)
    print(
        f"  {name:<34} {summary.requests:>6} req in {summary.seconds:5.1f} s = {summary.per_second:6.1f}/s  "
        f"p50 {summary.p50:7.1f} ms  p95 {summary.p95:7.1f} ms  p99 {summary.p99:7.1f} ms  "
        f"max {summary.max:7.1f} ms  failed {summary.failed}"
    )
    statuses = collections.Counter(s.status for s in result.samples)
    if set(statuses) - {200, 201}:
        print(f"    statuses (warm-up included): {dict(sorted(statuses.items()))}")
    print(
        f"    CPU per answered request: API process {costs['server_cpu_ms']:.1f} ms, PostgreSQL "
        f"{costs['postgres_cpu_ms']:.1f} ms, load generator {costs['load_generator_cpu_ms']:.1f} ms"
    )
    for error in result.errors[:3]:
        print(f"    ! {error[:240]}")
    return summary.as_dict() | {"cpu_per_request": costs}


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
    parser.add_argument("--clients", type=int, default=32, help="concurrent clients (default 32)")
    parser.add_argument("--warmup", type=float, default=3.0, help="seconds not measured (default 3)")
    parser.add_argument("--duration", type=float, default=20.0, help="measured seconds (default 20)")
    parser.add_argument(
        "--variants",
        default="shipped,sized-pool",
        help="app variants to measure after the bare endpoint, comma-separated: "
        + ", ".join(VARIANTS)
        + " (default: both)",
    )
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
    parser.add_argument("--server-log", type=Path, help="keep the last API process's log in this file")
    parser.add_argument(
        "--profile",
        type=Path,
        help="record the API process with py-spy during the load (pip install py-spy); one file per "
        "variant, named <PROFILE stem>-<variant><suffix>; .txt gives collapsed stacks, else speedscope",
    )
    args = parser.parse_args(argv)
    chosen = [VARIANTS[key.strip()] for key in args.variants.split(",") if key.strip()]
    if args.per_meeting < 1 or args.items < args.per_meeting or args.clients < 1:
        parser.error("need --items >= --per-meeting >= 1 and --clients >= 1")

    print("record_result: POST /api/v1/wetzlar/agenda-items/{id}/result")
    wait_until_quiet(args.wait_quiet)
    load_before = load_average()
    busy_before = busy_share()
    warning = busy_warning(busy_before)
    if warning:
        print(warning)
    figures: dict[str, Any] = {}
    errors: dict[str, list[str]] = {}
    created = 0
    queue_prefix = f"gl-bench-{os.getpid()}"
    with scratch_database("record", keep=args.keep_database) as url:
        print(f"setup (PostgreSQL {postgres_version(url)}):")
        fixture = build_fixture(url, args.items, args.per_meeting, args.history)
        database = url.rsplit("/", 1)[1]
        body = json.dumps(RESULT_BODY).encode()
        load = {
            "clients": args.clients,
            "warmup": args.warmup,
            "duration": args.duration,
            "timeout": args.timeout,
        }
        print(
            f"load: {args.clients} clients, keep-alive, {args.warmup:g} s warm-up, {args.duration:g} s measured"
        )
        with Server("benchmarks.bare_app:app") as bare:
            bare_request = Request("POST", f"/api/v1/{TOWN}/agenda-items/1/result", body)
            with CpuMeter(bare.pid, database) as cpu:
                result = run_load_sync(Repeat(bare_request), bare.host, bare.port, **load)
        figures["bare"] = _report("bare FastAPI endpoint", result, cpu)

        queue: MeetingQueue | None = None
        for variant in chosen:
            env = {"GREMIENLAUF_DATABASE_URL": url, "GL_BENCH_POOL_SIZE": str(2 * args.clients)}
            if args.worker != "in-process":
                env |= {"GREMIENLAUF_REDIS_URL": args.redis_url, "GREMIENLAUF_QUEUE_PREFIX": queue_prefix}
                env |= {"GREMIENLAUF_API_RELAY": str(args.worker == "relay").lower()}
            with (
                Server(variant.app, env=env, keep_log=args.server_log) as app,
                relay_process(env if args.worker == "relay-process" else None) as relay,
            ):
                queue = queue or MeetingQueue(
                    fixture.meetings, login(app.host, app.port), idempotency_keys=args.idempotency_keys
                )
                relay_cpu = cpu_seconds(relay.pid) if relay else 0.0
                with (
                    profiled(app.pid, args.profile, variant.key, args.warmup + args.duration),
                    CpuMeter(app.pid, database) as cpu,
                ):
                    result = run_load_sync(queue, app.host, app.port, **load)
                relay_cpu = cpu_seconds(relay.pid) - relay_cpu if relay else 0.0
            figures[variant.key] = _report(variant.label, result, cpu)
            if relay:
                answered = sum(1 for sample in result.samples if sample.status)
                per_result = 1000 * relay_cpu / answered if answered else float("nan")
                print(f"    relay process (gremienlauf relay): {per_result:.1f} ms CPU per answered request")
                figures[variant.key]["relay_process_cpu_ms"] = round(per_result, 2)
            errors[variant.key] = result.errors
            created += sum(1 for s in result.samples if s.status == 201)

        if args.worker in ("relay", "relay-process"):
            print(
                f"  relay: {drop_queues(args.redis_url, queue_prefix)} messages handed to Redis (queues removed)"
            )
        counts = verify(url)
        complete = (
            counts["results_without_audit"] == 0
            and counts["results_without_step_audit"] == 0
            and counts["results_without_outbox"] == 0
            and counts["audit_result_recorded"] == counts["results"]
            and counts["audit_step_dealt_with"] == counts["results"]
            and counts["outbox_result_recorded"] == counts["results"]
        )
        print(
            f"check: {created} answered 201 (warm-up included); in the database {counts['results']} results "
            f"({fixture.history} of them recorded before the load) "
            f"with {counts['audit_result_recorded']} + {counts['audit_step_dealt_with']} audit events and "
            f"{counts['outbox_result_recorded']} outbox messages → "
            + ("every result has its audit and outbox rows" if complete else "ROWS MISSING")
        )

    targets: dict[str, dict[str, bool]] = {}
    for variant in chosen:
        got = figures[variant.key]
        targets[variant.key] = {
            "per_second_at_least_500": got["per_second"] >= 500 and got["failed"] == 0,
            "p99_under_100_ms": got["p99_ms"] < 100 and got["failed"] == 0,
        }
        print(
            f"{variant.label}: ≥ 500/s {'met' if targets[variant.key]['per_second_at_least_500'] else 'NOT met'} "
            f"({got['per_second']:.0f}/s, {got['per_second'] / 500:.0%} of the target); p99 < 100 ms "
            f"{'met' if targets[variant.key]['p99_under_100_ms'] else 'NOT met'} ({got['p99_ms']:.0f} ms); "
            f"failed requests: {got['failed']}"
        )
    data: dict[str, Any] = {
        "benchmark": "record_result",
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        "cpu_busy_before": round(busy_before, 3),
        "load_average_before": load_before,
        "load_average_after": load_average(),
        "settings": {k: str(v) if isinstance(v, Path) else v for k, v in vars(args).items()},
        **figures,
        "errors": errors,
        "database_check": counts
        | {"answered_201": created, "history": fixture.history, "complete": complete},
        "targets": targets,
    }
    write_json(args.json, data)
    return 0 if complete else 1


if __name__ == "__main__":
    sys.exit(main())
