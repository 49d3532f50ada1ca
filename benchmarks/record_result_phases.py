"""Diagnosis, not a benchmark: where the time of one ``POST …/agenda-items/{id}/result`` goes.

In-process and sequential (no HTTP, no concurrency): the ``async`` route function is called directly on
one event loop, as FastAPI would after parsing the request; it hands the result to the app's result
writer, whose thread checks and records it alone (a batch of one: one request at a time, so the writer's
wait for more results, ``GREMIENLAUF_RESULT_QUIET_MS``, is set to 0 here), and the phases are timed by
wrapping the functions they consist of (wall time, CPU time of this process, SQL statements). The bare FastAPI overhead per request is what
``benchmarks.record_result`` reports for the bare endpoint.

    .venv/bin/python -m benchmarks.record_result_phases

It names internal functions of the API and the use case; a phase whose function no longer exists is left
out (and said so).
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import datetime as dt
import os
import sys
import time
from collections.abc import Callable
from typing import Any

from fastapi import Request
from fastapi.security import HTTPAuthorizationCredentials
from sqlalchemy import event, text

import api.result_admission as admission
import api.result_writer as writer_module
import api.routes.meetings as routes
import workflow.access as access
import workflow.results as results
from api import schemas
from api.app import create_app
from benchmarks.common import scratch_database
from benchmarks.record_result import PASSWORD, RESULT_BODY, SECRETARY, TOWN, build_fixture

#: (label, module, function name): nested phases are indented; each is timed wherever it is called from.
PHASES: list[tuple[str, Any, str]] = [
    ("admit: the request's checks (writer thread)", writer_module, "admit"),
    ("  principals_for_tokens: the caller", admission, "principals_for_tokens"),
    ("  municipality_ids: the municipality", admission, "municipality_ids"),
    ("  recorders: may the caller record this TOP", admission, "recorders"),
    ("use case results.record_results (writer thread)", results, "record_results"),
    ("  _plan: checks of one result, what it writes", results, "_plan"),
    ("    check: the rules (quorum, votes, …)", results, "check"),
    ("  _write: every row, one statement per table", results, "_write"),
    ("  _apply_to_paper: effects on the paper (ORM)", results, "_apply_to_paper"),
]


class Meter:
    def __init__(self) -> None:
        self.statements = 0
        self.totals: dict[str, list[float]] = collections.defaultdict(lambda: [0.0, 0.0, 0.0])

    def wrap(self, label: str, function: Callable[..., Any]) -> Callable[..., Any]:
        def timed(*args: Any, **kwargs: Any) -> Any:
            wall, cpu, statements = time.perf_counter(), time.process_time(), self.statements
            try:
                return function(*args, **kwargs)
            finally:
                total = self.totals[label]
                total[0] += time.perf_counter() - wall
                total[1] += time.process_time() - cpu
                total[2] += self.statements - statements

        return timed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--requests", type=int, default=300, help="measured results (default 300)")
    args = parser.parse_args(argv)
    warmup = 30
    with scratch_database("phases") as url:
        fixture = build_fixture(url, args.requests + warmup, 20, 500)
        items = [item for agenda in fixture.meetings.values() for item in agenda]
        os.environ["GREMIENLAUF_RESULT_QUIET_MS"] = "0"  # a batch of one does not wait for more
        app = create_app(url)
        sessions = app.state.sessions
        meter = Meter()

        @event.listens_for(app.state.engine, "before_cursor_execute")
        def _count(*_args: Any) -> None:
            meter.statements += 1

        missing = []
        for label, owner, name in PHASES:
            if hasattr(owner, name):
                setattr(owner, name, meter.wrap(label, getattr(owner, name)))
            else:
                missing.append(f"{owner.__name__}.{name}")
        token, _expires, _user = access.login(sessions, username=SECRETARY, password=PASSWORD)
        request = Request(
            {
                "type": "http",
                "method": "POST",
                "path": "/bench",
                "headers": [],
                "query_string": b"",
                "app": app,
            }
        )
        data = schemas.ResultIn.model_validate(RESULT_BODY)

        credentials = HTTPAuthorizationCredentials(scheme="Bearer", credentials=token)
        loop = asyncio.new_event_loop()

        def one(item_id: int) -> None:
            now = dt.datetime.now(dt.UTC)
            route = routes.record_result(item_id, TOWN, data, request, now, credentials, None)
            response = loop.run_until_complete(route)
            if response.status_code != 201:
                raise RuntimeError(f"{item_id}: {response.status_code} {response.body!r}")

        for item_id in items[:warmup]:
            one(item_id)
        meter.totals.clear()
        meter.statements = 0
        wall, cpu = time.perf_counter(), time.process_time()
        measured = items[warmup : warmup + args.requests]
        for item_id in measured:
            one(item_id)
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        n = len(measured)
        with app.state.engine.connect() as conn:
            recorded = conn.execute(text("SELECT count(*) FROM item_result")).scalar_one()
        app.state.result_writer.stop()
        app.state.engine.dispose()
        loop.close()

    print(f"one result, in-process, sequential; mean of {n} requests ({recorded} results recorded)")
    print(f"{'phase':<58} {'wall ms':>8} {'CPU ms':>8} {'SQL':>5}")
    print(
        f"{'the request (route, awaiting the writer)':<58} {wall / n * 1e3:8.1f} {cpu / n * 1e3:8.1f} {meter.statements / n:5.1f}"
    )
    for label, _owner, _name in PHASES:
        if label in meter.totals:
            total = meter.totals[label]
            print(f"{label:<58} {total[0] / n * 1e3:8.1f} {total[1] / n * 1e3:8.1f} {total[2] / n:5.1f}")
    if missing:
        print(f"not measured (no longer there): {', '.join(missing)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
