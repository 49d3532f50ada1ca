"""Benchmark: 100 open live pages of one meeting, and how long each waits for a result the secretary records.

Target (issue 13, "Tests and figures"): "100 open live pages receive a result within 2 seconds on this
machine."

What it does:

1. A scratch PostgreSQL database ``gl_bench_live_<pid>``: the migrations, Wetzlar, a secretary of the
   Magistrat, and one Magistrat meeting that started yesterday with ``--results`` + 1 papers on its agenda,
   invited, attendance and quorum recorded, all through the use cases (``benchmarks.record_result``). The
   Magistrat meets in private, and the live page shows only public meetings and TOPs: for this run the
   body and the meeting's TOPs are marked public in SQL (which body it is does not matter to the delivery
   being measured, and the Magistrat's step comes first in every Beratungsfolge).
2. The app as shipped, ``uvicorn api.main:app --workers 1`` on 127.0.0.1: the embedded default's
   in-process broker and worker (the worker renders the minutes and, with LibreOffice installed, their
   PDF after each result, on the same CPUs). With ``--processes 2``: two API processes with
   ``GREMIENLAUF_REDIS_URL`` (live pages over Redis pub/sub; the outbox goes to Celery queues of a prefix
   of their own that no worker reads, removed afterwards), the pages spread over both, the secretary on
   the first.
3. ``--pages`` (100) clients open the meeting's event stream (``/wetzlar/sitzungen/<slug>/live/ereignisse``,
   what ``app.js`` opens beside the live page), each its own HTTP connection (httpx), and wait for the
   first event (the list so far).
4. ``--results`` times: the secretary records the next TOP's result through the API
   (``POST /api/v1/wetzlar/agenda-items/{id}/result``), and each page's delay is measured from the moment
   the request was sent until its stream delivered the next event (the new list: a stream sends only when
   the list changed, and nothing else changes the meeting in between). Every page must get it (a page that
   does not within ``--timeout`` seconds counts as failed). ``--pause`` seconds between
   results.

Printed per result and over all: p50, p95 and max of the delay over the pages, the API's answer time, the
pages that got it; the load averages before and after. ``--json FILE`` writes every figure.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import select, text

from api.web import links
from benchmarks.common import (
    Server,
    busy_share,
    busy_warning,
    load_average,
    machine,
    percentile,
    postgres_version,
    scratch_database,
    write_json,
)
from benchmarks.record_result import (
    ACTOR,
    BODY,
    PASSWORD,
    SECRETARY,
    SETUP_TIME,
    TOWN,
    build_template_meeting,
    drop_queues,
)
from workflow.access import Role, add_user
from workflow.db import make_engine, make_session_factory, upgrade
from workflow.models import AgendaItem, Meeting
from workflow.municipality import example_path
from workflow.rules import BERLIN
from workflow.setup import import_municipality

TARGET_SECONDS = 2.0
EVENT = "ergebnisse"
RESULT_BODY = {"outcome": "recommended", "votes": [{"yes": 9, "no": 2, "abstain": 1}]}


# ------------------------------------------------------------------------------------------- setup


@dataclass(frozen=True)
class Fixture:
    live_path: str  # the event stream of the meeting's live page
    items: list[int]  # agenda item ids in agenda order


def build_fixture(url: str, items: int) -> Fixture:
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
    meeting_id = build_template_meeting(sessions, items, start)
    with engine.begin() as conn:
        conn.execute(text("UPDATE body SET public = true WHERE key = :key"), {"key": BODY})
        conn.execute(text("UPDATE agenda_item SET public = true WHERE meeting_id = :id"), {"id": meeting_id})
        # The setup's events (invitation, attendance) are history: the worker need not render them now.
        conn.execute(text("UPDATE outbox SET published_at = now() WHERE published_at IS NULL"))
    with sessions() as session:
        meeting = session.get_one(Meeting, meeting_id)
        path = links.meeting(session, TOWN, meeting) + "/live/ereignisse"
        agenda = list(
            session.scalars(
                select(AgendaItem.id).where(AgendaItem.meeting_id == meeting_id).order_by(AgendaItem.order)
            )
        )
    engine.dispose()
    return Fixture(path, agenda)


# ----------------------------------------------------------------------------------------- the pages


@dataclass
class Page:
    """One open live page: the arrival time of each event after the first."""

    number: int
    connected: asyncio.Event = field(default_factory=asyncio.Event)
    arrivals: list[float] = field(default_factory=list)
    changed: asyncio.Event = field(default_factory=asyncio.Event)
    error: str | None = None


async def follow(client: httpx.AsyncClient, base: str, path: str, page: Page) -> None:
    """Read the stream: the first event is the list so far; each later one is a change."""
    event: str | None = None
    try:
        async with client.stream("GET", base + path, headers={"Accept": "text/event-stream"}) as response:
            if response.status_code != 200:
                page.error = f"HTTP {response.status_code}"
                page.connected.set()
                return
            async for line in response.aiter_lines():
                if line.startswith("event:"):
                    event = line.partition(":")[2].strip()
                elif line == "" and event is not None:
                    if event == EVENT:
                        if page.connected.is_set():
                            page.arrivals.append(time.perf_counter())
                            page.changed.set()
                        else:
                            page.connected.set()
                    event = None
    except (httpx.HTTPError, asyncio.CancelledError) as exc:
        if not isinstance(exc, asyncio.CancelledError):
            page.error = f"{type(exc).__name__}: {exc}"
            page.connected.set()
            return
        raise


@dataclass
class Round:
    item: int
    api_ms: float
    status: int
    delays_ms: list[float]  # per page that got it
    missing: int

    def figures(self) -> dict[str, Any]:
        return {
            "agenda_item": self.item,
            "api_status": self.status,
            "api_ms": round(self.api_ms, 1),
            "pages_reached": len(self.delays_ms),
            "pages_missing": self.missing,
            "p50_ms": round(percentile(self.delays_ms, 50), 1) if self.delays_ms else None,
            "p95_ms": round(percentile(self.delays_ms, 95), 1) if self.delays_ms else None,
            "max_ms": round(max(self.delays_ms), 1) if self.delays_ms else None,
        }


async def run(bases: list[str], fixture: Fixture, args: argparse.Namespace) -> tuple[list[Round], float]:
    limits = httpx.Limits(max_connections=args.pages + 10, max_keepalive_connections=args.pages + 10)
    timeout = httpx.Timeout(30.0, read=None)
    pages = [Page(n) for n in range(args.pages)]
    async with (
        httpx.AsyncClient(limits=limits, timeout=timeout) as readers,
        httpx.AsyncClient(timeout=30.0) as secretary,
    ):
        login = await secretary.post(
            bases[0] + "/api/v1/auth/token", json={"username": SECRETARY, "password": PASSWORD}
        )
        login.raise_for_status()
        headers = {"Authorization": f"Bearer {login.json()['access_token']}"}
        opened = time.perf_counter()
        tasks = [
            asyncio.create_task(follow(readers, bases[n % len(bases)], fixture.live_path, page))
            for n, page in enumerate(pages)
        ]
        await asyncio.wait_for(asyncio.gather(*(p.connected.wait() for p in pages)), timeout=120)
        open_seconds = time.perf_counter() - opened
        broken = [p.error for p in pages if p.error]
        if broken:
            raise RuntimeError(f"{len(broken)} pages could not open the stream: {broken[:3]}")
        rounds: list[Round] = []
        for item in fixture.items[: args.results]:
            await asyncio.sleep(args.pause)
            for page in pages:
                page.changed.clear()
            seen = [len(page.arrivals) for page in pages]
            sent = time.perf_counter()
            answer = await secretary.post(
                f"{bases[0]}/api/v1/{TOWN}/agenda-items/{item}/result", json=RESULT_BODY, headers=headers
            )
            api_ms = (time.perf_counter() - sent) * 1000
            if answer.status_code != 201:
                raise RuntimeError(f"recording failed: {answer.status_code} {answer.text[:300]}")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(
                    asyncio.gather(*(p.changed.wait() for p in pages)), timeout=args.timeout
                )
            delays = [
                (page.arrivals[seen[n]] - sent) * 1000
                for n, page in enumerate(pages)
                if len(page.arrivals) > seen[n]
            ]
            done = Round(item, api_ms, answer.status_code, delays, args.pages - len(delays))
            rounds.append(done)
            f = done.figures()
            print(
                f"  TOP {item}: API {f['api_ms']:.0f} ms; {f['pages_reached']}/{args.pages} pages, "
                f"p50 {f['p50_ms']} ms, p95 {f['p95_ms']} ms, max {f['max_ms']} ms"
            )
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    return rounds, open_seconds


@contextlib.contextmanager
def servers(url: str, processes: int, redis_url: str, prefix: str) -> Iterator[list[Server]]:
    env = {"GREMIENLAUF_DATABASE_URL": url}
    if processes > 1:
        env |= {"GREMIENLAUF_REDIS_URL": redis_url, "GREMIENLAUF_QUEUE_PREFIX": prefix}
    with contextlib.ExitStack() as stack:
        yield [stack.enter_context(Server("api.main:app", env=env)) for _ in range(processes)]


def summary(rounds: list[Round], pages: int) -> dict[str, Any]:
    delays = [d for r in rounds for d in r.delays_ms]
    missing = sum(r.missing for r in rounds)
    worst = max(delays) if delays else None
    return {
        "results": len(rounds),
        "deliveries": len(delays),
        "missing": missing,
        "p50_ms": round(percentile(delays, 50), 1) if delays else None,
        "p95_ms": round(percentile(delays, 95), 1) if delays else None,
        "max_ms": round(worst, 1) if worst is not None else None,
        "api_p50_ms": round(percentile([r.api_ms for r in rounds], 50), 1) if rounds else None,
        "target_met": bool(rounds) and missing == 0 and worst is not None and worst <= TARGET_SECONDS * 1000,
        "pages": pages,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--pages", type=int, default=100, help="open live pages (default 100)")
    parser.add_argument(
        "--results", type=int, default=5, help="results recorded one after another (default 5)"
    )
    parser.add_argument("--pause", type=float, default=3.0, help="seconds before each result (default 3)")
    parser.add_argument(
        "--timeout", type=float, default=15.0, help="a page without the event after this fails"
    )
    parser.add_argument("--processes", type=int, default=1, help="API processes (2: live pages over Redis)")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/0")
    parser.add_argument("--json", type=Path, help="write the figures to this file too")
    args = parser.parse_args(argv)

    started = dt.datetime.now(dt.UTC)
    share = busy_share()
    load_before = [round(v, 2) for v in load_average()]
    print(f"{started:%Y-%m-%d %H:%M} UTC, load average {load_before}, CPUs busy {share:.0%} before")
    warning = busy_warning(share)
    if warning:
        print(warning)
    prefix = f"gl-bench-live-{os.getpid()}"
    with scratch_database("live") as url:
        print(f"setup (PostgreSQL {postgres_version(url)}): a meeting with {args.results + 1} TOPs")
        fixture = build_fixture(url, args.results + 1)
        with servers(url, args.processes, args.redis_url, prefix) as running:
            bases = [f"http://{s.host}:{s.port}" for s in running]
            print(f"{args.pages} pages on {len(bases)} API process(es), {args.results} results:")
            rounds, open_seconds = asyncio.run(run(bases, fixture, args))
        if args.processes > 1:
            drop_queues(args.redis_url, prefix)
    load_after = [round(v, 2) for v in load_average()]
    total = summary(rounds, args.pages)
    print(
        f"all: {total['deliveries']} deliveries, {total['missing']} missing; delay p50 {total['p50_ms']} ms, "
        f"p95 {total['p95_ms']} ms, max {total['max_ms']} ms; API p50 {total['api_p50_ms']} ms; "
        f"{args.pages} streams opened in {open_seconds:.1f} s"
    )
    print(f"load average after {load_after}")
    verdict = "met" if total["target_met"] else "NOT met"
    print(
        f"target: every one of {args.pages} pages gets each result within {TARGET_SECONDS:.0f} s: {verdict}"
    )
    write_json(
        args.json,
        {
            "started": started.isoformat(),
            "arguments": {k: str(v) for k, v in vars(args).items()},
            "machine": machine(),
            "load_before": load_before,
            "load_after": load_after,
            "cpus_busy_before": round(share, 2),
            "open_seconds": round(open_seconds, 2),
            "rounds": [r.figures() for r in rounds],
            "all": total,
        },
    )
    return 0 if total["target_met"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
