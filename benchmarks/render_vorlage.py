"""Benchmark: rendering the Wetzlar Beschlussvorlage 1562/13, against the floor of rewriting the same .docx.

Target (issue 5): rendering one Beschlussvorlage takes at most twice the time of the floor measured in the
same run. The floor opens the same template .docx, replaces the placeholders in word/document.xml with
plain string replacement (values XML-escaped, no loops, no conditions) and writes the zip again.

Measured, interleaved round by round so that a busy moment of the machine hits all of them alike:

* ``floor``: the string replacement described above;
* ``floor-cached``: the same with the template's parts read once beforehand (the renderer, too, keeps
  a template's parts in memory while the file is unchanged): the stricter floor;
* ``render``: ``workers.documents.render.render`` on the Vorlage's context, the renderer the workers use
  (the context is built once, as the target is about rendering);
* ``context+render``: for information, also building the context from the database (SQLite) each time,
  i.e. what ``generate_document`` spends before it stores the row;
* ``docxtpl``: for information, docxtpl's own ``DocxTemplate(...).render(...)`` + ``save`` (python-docx
  parses and re-serialises the whole package), what the renderer would cost without its compiled cache.

No PostgreSQL is needed: the Wetzlar run (``gremienlauf demo``'s) goes into a scratch SQLite file.

    .venv/bin/python -m benchmarks.render_vorlage            # 300 rounds
    .venv/bin/python -m benchmarks.render_vorlage --rounds 1000 --json var/render.json
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import datetime as dt
import html
import io
import json
import os
import statistics
import tempfile
import time
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from docxtpl import DocxTemplate  # type: ignore[import-untyped]

from gremienlauf import demo
from gremienlauf.demo_users import create_demo_users
from workers.documents.contexts import VorlageContext, vorlage_context
from workers.documents.generate import DocumentKind, template_path
from workers.documents.render import ENVIRONMENT, render
from workflow.db import make_engine, make_session_factory, upgrade
from workflow.models import Paper
from workflow.municipality import example_path
from workflow.setup import import_municipality

TITLE = "Beschlussvorlage 1562/13"  # what generate_document writes into the core properties


def floor(template: Path, replacements: dict[str, str]) -> bytes:
    """Open the template, replace placeholders in word/document.xml as plain strings, write the zip."""
    out = io.BytesIO()
    with zipfile.ZipFile(template) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            data = source.read(info)
            if info.filename == "word/document.xml":
                xml = data.decode("utf-8")
                for placeholder, value in replacements.items():
                    xml = xml.replace(placeholder, value)
                data = xml.encode("utf-8")
            target.writestr(info, data, compress_type=zipfile.ZIP_DEFLATED)
    return out.getvalue()


def floor_cached(members: list[tuple[zipfile.ZipInfo, bytes]], replacements: dict[str, str]) -> bytes:
    """The floor with the template's parts already read (as the renderer keeps them): replace and write."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info, data in members:
            if info.filename == "word/document.xml":
                xml = data.decode("utf-8")
                for placeholder, value in replacements.items():
                    xml = xml.replace(placeholder, value)
                data = xml.encode("utf-8")
            target.writestr(info, data, compress_type=zipfile.ZIP_DEFLATED)
    return out.getvalue()


def replacements_of(context: VorlageContext) -> dict[str, str]:
    """Every plain ``{{ name }}`` of the context, XML-escaped (what a string-replacement generator does)."""
    values = {
        field.name: getattr(context, field.name)
        for field in dataclasses.fields(context)
        if isinstance(getattr(context, field.name), str)
    }
    return {f"{{{{ {name} }}}}": html.escape(value) for name, value in values.items()}


def percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rounds", type=int, default=300, help="measured rounds (default 300)")
    parser.add_argument("--warmup", type=int, default=20, help="unmeasured rounds first (default 20)")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    parser.add_argument(
        "--longer",
        type=int,
        default=1,
        help="repeat the demo's Begründung this many times (7 is about the length of the real seed's)",
    )
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="gl-bench-render-") as scratch:
        url = f"sqlite:///{scratch}/bench.sqlite3"
        upgrade(url)
        engine = make_engine(url)
        sessions = make_session_factory(engine)
        import_municipality(
            sessions, example_path("wetzlar"), actor="benchmark", now=dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
        )
        create_demo_users(sessions)  # the demo records results as the bodies' secretaries
        with contextlib.redirect_stdout(io.StringIO()):
            paper_id = demo._wetzlar(sessions)
        template = template_path(DocumentKind.VORLAGE)
        if args.longer > 1:
            with sessions() as session, session.begin():
                paper = session.get_one(Paper, paper_id)
                paper.justification = "\n\n".join([demo.WETZLAR_JUSTIFICATION] * args.longer)
        with sessions() as session:
            context = vorlage_context(session, paper_id)
        replacements = replacements_of(context)
        with zipfile.ZipFile(template) as package:
            members = [(info, package.read(info)) for info in package.infolist()]
        namespace = {f.name: getattr(context, f.name) for f in dataclasses.fields(context)}

        def with_context() -> bytes:
            with sessions() as session:
                return render(template, vorlage_context(session, paper_id), title=TITLE)

        def stock_docxtpl() -> bytes:
            document = DocxTemplate(str(template))
            document.render(namespace, jinja_env=ENVIRONMENT)
            out = io.BytesIO()
            document.save(out)
            return out.getvalue()

        contenders: dict[str, Callable[[], bytes]] = {
            "floor": lambda: floor(template, replacements),
            "floor-cached": lambda: floor_cached(members, replacements),
            "render": lambda: render(template, context, title=TITLE),
            "context+render": with_context,
            "docxtpl": stock_docxtpl,
        }
        samples: dict[str, list[float]] = {name: [] for name in contenders}
        sizes = {name: len(run()) for name, run in contenders.items()}
        for round_ in range(args.warmup + args.rounds):
            for name, run in contenders.items():
                started = time.perf_counter()
                run()
                elapsed = time.perf_counter() - started
                if round_ >= args.warmup:
                    samples[name].append(elapsed * 1000)
        engine.dispose()

    figures: dict[str, Any] = {
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "rounds": args.rounds,
        "longer": args.longer,
        "cpus": os.cpu_count(),
        "load_average": os.getloadavg(),
        "results": {},
    }
    print(
        f"Beschlussvorlage 1562/13 (Begründung x{args.longer}), {args.rounds} rounds (+{args.warmup} warm-up), load {os.getloadavg()[0]:.2f}"
    )
    print(f"{'':16} {'median ms':>10} {'p95 ms':>8} {'bytes':>8}")
    for name, values in samples.items():
        median, p95 = statistics.median(values), percentile(values, 0.95)
        figures["results"][name] = {"median_ms": median, "p95_ms": p95, "bytes": sizes[name]}
        print(f"{name:16} {median:10.2f} {p95:8.2f} {sizes[name]:8d}")
    base, ours = figures["results"]["floor"], figures["results"]["render"]
    ratio_median, ratio_p95 = ours["median_ms"] / base["median_ms"], ours["p95_ms"] / base["p95_ms"]
    figures["ratio_median"], figures["ratio_p95"] = ratio_median, ratio_p95
    strict = figures["results"]["floor-cached"]
    strict_median, strict_p95 = ours["median_ms"] / strict["median_ms"], ours["p95_ms"] / strict["p95_ms"]
    figures["ratio_median_cached"], figures["ratio_p95_cached"] = strict_median, strict_p95
    verdict = "met" if ratio_median <= 2.0 else "MISSED"
    print(f"render / floor: median {ratio_median:.2f}x, p95 {ratio_p95:.2f}x (target <= 2x: {verdict})")
    verdict = "met" if strict_median <= 2.0 else "MISSED"
    print(
        f"render / floor-cached: median {strict_median:.2f}x, p95 {strict_p95:.2f}x (target <= 2x: {verdict})"
    )
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
