"""Benchmark: importing the complete Hürtgenwald OParl dump (file records without contents) from a local
server, and a second, incremental run with nothing changed.

Targets (issue 14): the full import under 60 s, peak memory under 300 MB (the importer streams page by
page), the incremental run under 10 s.

The dump is served by ``tests/oparl_import/dump_server.py`` from a thread of this process on 127.0.0.1 (a
free port); each import runs in a child process of its own (``--child``), which reports its wall time and
its peak resident memory (``VmHWM``), so the server is not counted in the importer's memory. ``--copies 2``
serves the dump twice under different ids (two bodies) and imports both, one after the other, into the
same database: how time and memory grow with the size of the source.

    .venv/bin/python -m benchmarks.oparl_import                       # SQLite, 1 and 2 copies
    .venv/bin/python -m benchmarks.oparl_import --backend postgresql  # a scratch PostgreSQL database
    .venv/bin/python -m benchmarks.oparl_import --copies 1 --json var/oparl_import.json
"""

from __future__ import annotations

import argparse
import contextlib
import json
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from benchmarks.common import machine, scratch_database, write_json
from tests.oparl_import.dump_server import DumpServer


def peak_rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def child(database_url: str, urls: list[str]) -> None:
    """Import each source into the database; print one JSON line with the figures."""
    from workers.oparl_import.importer import import_oparl
    from workflow.db import make_engine, make_session_factory

    sessions = make_session_factory(make_engine(database_url))
    started = time.perf_counter()
    objects = 0
    counts: dict[str, Any] = {}
    for url in urls:
        report = import_oparl(sessions, url).as_json()
        for oparl_type, per_type in report["counts"].items():
            objects += per_type["seen"]
            merged = counts.setdefault(oparl_type, {})
            for key, value in per_type.items():
                merged[key] = merged.get(key, 0) + value
    seconds = time.perf_counter() - started
    print(json.dumps({"seconds": seconds, "objects": objects, "peak_mb": peak_rss_mb(), "counts": counts}))


def run_child(database_url: str, urls: list[str]) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks.oparl_import", "--child", database_url, *urls],
        capture_output=True,
        text=True,
        check=True,
    )
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


@contextlib.contextmanager
def database(backend: str, keep: bool) -> Iterator[str]:
    from workflow.db import upgrade

    if backend == "sqlite":
        with tempfile.TemporaryDirectory() as tmp:
            url = f"sqlite:///{tmp}/import.sqlite3"
            upgrade(url)
            yield url
    else:
        with scratch_database("oparl_import", keep=keep) as url:
            upgrade(url)
            yield url


def measure(backend: str, copies: int, keep: bool) -> dict[str, Any]:
    servers = [DumpServer(prefix=f"oparl{i or ''}") for i in range(copies)]
    for server in servers:
        server.start()
    try:
        urls = [server.system_url for server in servers]
        with database(backend, keep) as url:
            first = run_child(url, urls)
            second = run_child(url, urls)
    finally:
        for server in servers:
            server.stop()
    return {"backend": backend, "copies": copies, "first": first, "second": second}


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    parser.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default="sqlite")
    parser.add_argument("--copies", type=int, nargs="+", default=[1, 2], help="dump served this many times")
    parser.add_argument("--keep-database", action="store_true")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    if args.child:
        child(args.child[0], args.child[1:])
        return
    backends = ("sqlite", "postgresql") if args.backend == "both" else (args.backend,)
    results = [measure(b, n, args.keep_database) for b in backends for n in args.copies]
    print(
        f"{'backend':<11}{'copies':>7}{'objects':>9}{'full s':>9}{'obj/s':>8}{'peak MB':>9}{'again s':>9}{'peak MB':>9}"
    )
    for r in results:
        first, second = r["first"], r["second"]
        print(
            f"{r['backend']:<11}{r['copies']:>7}{first['objects']:>9}{first['seconds']:>9.1f}"
            f"{first['objects'] / first['seconds']:>8.0f}{first['peak_mb']:>9.0f}"
            f"{second['seconds']:>9.1f}{second['peak_mb']:>9.0f}"
        )
        changed = sum(c["created"] + c["updated"] + c["deleted"] for c in second["counts"].values())
        if changed:
            print(f"  the second run changed {changed} objects (expected none)")
    write_json(args.json, {"machine": machine(), "results": results})


if __name__ == "__main__":
    main()
