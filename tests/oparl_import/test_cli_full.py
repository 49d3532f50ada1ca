"""``gremienlauf import oparl`` through the Typer app against a local server: a run, a full run (``--full``)
after the source dropped a paper, with its German summary, and a dry run that leaves the database as it was.
The source is the first page of each Hürtgenwald list (real objects, a small source)."""

from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from gremienlauf.cli import app
from tests.oparl_import.dump_server import dump_dir, serve_dump

LISTS = ("organization", "person", "meeting", "paper")


def small_dump(root: Path) -> Path:
    """system, body and the first page of each list (without its ``next`` link)."""
    root.mkdir(parents=True)
    for name in ("system.json", "body.json"):
        shutil.copyfile(dump_dir() / name, root / name)
    (root / "body/1").mkdir(parents=True)
    for name in LISTS:
        page = json.loads((dump_dir() / f"body/1/{name}.json").read_text(encoding="utf-8"))
        page["links"].pop("next", None)
        page["pagination"]["totalElements"] = len(page["data"])
        (root / f"body/1/{name}.json").write_text(json.dumps(page, ensure_ascii=False), encoding="utf-8")
    return root


def _contents(path: Path) -> list[str]:
    """Every row of the database, as SQL."""
    connection = sqlite3.connect(path)
    try:
        return list(connection.iterdump())
    finally:
        connection.close()


def _invoke(*args: str) -> Any:
    result = CliRunner().invoke(app, ["import", "oparl", *args], env={"COLUMNS": "160"})
    assert result.exit_code == 0, result.output
    assert "Traceback" not in result.output
    return result


def test_a_full_run_takes_out_what_the_source_dropped_and_a_dry_run_writes_nothing(tmp_path: Path) -> None:
    root = small_dump(tmp_path / "source")
    path = tmp_path / "cli.sqlite3"
    database = ["--database-url", f"sqlite:///{path}"]
    report = tmp_path / "bericht.json"
    papers = json.loads((root / "body/1/paper.json").read_text(encoding="utf-8"))
    with serve_dump(root) as server:
        first = _invoke(server.system_url, "--report", str(report), *database)
        assert "Übernommen in Kommune 'gemeinde-huertgenwald'" in first.output
        assert "Vollständiger Abgleich: 0 Objekte" in first.output
        created = json.loads(report.read_text(encoding="utf-8"))["counts"]
        assert created["Paper"]["created"] == len(papers["data"]) == 25
        assert created["Location"]["seen"] >= 2  # the Body's own place and those of the meetings

        dropped = papers["data"].pop(0)
        (root / "body/1/paper.json").write_text(json.dumps(papers, ensure_ascii=False), encoding="utf-8")
        incremental = _invoke(server.system_url, *database)
        assert "Abgerufen: Änderungen seit" in incremental.output

        full = _invoke(server.system_url, "--full", "--report", str(report), *database)
        data = json.loads(report.read_text(encoding="utf-8"))
        assert data["full"] is True
        assert data["counts"]["Paper"]["deleted"] == 1
        assert data["counts"]["Paper"]["unchanged"] == 24
        removed = sum(c["deleted"] for c in data["counts"].values())
        assert removed == 1 + len(dropped.get("consultation", [])) + len(
            [f for key in ("mainFile", "auxiliaryFile") for f in _as_list(dropped.get(key))]
        )
        assert f"Vollständiger Abgleich: {removed} Objekte, die die Quelle gelöscht hat oder nicht mehr" in (
            " ".join(full.output.split())
        )
        row = next(line for line in full.output.splitlines() if line.startswith("│ Vorlagen "))
        assert [cell.strip() for cell in row.split("│")[2:8]] == ["25", "0", "0", "24", "1", "0"], row

        before = _contents(path)
        dry = _invoke(server.system_url, "--dry-run", "--full", *database)
        assert "Probelauf (nichts gespeichert)" in dry.output
        assert "Vollständiger Abgleich" not in dry.output
        assert _contents(path) == before


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value] if isinstance(value, dict) else []
