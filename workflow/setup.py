"""Setting up a municipality from its file (departments, factions, persons, bodies, memberships)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from workflow.audit import record_audit
from workflow.db import transaction
from workflow.errors import Conflict
from workflow.models import Body, Department, Faction, Membership, Municipality, Person
from workflow.municipality import read_municipality_file
from workflow.store import clock


def import_municipality(
    sessions: sessionmaker[Session], path: Path, *, actor: str = "setup", now: dt.datetime | None = None
) -> Municipality:
    """Create a municipality from its file; refuses one that is already set up."""
    now = clock(now)
    spec, profile = read_municipality_file(path)
    with transaction(sessions) as session:
        if session.scalar(select(Municipality.id).where(Municipality.key == spec.municipality.key)):
            raise Conflict(
                f"Kommune '{spec.municipality.key}' ist bereits eingerichtet", key=spec.municipality.key
            )
        stamp = {"created_at": now, "modified_at": now}
        town = Municipality(
            key=spec.municipality.key,
            name=spec.municipality.name,
            short_name=spec.municipality.short_name,
            profile=profile.name,
            website=spec.municipality.website,
            portal=spec.municipality.portal.model_dump(exclude_none=True),
            **stamp,
        )
        session.add(town)
        session.flush()
        for d in spec.departments:
            session.add(
                Department(
                    municipality_id=town.id,
                    key=d.key,
                    name=d.name,
                    short_name=d.short_name,
                    email=d.email,
                    **stamp,
                )
            )
        factions = {
            f.key: Faction(municipality_id=town.id, key=f.key, name=f.name, short_name=f.short_name, **stamp)
            for f in spec.factions
        }
        persons = {
            p.key: Person(
                municipality_id=town.id,
                key=p.key,
                given_name=p.given_name,
                family_name=p.family_name,
                title=p.title,
                function=p.function,
                email=p.email,
                **stamp,
            )
            for p in spec.persons
        }
        session.add_all([*factions.values(), *persons.values()])
        session.flush()
        for b in spec.bodies:
            # The Geschäftsordnung's notice periods (the file's 'notice') for every body without its own.
            override = (
                b.settings
                if b.settings.notice or spec.notice is None
                else (b.settings.model_copy(update={"notice": spec.notice}))
            )
            settings = profile.settings_for(b.kind, override)
            body = Body(
                municipality_id=town.id,
                key=b.key,
                kind=b.kind.value,
                name=b.name,
                short_name=b.short_name,
                statutory_members=b.statutory_members,
                public=settings.public,
                tags=list(b.tags),
                settings_override=override.model_dump(mode="json", exclude_none=True),
                **stamp,
            )
            session.add(body)
            session.flush()
            for m in b.members:
                session.add(
                    Membership(
                        body_id=body.id,
                        person_id=persons[m.person].id,
                        role=m.role.value,
                        voting_right=m.voting_right,
                        faction_id=factions[m.faction].id if m.faction else None,
                        start_date=m.since or spec.term_start,
                        end_date=m.until,
                        substitute_of_id=persons[m.substitute_of].id if m.substitute_of else None,
                        **stamp,
                    )
                )
        session.flush()
        record_audit(
            session,
            actor=actor,
            action="municipality.imported",
            entity=town,
            now=now,
            reason=f"from {path.name}",
        )
    return town
