"""Benchmark: OParl paper lists with 100,000 papers, and the rate of a full crawl.

Target (issue 4, "Speed"): a list page of 100 papers in p95 under 30 ms on PostgreSQL, and the 900th page no
slower than 1.5 times the first; a full crawl's rate in objects per second, reported.

What it does:

1. A scratch PostgreSQL database ``gl_bench_oparl_<pid>`` loaded exactly as ``benchmarks.list_search``
   does (the migrations, Wetzlar, ``--papers`` papers bulk-loaded with COPY: seeded German texts, states by
   age, 8 % non-public, a Beratungsfolge of three steps for 70 % of the submitted ones).
2. One uvicorn process of the app as shipped (``api.main:app``, ``--workers 1``, 127.0.0.1, a free port),
   ``GREMIENLAUF_PUBLIC_URL`` set to its address.
3. Over HTTP from this process, one request after the other (the latency of a single request):
   ``/oparl/v1/body/{id}/papers?limit=100`` (first page, papers with their embedded consultations)
   ``--repeat`` times after ``--warmup``; then a full crawl of the body (every list of the Body, every page,
   ``limit=100``, following ``links.next``), which also finds the 900th page of papers; then that page
   ``--repeat`` times.
4. Reported: p50/p95/p99/max of both pages, their ratio, the crawl's objects (top-level list elements;
   embedded ones counted apart) per second and pages per second.

Run from the repository root on an otherwise idle machine::

    .venv/bin/python -m benchmarks.oparl_lists [--papers 100000] [--json oparl.json]
"""

from __future__ import annotations

import argparse
import asyncio
import time
import urllib.parse
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from benchmarks.common import (
    HttpConnection,
    Server,
    busy_share,
    busy_warning,
    free_port,
    load_average,
    machine,
    percentile,
    postgres_version,
    scratch_database,
    wait_until_quiet,
    write_json,
)
from benchmarks.list_search import TOWN, build_database
from workflow.db import make_engine
from workflow.models import Municipality, Paper
from workflow.publication import paper_is_public

LIMIT = 100
DEEP_PAGE = 900  # --deep-page changes it (for a quick trial on fewer papers)
LISTS = (
    "organizations",
    "people",
    "memberships",
    "meetings",
    "locations",
    "legislativeterms",
    "papers",
    "consultations",
    "agendaitems",
    "files",
)


async def _get(connection: HttpConnection, path: str) -> tuple[float, Any]:
    started = time.perf_counter()
    response = await connection.request("GET", path)
    elapsed = (time.perf_counter() - started) * 1000
    if response.status != 200:
        raise RuntimeError(f"GET {path}: {response.status} {response.body[:300]!r}")
    return elapsed, response.json()


def _local(url: str) -> str:
    parts = urllib.parse.urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def _count_embedded(node: Any) -> int:
    if isinstance(node, dict):
        own = 1 if "type" in node and "id" in node else 0
        return own + sum(_count_embedded(v) for v in node.values())
    if isinstance(node, list):
        return sum(_count_embedded(v) for v in node)
    return 0


async def _repeat(connection: HttpConnection, path: str, warmup: int, repeat: int) -> list[float]:
    for _ in range(warmup):
        await _get(connection, path)
    return [(await _get(connection, path))[0] for _ in range(repeat)]


def _summary(samples: list[float]) -> dict[str, float]:
    return {
        "n": len(samples),
        "p50_ms": round(percentile(samples, 50), 2),
        "p95_ms": round(percentile(samples, 95), 2),
        "p99_ms": round(percentile(samples, 99), 2),
        "max_ms": round(max(samples), 2),
    }


