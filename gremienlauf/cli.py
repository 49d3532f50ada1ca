"""The ``gremienlauf`` command line. Output meant for office staff is German; errors never show a traceback."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated, Any

import typer

from gremienlauf.cli_common import DatabaseOption, friendly_errors
from gremienlauf.import_cli import import_app

app = typer.Typer(
    help="gremienlauf: Vorlagen durch ihre Beratungsfolge führen.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
db_app = typer.Typer(help="Datenbank einrichten und migrieren.", no_args_is_help=True)
municipality_app = typer.Typer(help="Kommunen (Gemeindedateien) prüfen und einrichten.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(municipality_app, name="kommune")
app.add_typer(import_app, name="import")


@app.command()
@friendly_errors
def demo(
    database_url: Annotated[
        str | None,
        typer.Option(
            "--database-url",
            help="Statt der eigenen Demo-Datenbank (var/demo.sqlite3) "
            "eine leere Datenbank verwenden, z. B. PostgreSQL",
        ),
    ] = None,
    heute: Annotated[
        str | None,
        typer.Option(
            "--heute", help="Stichtag für die Arbeit auf den Startseiten (JJJJ-MM-TT); ohne Angabe: heute"
        ),
    ] = None,
) -> None:
    """Die Wetzlarer Vorlage 1562/13 und je eine Vorlage aus Duisburg und Wilhelmshaven durchspielen, dann
    Arbeit für die Startseiten aller Rollen bezogen auf heute anlegen."""
    from gremienlauf.demo import run_demo

    try:
        today = dt.date.fromisoformat(heute) if heute else None
    except ValueError:
        raise typer.BadParameter(f"'{heute}' ist kein Datum (JJJJ-MM-TT)", param_hint="--heute") from None
    run_demo(database_url, today)


@db_app.command("upgrade")
@friendly_errors
def db_upgrade(database_url: DatabaseOption = None) -> None:
    """Alle Migrationen anwenden."""
    from workflow.db import upgrade

    upgrade(database_url)
    typer.echo("Datenbank ist auf dem neuesten Stand.")


@municipality_app.command("pruefen")
@friendly_errors
def municipality_check(file: Path) -> None:
    """Eine Gemeindedatei prüfen, ohne etwas zu speichern."""
    from workflow.municipality import read_municipality_file

    spec, profile = read_municipality_file(file)
    typer.echo(
        f"{file}: in Ordnung – {spec.municipality.name} ({profile.label}), {len(spec.bodies)} Gremien, "
        f"{len(spec.persons)} Personen."
    )


@municipality_app.command("einrichten")
@friendly_errors
def municipality_import(file: Path, database_url: DatabaseOption = None) -> None:
    """Eine Kommune aus ihrer Gemeindedatei einrichten (Migrationen werden vorher angewendet)."""
    from workflow.db import make_engine, make_session_factory, upgrade
    from workflow.setup import import_municipality

    upgrade(database_url)
    engine = make_engine(database_url)
    town = import_municipality(make_session_factory(engine), file)
    typer.echo(f"{town.name} ist eingerichtet.")


@app.command()
@friendly_errors
def serve(
    host: Annotated[str, typer.Option(help="Adresse, an der der Server lauscht")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port")] = 8000,
    demo: Annotated[
        bool, typer.Option("--demo", help="Die drei Beispielkommunen mit ihren Demo-Vorlagen laden")
    ] = False,
    database_url: DatabaseOption = None,
    workers: Annotated[int, typer.Option(help="Anzahl der Prozesse (uvicorn --workers)")] = 1,
) -> None:
    """Die HTTP-API starten (uvicorn); interaktive Dokumentation unter /docs."""
    import os

    import uvicorn

    from workflow.db import upgrade

    if demo:
        from gremienlauf.demo import DEMO_DATABASE, run_demo

        url = database_url or f"sqlite:///{DEMO_DATABASE}"
        run_demo(url if database_url else None)
        from gremienlauf.demo_users import add_demo_users

        add_demo_users(url)
        database_url = url
    else:
        upgrade(database_url)
    if database_url:
        os.environ["GREMIENLAUF_DATABASE_URL"] = database_url
    # OParl ids are built from the public URL; without one set, it is the address served here.
    os.environ.setdefault("GREMIENLAUF_PUBLIC_URL", f"http://{host}:{port}")
    if demo:
        from gremienlauf.demo_users import describe_demo_logins

        typer.echo(describe_demo_logins(f"http://{host}:{port}/"))
    typer.echo(f"gremienlauf-API unter http://{host}:{port}/docs")
    # Open live pages keep their event streams open: on shutdown they get 5 s, then they are closed (the
    # browser reconnects to another process).
    uvicorn.run("api.main:app", host=host, port=port, workers=workers, timeout_graceful_shutdown=5)


user_app = typer.Typer(help="Benutzer verwalten.", no_args_is_help=True)
app.add_typer(user_app, name="user")


@user_app.command("add")
@friendly_errors
def user_add(
    municipality: Annotated[str, typer.Argument(help="Schlüssel der Kommune, z. B. wetzlar")],
    username: Annotated[str, typer.Argument(help="Benutzername")],
    role: Annotated[str, typer.Option(help="coordination, department, secretary, council_member, admin")],
    password: Annotated[
        str,
        typer.Option(
            prompt=True, hide_input=True, confirmation_prompt=True, help="Passwort (mindestens 10 Zeichen)"
        ),
    ],
    display_name: Annotated[str | None, typer.Option(help="Anzeigename")] = None,
    department: Annotated[str | None, typer.Option(help="Fachamt (bei Rolle department)")] = None,
    person: Annotated[str | None, typer.Option(help="Person (bei Rolle council_member)")] = None,
    body: Annotated[
        list[str] | None, typer.Option(help="Gremium (bei Rolle secretary; mehrfach möglich)")
    ] = None,
    email: Annotated[
        str | None, typer.Option(help="E-Mail-Adresse für Erinnerungen (Koordination, Schriftführung)")
    ] = None,
    database_url: DatabaseOption = None,
) -> None:
    """Einen Benutzer anlegen."""
    from workflow.access import Role, add_user
    from workflow.db import make_engine, make_session_factory, upgrade

    if role not in {r.value for r in Role}:
        typer.secho(
            f"Fehler: unbekannte Rolle '{role}' ({', '.join(r.value for r in Role)})",
            fg=typer.colors.RED,
            err=True,
        )
        raise typer.Exit(1)
    upgrade(database_url)
    engine = make_engine(database_url)
    user = add_user(
        make_session_factory(engine),
        municipality=municipality,
        username=username,
        password=password,
        role=Role(role),
        display_name=display_name,
        department=department,
        person=person,
        bodies=body or [],
        email=email,
        actor="Kommandozeile",
    )
    engine.dispose()
    typer.echo(f"Benutzer „{user.username}“ ({role}) angelegt.")


def _worker_settings() -> Any:
    from workers.settings import WorkerSettings

    settings = WorkerSettings()
    if not settings.redis_url:
        typer.secho(
            "Fehler: GREMIENLAUF_REDIS_URL ist nicht gesetzt. Ohne Redis erledigt der eingebaute Hintergrund-"
            "Arbeiter von „gremienlauf serve“ und „gremienlauf demo“ die Aufgaben.",
            fg=typer.colors.RED,
            err=True,
        )
        raise typer.Exit(1)
    return settings


@app.command()
@friendly_errors
def worker(
    concurrency: Annotated[int, typer.Option(help="Anzahl paralleler Arbeitsprozesse")] = 2,
    pool: Annotated[str, typer.Option(help="prefork (Prozesse), threads oder solo")] = "prefork",
    loglevel: Annotated[str, typer.Option(help="DEBUG, INFO, WARNING")] = "INFO",
    queues: Annotated[
        str, typer.Option(help="alle, aufgaben (Mails, Word-Dokumente, Erinnerungen) oder pdf (LibreOffice)")
    ] = "alle",
    database_url: DatabaseOption = None,
) -> None:
    """Celery-Worker starten: Dokumente, Einladungen, Ergebnis-Mails und Erinnerungen (Redis als Broker)."""
    from workers.celery_app import create_celery, pdf_queue_name, queue_name

    settings = _worker_settings()
    chosen = {
        "alle": [queue_name(settings), pdf_queue_name(settings)],
        "aufgaben": [queue_name(settings)],
        "pdf": [pdf_queue_name(settings)],
    }.get(queues)
    if chosen is None:
        typer.secho("Fehler: --queues ist alle, aufgaben oder pdf", fg=typer.colors.RED, err=True)
        raise typer.Exit(1)
    celery = create_celery(settings, database_url)
    celery.worker_main(
        [
            "worker",
            f"--concurrency={concurrency}",
            f"--pool={pool}",
            f"--loglevel={loglevel}",
            f"--queues={','.join(chosen)}",
            "--without-gossip",
            "--without-mingle",
        ]
    )


@app.command()
@friendly_errors
def beat(
    schedule: Annotated[
        Path, typer.Option(help="Datei, in der beat den Zeitpunkt der letzten Läufe festhält")
    ] = Path("var/celerybeat-schedule"),
    loglevel: Annotated[str, typer.Option(help="DEBUG, INFO, WARNING")] = "INFO",
    database_url: DatabaseOption = None,
) -> None:
    """Celery beat starten (genau einmal je Installation): Ausgang-Nachlese und fällige Erinnerungen."""
    from workers.celery_app import create_celery

    settings = _worker_settings()
    schedule.parent.mkdir(parents=True, exist_ok=True)
    # worker_main only starts workers; beat is started as the celery command line would.
    create_celery(settings, database_url).start(["beat", f"--schedule={schedule}", f"--loglevel={loglevel}"])


def _events(count: int) -> str:
    return f"{count} Ereignis" if count == 1 else f"{count} Ereignisse"


@app.command()
@friendly_errors
def relay(
    interval: Annotated[
        float, typer.Option(min=0.05, help="Sekunden zwischen zwei Durchläufen, wenn nichts ansteht")
    ] = 0.5,
    once: Annotated[bool, typer.Option("--once", help="einmal übergeben, was ansteht, und beenden")] = False,
    database_url: DatabaseOption = None,
) -> None:
    """Den Ausgang an die Celery-Worker übergeben, als eigener Prozess (die API-Prozesse dann mit
    GREMIENLAUF_API_RELAY=false): ihre Rechenzeit bleibt den Anfragen."""
    import signal

    from workers.celery_app import create_celery, publisher
    from workers.relay import drain, pending_count, relay_until
    from workflow.db import make_engine, make_session_factory

    settings = _worker_settings()
    engine = make_engine(database_url)
    sessions = make_session_factory(engine)
    publish = publisher(create_celery(settings, database_url))
    try:
        if once:
            handed = drain(sessions, publish)
            left = pending_count(sessions)
            typer.echo(f"{_events(handed)} an die Worker übergeben.")
            if left:
                typer.secho(
                    f"Fehler: {_events(left)} stehen noch aus; der Broker (Redis) hat sie nicht angenommen "
                    "(der Grund steht im Ausgang, Spalte last_error).",
                    fg=typer.colors.RED,
                    err=True,
                )
                raise typer.Exit(1)
            return
        stop: list[int] = []  # a flag the signal handlers set; nothing that takes a lock
        for signal_number in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signal_number, lambda number, _frame: stop.append(number))
        seconds = f"{interval:g}".replace(".", ",")
        typer.echo(f"Der Ausgang wird alle {seconds} s an die Worker übergeben (Strg+C beendet).")
        handed = relay_until(sessions, publish, interval=interval, stopped=lambda: bool(stop))
        typer.echo(f"Beendet; {_events(handed)} übergeben.")
    finally:
        engine.dispose()


feed_app = typer.Typer(help="Kalender-Abos (iCalendar) verwalten.", no_args_is_help=True)
app.add_typer(feed_app, name="feed")


@feed_app.command("token")
@friendly_errors
def feed_token(
    municipality: Annotated[str, typer.Argument(help="Schlüssel der Kommune, z. B. wetzlar")],
    body: Annotated[str | None, typer.Option(help="Gremium (für ein nichtöffentliches Gremium)")] = None,
    person: Annotated[str | None, typer.Option(help="Person (persönlicher Kalender)")] = None,
    database_url: DatabaseOption = None,
) -> None:
    """Einen geheimen Kalender-Zugang anlegen und die Abo-Adresse ausgeben."""
    from workers.settings import WorkerSettings
    from workflow.db import make_engine, make_session_factory, upgrade
    from workflow.feeds import create_token
    from workflow.models import utcnow

    upgrade(database_url)
    engine = make_engine(database_url)
    token = create_token(
        make_session_factory(engine), municipality=municipality, body=body, person=person, now=utcnow()
    )
    engine.dispose()
    base = WorkerSettings().public_url.rstrip("/")
    path = f"bodies/{body}" if body else f"persons/{person}"
    typer.echo("Kalender-Abo (Adresse geheim halten; sie wird nur jetzt angezeigt):")
    typer.echo(f"{base}/api/v1/{municipality}/{path}/calendar.ics?token={token}")


@app.command()
def diagram(
    machine: Annotated[str, typer.Argument(help="paper, consultation oder meeting")] = "paper",
) -> None:
    """Den Zustandsautomaten als Mermaid-Diagramm ausgeben."""
    from workflow.machines import MACHINES

    if machine not in MACHINES:
        typer.secho(
            f"Fehler: unbekannter Automat '{machine}' (paper, consultation, meeting)",
            fg=typer.colors.RED,
            err=True,
        )
        raise typer.Exit(1)
    typer.echo(MACHINES[machine].mermaid())


if __name__ == "__main__":
    app()
