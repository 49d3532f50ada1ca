"""Demo logins for ``gremienlauf serve --demo``: one per role and municipality, all with one demo password."""

from __future__ import annotations

import typer
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from workflow.access import ROLE_LABELS, Role, add_user
from workflow.db import make_engine, make_session_factory
from workflow.models import Body, Membership, Municipality, Person, User

DEMO_PASSWORD = "demo-passwort"  # for the demo database only; printed at start
DEPARTMENTS = {"wetzlar": "kbs", "duisburg": "integration", "wilhelmshaven": "migration"}


def add_demo_users(database_url: str) -> None:
    """Add the demo logins to the database at ``database_url`` (those that exist already are kept)."""
    engine = make_engine(database_url)
    names = create_demo_users(make_session_factory(engine))
    engine.dispose()
    typer.echo(
        f"\n  Demo-Zugänge (Passwort „{DEMO_PASSWORD}“): {', '.join(names[:6])} … ({len(names)} insgesamt)"
    )


def secretary_username(municipality: str, body: str) -> str:
    """The demo login of the secretary (Schriftführung) of a body."""
    return f"{municipality}-schrift-{body}"


def create_demo_users(sessions: sessionmaker[Session]) -> list[str]:
    """One login per role and municipality, and one secretary per body (those that exist are kept);
    returns every demo user name."""
    with sessions() as session:
        towns = [(m.key, m.id) for m in session.scalars(select(Municipality).order_by(Municipality.id))]
        existing = set(session.scalars(select(User.username)))
    lines = []
    for key, town_id in towns:
        with sessions() as session:
            bodies = [b.key for b in session.scalars(select(Body).where(Body.municipality_id == town_id))]
            assembly = session.scalars(
                select(Body).where(Body.municipality_id == town_id, Body.kind == "assembly")
            )
            assembly_id = assembly.one().id
            member = session.scalars(
                select(Person.key)
                .join(Membership, Membership.person_id == Person.id)
                .where(Membership.body_id == assembly_id)
                .order_by(Membership.id)
                .limit(1)
            ).one()
        accounts = [
            (f"{key}-koordination", Role.coordination, {}),
            (f"{key}-fachamt", Role.department, {"department": DEPARTMENTS.get(key, "")}),
            (f"{key}-mitglied", Role.council_member, {"person": member}),
            (f"{key}-admin", Role.admin, {}),
            *[(secretary_username(key, b), Role.secretary, {"bodies": [b]}) for b in bodies],
        ]
        for username, role, extra in accounts:
            lines.append(username)
            if username in existing:
                continue
            add_user(
                sessions,
                municipality=key,
                username=username,
                password=DEMO_PASSWORD,
                role=role,
                email=f"{username}@{key}.example",
                actor="Demo",
                **extra,
            )  # type: ignore[arg-type]
    return lines


def describe_demo_logins(address: str) -> str:
    """What ``gremienlauf serve --demo`` prints: where the web pages are and one login per role, in German."""
    lines = [
        "",
        f"  Die Webseiten laufen unter {address}",
        f"  Demo-Zugänge (Passwort für alle: „{DEMO_PASSWORD}“), je Rolle für Wetzlar:",
        f"    {ROLE_LABELS[Role.coordination]}: wetzlar-koordination",
        f"    {ROLE_LABELS[Role.department]}: wetzlar-fachamt",
        f"    {ROLE_LABELS[Role.secretary]}: wetzlar-schrift-stvv, wetzlar-schrift-magistrat (eine je Gremium)",
        f"    {ROLE_LABELS[Role.council_member]}: wetzlar-mitglied",
        f"    {ROLE_LABELS[Role.admin]}: wetzlar-admin",
        "  Ebenso für Duisburg und Wilhelmshaven (duisburg-…, wilhelmshaven-…). Beenden mit Strg+C.",
        "",
    ]
    return "\n".join(lines)
