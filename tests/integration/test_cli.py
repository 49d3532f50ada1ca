"""The command line a newcomer and an administrator use: German output, no tracebacks."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from gremienlauf.cli import app
from workflow.machines import MACHINES

runner = CliRunner()


def test_demo_runs_the_three_papers_and_prints_the_filled_beratungsfolge(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, ["demo"])
    assert result.exit_code == 0, result.output
    out = result.output
    assert "Drucksachen-Nr. 1562/13" in out
    assert (
        "Magistrat                                       30.09.2013     N 2   Zustimmung empfohlen (einstimmig)"
        in out
    )
    for body in (
        "Sozial-, Jugend- und Sportausschuss",
        "Kultur-, Freizeit- und Partnerschaftsausschuss",
        "Finanz- und Wirtschaftsausschuss",
        "Stadtverordnetenversammlung",
    ):
        assert body in out
    assert "28.10.2013" in out
    assert "1562/13: beschlossen am 27.11.2013" in out
    assert "verwiesen an Schulausschuss" in out  # Duisburg
    assert "vertagt" in out
    assert "geändert beschlossen" in out
    assert (tmp_path / "var" / "demo.sqlite3").exists()
    again = runner.invoke(app, ["demo"])
    assert again.exit_code == 0, "the demo starts from a fresh database every time"


def test_checking_a_broken_municipality_file_names_file_line_and_problem_in_german(tmp_path: Path) -> None:
    broken = tmp_path / "kaputt.yaml"
    broken.write_text(
        "municipality: {key: test, name: Teststadt, short_name: Test, profile: hessen}\n"
        "term_start: 2021-04-01\n"
        "departments:\n"
        "  - {key: amt, name: Amt}\n"
        "bodies:\n"
        "  - key: rat\n"
        "    kind: assembly\n"
        "    name: Stadtverordnetenversammlung\n"
        "    short_name: StVV\n"
        "    statutory_members: viele\n",
        encoding="utf-8",
    )
    result = runner.invoke(app, ["kommune", "pruefen", str(broken)])
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    assert f"{broken}, Zeile 10, bodies[0].statutory_members: muss eine ganze Zahl sein" in result.output


def test_checking_a_good_file_says_so() -> None:
    from workflow.municipality import example_path

    result = runner.invoke(app, ["kommune", "pruefen", str(example_path("wetzlar"))])
    assert result.exit_code == 0
    assert "in Ordnung – Stadt Wetzlar" in result.output


def test_importing_a_municipality_twice_is_refused_with_a_message(tmp_path: Path) -> None:
    from workflow.municipality import example_path

    url = f"sqlite:///{tmp_path / 'db.sqlite3'}"
    first = runner.invoke(app, ["kommune", "einrichten", str(example_path("wetzlar")), "--database-url", url])
    assert first.exit_code == 0, first.output
    second = runner.invoke(
        app, ["kommune", "einrichten", str(example_path("wetzlar")), "--database-url", url]
    )
    assert second.exit_code == 1
    assert "bereits eingerichtet" in second.output
    assert "Traceback" not in second.output


def test_an_unreachable_database_gets_a_message_not_a_traceback() -> None:
    result = runner.invoke(app, ["db", "upgrade", "--database-url", "postgresql://nobody@127.0.0.1:1/none"])
    assert result.exit_code == 1
    assert "Datenbank nicht erreichbar" in result.output


@pytest.mark.parametrize("name", sorted(MACHINES))
def test_diagrams_are_printed_as_mermaid(name: str) -> None:
    result = runner.invoke(app, ["diagram", name])
    assert result.exit_code == 0
    assert result.output.startswith("stateDiagram-v2")


def test_the_readme_shows_the_current_diagrams() -> None:
    readme = Path(__file__).resolve().parents[2] / "README.md"
    text = readme.read_text(encoding="utf-8")
    for machine in MACHINES.values():
        assert f"```mermaid\n{machine.mermaid()}\n```" in text, f"README diagram of {machine.name} is stale"