async def measure(port: int, town_id: int, warmup: int, repeat: int, deep_page: int) -> dict[str, Any]:
    connection = HttpConnection("127.0.0.1", port)
    base = f"/oparl/v1/body/{town_id}"
    first = f"{base}/papers?limit={LIMIT}"
    results: dict[str, Any] = {"first_page": _summary(await _repeat(connection, first, warmup, repeat))}
    print(f"  first page: {results['first_page']}")

    crawl: dict[str, dict[str, float]] = {}
    deep_path: str | None = None
    started_all = time.perf_counter()
    objects = embedded = pages = 0
    for name in LISTS:
        started = time.perf_counter()
        path: str | None = f"{base}/{name}?limit={LIMIT}"
        count = page_no = inner = 0
        while path:
            page_no += 1
            if name == "papers" and page_no == deep_page:
                deep_path = path
            _, page = await _get(connection, path)
            count += len(page["data"])
            inner += _count_embedded(page["data"]) - len(page["data"])
            nxt = page["links"].get("next")
            path = _local(nxt) if nxt else None
        seconds = time.perf_counter() - started
        crawl[name] = {"objects": count, "embedded": inner, "pages": page_no, "seconds": round(seconds, 2)}
        objects, embedded, pages = objects + count, embedded + inner, pages + page_no
        print(f"  crawl {name}: {count} objects (+{inner} embedded), {page_no} pages, {seconds:.1f} s")
    total = time.perf_counter() - started_all
    results["crawl"] = {
        "lists": crawl,
        "objects": objects,
        "embedded_objects": embedded,
        "pages": pages,
        "seconds": round(total, 1),
        "objects_per_second": round(objects / total, 1),
        "objects_with_embedded_per_second": round((objects + embedded) / total, 1),
        "pages_per_second": round(pages / total, 1),
    }
    print(
        f"  crawl: {objects} objects (+{embedded} embedded) in {pages} pages, {total:.1f} s: "
        f"{objects / total:.0f} objects/s, {(objects + embedded) / total:.0f} with embedded/s"
    )
    if deep_path is None:
        raise RuntimeError(f"the paper list has fewer than {deep_page} pages; load more papers (--papers)")
    results["page_900"] = _summary(await _repeat(connection, deep_path, warmup, repeat))
    results["page_900_path"] = deep_path
    results["ratio_p95"] = round(results["page_900"]["p95_ms"] / results["first_page"]["p95_ms"], 2)
    print(f"  page {deep_page}: {results['page_900']}  (p95 ratio {results['ratio_p95']})")
    await connection.close()
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--papers", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=4)
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument("--repeat", type=int, default=200)
    parser.add_argument("--deep-page", type=int, default=DEEP_PAGE)
    parser.add_argument("--keep-database", action="store_true")
    parser.add_argument("--wait-quiet", type=float, default=0.0, help="wait up to SECONDS for idle CPUs")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)

    with scratch_database("oparl", keep=args.keep_database) as url:
        print(f"Loading {args.papers} papers …")
        by_state = build_database(url, args.papers, args.seed)
        engine = make_engine(url)
        with engine.connect() as conn:
            town_id = conn.execute(select(Municipality.id).where(Municipality.key == TOWN)).scalar_one()
            published = conn.execute(
                select(func.count())
                .select_from(Paper)
                .where(Paper.municipality_id == town_id, paper_is_public())
            ).scalar_one()
        engine.dispose()
        print(f"  {published} of them published (OParl shows these)")
        if args.wait_quiet:
            wait_until_quiet(args.wait_quiet)
        busy = busy_share()
        warning = busy_warning(busy)
        if warning:
            print(warning)
        port = free_port()
        env = {"GREMIENLAUF_DATABASE_URL": url, "GREMIENLAUF_PUBLIC_URL": f"http://127.0.0.1:{port}"}
        with Server("api.main:app", env=env, port=port):
            results = asyncio.run(measure(port, town_id, args.warmup, args.repeat, args.deep_page))
        verdict = {
            "first_page_p95_under_30ms": results["first_page"]["p95_ms"] < 30,
            "page_900_at_most_1_5x_first": results["ratio_p95"] <= 1.5,
        }
        print(f"Verdict: {verdict}")
        write_json(
            args.json,
            {
                "machine": machine(),
                "postgres": postgres_version(url),
                "load_average_before": load_average(),
                "busy_share_before": busy,
                "papers": args.papers,
                "published_papers": published,
                "by_state": by_state,
                "results": results,
                "verdict": verdict,
            },
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
