"""``gremienlauf import oparl``: a city's history from its old council system, with a progress display per
phase and type and a German summary at the end."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeRemainingColumn
from rich.table import Table

from gremienlauf.cli_common import DatabaseOption, friendly_errors

import_app = typer.Typer(
    help="Daten aus einem anderen Ratsinformationssystem übernehmen.", no_args_is_help=True
)

TYPE_LABELS = {
    "Organization": "Organisationen",
    "Person": "Personen",
    "Membership": "Mitgliedschaften",
    "LegislativeTerm": "Wahlperioden",
    "Location": "Orte",
    "Meeting": "Sitzungen",
    "AgendaItem": "TOPs",
    "Paper": "Vorlagen",
    "Consultation": "Beratungen",
    "File": "Dateien",
}
COLUMNS = (
    ("seen", "gelesen"),
    ("created", "neu"),
    ("updated", "geändert"),
    ("unchanged", "gleich"),
    ("deleted", "gelöscht"),
    ("quarantined", "Quarantäne"),
)


def parse_since(value: str | None) -> dt.datetime | None:
    """``2024-01-31`` (from midnight in Berlin) or an ISO date-time; a German error otherwise."""
    if value is None:
        return None
    from workers.oparl_import.repairs import parse_datetime

    moment = parse_datetime(value)
    if moment is None:
        raise typer.BadParameter(
            f"'{value}' ist kein Datum (JJJJ-MM-TT) und kein Zeitpunkt (JJJJ-MM-TTThh:mm)"
        )
    return moment


class ProgressDisplay:
    """One bar per phase and type, with counts and the estimated time left."""

    def __init__(self, console: Console) -> None:
        self.progress = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("verbleibend"),
            TimeRemainingColumn(),
            console=console,
            transient=False,
        )
        self.tasks: dict[tuple[str, str], TaskID] = {}

    def __call__(self, phase: str, oparl_type: str, done: int, total: int | None) -> None:
        key = (phase, oparl_type)
        if key not in self.tasks:
            label = f"{phase}: {TYPE_LABELS.get(oparl_type, oparl_type)}"
            self.tasks[key] = self.progress.add_task(label, total=total)
        self.progress.update(self.tasks[key], completed=done, total=total)


def summary(report: dict[str, Any]) -> Table:
    towns = [part["kommune"] for part in report["bodies"]] or [report["kommune"]]
    title = (
        "Probelauf (nichts gespeichert)"
        if report["dry_run"]
        else f"Übernommen in Kommune '{towns[0]}'"
        if len(towns) == 1
        else f"Übernommen in {len(towns)} Kommunen: " + ", ".join(f"'{t}'" for t in towns)
    )
    table = Table(title=title)
    table.add_column("Art")
    for _, label in COLUMNS:
        table.add_column(label, justify="right")
    order = list(TYPE_LABELS)
    for oparl_type, counts in sorted(
        report["counts"].items(), key=lambda kv: order.index(kv[0]) if kv[0] in order else 99
    ):
        table.add_row(TYPE_LABELS.get(oparl_type, oparl_type), *(str(counts[key]) for key, _ in COLUMNS))
    return table


@import_app.command("oparl")
@friendly_errors
def import_oparl_command(
    url: Annotated[
        str, typer.Argument(help="OParl-Adresse: System, Liste der Körperschaften oder Körperschaft")
    ],
    kommune: Annotated[
        str | None, typer.Option("--kommune", help="In diese bestehende Kommune übernehmen (Schlüssel)")
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Nur abrufen und prüfen, nichts speichern")
    ] = False,
    report: Annotated[Path | None, typer.Option("--report", help="Bericht als JSON-Datei schreiben")] = None,
    since: Annotated[
        str | None,
        typer.Option(
            "--since", help="Nur seit diesem Zeitpunkt Geändertes abrufen (sonst: seit dem letzten Lauf)"
        ),
    ] = None,
    full: Annotated[
        bool,
        typer.Option(
            "--full",
            help="Alles neu abrufen (nicht nur Änderungen); was die Quelle nicht mehr führt, wird entfernt",
        ),
    ] = False,
    files: Annotated[
        bool,
        typer.Option(
            "--files", help="Danach die Inhalte der Dateien herunterladen (fortsetzbar, mit Prüfsummen)"
        ),
    ] = False,
    database_url: DatabaseOption = None,
) -> None:
    """Die Geschichte einer Kommune aus ihrem bisherigen System über OParl übernehmen (1.0 und 1.1)."""
    from workers.oparl_import.importer import ImportFailed, import_oparl
    from workflow.db import make_engine, make_session_factory, upgrade

    start = parse_since(since)
    console = Console(stderr=True)
    upgrade(database_url)
    engine = make_engine(database_url)
    display = ProgressDisplay(console)
    try:
        with display.progress:
            result = import_oparl(
                make_session_factory(engine),
                url,
                kommune=kommune,
                dry_run=dry_run,
                since=start,
                full=full,
                progress=display,
            )
            data = result.as_json()
            if files and not dry_run and result.municipalities:
                fetched = [
                    _download(make_session_factory(engine), str(part.municipality), str(part.body), display)
                    for part in result.parts or [result]
                    if part.municipality
                ]
                data["files"] = {
                    "counts": {k: sum(f["counts"][k] for f in fetched) for k in fetched[0]["counts"]},
                    "refused": [r for f in fetched for r in f["refused"]],
                }
    except ImportFailed as exc:
        typer.secho(f"Fehler: {exc}", fg=typer.colors.RED, err=True)
        raise typer.Exit(1) from None
    finally:
        engine.dispose()
    if report is not None:
        report.write_text(json.dumps(data, ensure_ascii=False, indent=2), encoding="utf-8")
    out = Console()
    out.print(summary(data))
    quarantined, inconsistent = len(data["quarantined"]), len(data["inconsistent"])
    lines = (
        [f"Quelle: {data['body']}"]
        if not data["bodies"]
        else [f"Quelle: {data['source']} mit {len(data['bodies'])} Körperschaften"]
        + [
            f"  {part['body']}"
            + ("" if data["dry_run"] else f" → Kommune '{part['kommune']}'")
            + f": {sum(c['seen'] for c in part['counts'].values())} Objekte gelesen"
            for part in data["bodies"]
        ]
    )
    if data["since"]:
        lines.append(f"Abgerufen: Änderungen seit {data['since']}")
    elif not data["dry_run"]:
        removed = sum(c["deleted"] for c in data["counts"].values())
        lines.append(
            f"Vollständiger Abgleich: {removed} Objekte, die die Quelle gelöscht hat oder nicht mehr "
            "führt, aus der Veröffentlichung genommen"
        )
    lines.append(
        f"{quarantined} Objekte in Quarantäne, {inconsistent} Unstimmigkeiten gemeldet"
        + (f" (Einzelheiten in {report})" if report and (quarantined or inconsistent) else "")
    )
    if "files" in data:
        c = data["files"]["counts"]
        lines.append(
            f"Dateien: {c['stored']} gespeichert, {c['deduplicated']} schon vorhanden (einmal gespeichert), "
            f"{c['refused']} abgelehnt"
        )
    for line in lines:
        out.print(line)


def _download(sessions: Any, municipality: str, body_url: str, display: ProgressDisplay) -> dict[str, Any]:
    from workers.oparl_import.client import OParlClient
    from workers.oparl_import.files import download_files

    client = OParlClient()
    try:
        report = download_files(
            sessions, client, municipality, actor=f"import:{body_url}"[:200], progress=display
        )
    finally:
        client.close()
    return {"counts": report.counts, "refused": report.refused}
