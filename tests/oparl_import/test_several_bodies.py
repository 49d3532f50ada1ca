"""A System whose body list holds several bodies, served from 127.0.0.1: every Body is imported, each into
its own municipality, and the report counts all of them; ``--kommune`` with several bodies is refused with
the bodies named; the nightly run re-imports each Body into its municipality (fixture ``body_lists.json``
served twice, as Musterstadt and as Zweitdorf)."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from gremienlauf.cli import app
from tests.conftest import Database
from tests.oparl_import.dump_server import serve_answers
from tests.oparl_import.test_body_lists import answers
from workers.oparl_import.client import OParlClient
from workers.oparl_import.importer import ImportFailed, import_oparl
from workers.oparl_import.nightly import import_all
from workflow.models import Municipality, Paper

ORIGIN = "https://ris.example.org/"


def two_bodies() -> dict[str, Any]:
    one = answers()
    two = json.loads(
        json.dumps({k: v for k, v in one.items() if "/body/1" in k})
        .replace("/oparl/body/1", "/oparl/body/2")
        .replace("Musterstadt", "Zweitdorf")
        .replace("05999999", "05999998")
    )
    bodies = one[ORIGIN + "oparl/bodies"]
    second = copy.deepcopy(bodies["data"][0])
    second = json.loads(
        json.dumps(second).replace("/oparl/body/1", "/oparl/body/2").replace("Musterstadt", "Zweitdorf")
    )
    bodies["data"].append(second)
    bodies["pagination"]["totalElements"] = 2
    return {**one, **two, **{b["id"]: b for b in bodies["data"]}}  # each Body at its own URL too


def test_every_body_of_the_list_becomes_its_own_municipality(db: Database) -> None:
    with serve_answers(two_bodies(), ORIGIN) as base:
        report = import_oparl(db.sessions, base + "oparl/system", client=OParlClient(sleep=lambda s: None))
        data = report.as_json()
        assert [part["body"] for part in data["bodies"]] == [base + "oparl/body/1", base + "oparl/body/2"]
        assert report.municipalities == ["musterstadt", "zweitdorf"]
        first, second = data["bodies"]
        assert first["counts"] == second["counts"]  # the same source objects under other ids
        for oparl_type, counts in data["counts"].items():
            assert counts == {k: 2 * n for k, n in first["counts"][oparl_type].items()}, oparl_type
        assert data["counts"]["Paper"]["created"] == 2
        assert data["counts"]["Membership"]["created"] == 6
        assert data["quarantined"] == []

        again = import_all(db.sessions, client=lambda: OParlClient(sleep=lambda s: None))
        assert [r.municipality for r in again] == ["musterstadt", "zweitdorf"]
        for rerun in again:
            counts = rerun.as_json()["counts"]
            assert all(c["created"] == c["updated"] == 0 for c in counts.values())

        with pytest.raises(ImportFailed) as refused:
            import_oparl(db.sessions, base + "oparl/system", kommune="musterstadt", client=OParlClient())
        message = str(refused.value)
        assert "2 Körperschaften" in message
        assert f"Stadt Musterstadt ({base}oparl/body/1)" in message
        assert f"Stadt Zweitdorf ({base}oparl/body/2)" in message
        assert "Adresse der Körperschaft angeben" in message

        one = import_oparl(db.sessions, base + "oparl/body/2", kommune="zweitdorf", client=OParlClient())
        assert one.as_json()["bodies"] == []
        assert one.municipality == "zweitdorf"
    with db.session() as session:
        towns = session.scalars(select(Municipality.key).order_by(Municipality.key)).all()
        assert {"musterstadt", "zweitdorf"} <= set(towns)
        for key in ("musterstadt", "zweitdorf"):
            town = session.scalars(select(Municipality).where(Municipality.key == key)).one()
            papers = session.scalar(select(func.count()).where(Paper.municipality_id == town.id))
            assert papers == 1, key


def test_the_command_imports_every_body_and_refuses_kommune_with_several(tmp_path: Path) -> None:
    database = f"sqlite:///{tmp_path / 'cli.sqlite3'}"
    report = tmp_path / "bericht.json"
    runner = CliRunner()
    with serve_answers(two_bodies(), ORIGIN) as base:
        system = base + "oparl/system"
        refused = runner.invoke(
            app, ["import", "oparl", system, "--kommune", "wetzlar", "--database-url", database]
        )
        assert refused.exit_code == 1
        assert "führt 2 Körperschaften" in refused.output
        assert "Traceback" not in refused.output
        result = runner.invoke(
            app, ["import", "oparl", system, "--report", str(report), "--database-url", database]
        )
    assert result.exit_code == 0, result.output
    assert "Übernommen in 2 Kommunen: 'musterstadt', 'zweitdorf'" in result.output
    assert "→ Kommune 'zweitdorf'" in result.output
    data = json.loads(report.read_text(encoding="utf-8"))
    assert [part["kommune"] for part in data["bodies"]] == ["musterstadt", "zweitdorf"]
    assert data["counts"]["Paper"]["created"] == 2
