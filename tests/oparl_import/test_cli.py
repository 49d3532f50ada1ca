"""``gremienlauf import oparl``: German summary, JSON report, German errors (the dump, as a dry run)."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from gremienlauf.cli import app
from tests.oparl_import.dump_server import serve_dump


def test_a_dry_run_checks_the_source_writes_its_report_and_stores_nothing(tmp_path: Path) -> None:
    database = f"sqlite:///{tmp_path / 'cli.sqlite3'}"
    report = tmp_path / "bericht.json"
    with serve_dump() as server:
        result = CliRunner().invoke(
            app,
            [
                "import",
                "oparl",
                server.system_url,
                "--dry-run",
                "--report",
                str(report),
                "--database-url",
                database,
            ],
        )
    assert result.exit_code == 0, result.output
    assert "Probelauf (nichts gespeichert)" in result.output
    assert "0 Objekte in Quarantäne, 0 Unstimmigkeiten gemeldet" in result.output
    data = json.loads(report.read_text(encoding="utf-8"))
    assert data["dry_run"] is True
    assert data["counts"]["Paper"] == {
        "seen": 2115,
        "created": 0,
        "updated": 0,
        "unchanged": 0,
        "deleted": 0,
        "quarantined": 0,
    }
    assert data["repairs"]["ohne type"] == 39  # the deleted stubs of papers and meetings
    from sqlalchemy import create_engine, text

    engine = create_engine(database)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM paper")).scalar() == 0
        assert conn.execute(text("SELECT count(*) FROM import_run")).scalar() == 0
    engine.dispose()


def test_bad_input_gets_a_german_message_and_no_traceback(tmp_path: Path) -> None:
    database = f"sqlite:///{tmp_path / 'cli.sqlite3'}"
    runner = CliRunner()
    result = runner.invoke(
        app, ["import", "oparl", "http://127.0.0.1:9/x", "--since", "gestern", "--database-url", database]
    )
    assert result.exit_code == 2
    assert "kein Datum" in result.output
    with serve_dump() as server:
        result = runner.invoke(
            app, ["import", "oparl", server.system_url, "--kommune", "gibtsnicht", "--database-url", database]
        )
        assert result.exit_code == 1
        assert "Kommune 'gibtsnicht' ist nicht eingerichtet" in result.output
        result = runner.invoke(
            app, ["import", "oparl", server.base + "body/1/paper/999999", "--database-url", database]
        )
        assert result.exit_code == 1
        assert "weder ein OParl-System noch eine Körperschaft" in result.output
    assert "Traceback" not in result.output
