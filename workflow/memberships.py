"""The administrator's use cases on persons and memberships: a person is added, a member leaves a body
(their membership gets an "until"), a successor joins (a new membership with a "from"), a member changes
faction (their memberships of the old faction end the day before, new ones of the new faction begin).

A membership is never edited after the fact: it only gets an end. What was recorded while it held (the
seats of a meeting, per-faction counts, named votes, minutes) reads the memberships active on that day and
so stays exactly as it was.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload, sessionmaker

from workflow import validate
from workflow.audit import record_audit, snapshot
from workflow.db import transaction
from workflow.errors import Conflict, NotFound, RuleViolation
from workflow.models import Body, Faction, Membership, Person
from workflow.store import clock
from workflow.vocabulary import MembershipRole

Sessions = sessionmaker[Session]
Mine = TypeVar("Mine", Body, Faction, Person)
_KEY = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")

#: The roles whose holders vote unless told otherwise (as in the municipality file).
VOTING_ROLES = frozenset(
    {MembershipRole.chair, MembershipRole.deputy_chair, MembershipRole.member, MembershipRole.substitute}
)


def _mine(session: Session, model: type[Mine], municipality_id: int, id_: int) -> Mine:
    row = session.get(model, id_)
    if row is None or row.municipality_id != municipality_id:
        table = str(model.__tablename__)
        raise NotFound(f"{table} {id_} not found", entity=table, id=id_)
    return row


def add_person(
    sessions: Sessions,
    *,
    actor: str,
    municipality_id: int,
    key: str,
    given_name: str,
    family_name: str,
    title: str | None = None,
    email: str | None = None,
    now: dt.datetime | None = None,
) -> Person:
    """A new person of the municipality (e.g. a successor before they join a body)."""
    now = clock(now)
    key = key.strip()
    if not _KEY.match(key):
        raise RuleViolation(
            f"The key {key!r} must be 1-64 lower-case letters, digits, '-' or '_'",
            german="Der Schlüssel besteht aus Kleinbuchstaben, Ziffern, „-“ oder „_“ (höchstens 64 Zeichen)",
        )
    given = validate.text(given_name, "Vorname", max_length=100).strip()
    family = validate.text(family_name, "Nachname", max_length=100).strip()
    with transaction(sessions) as session:
        taken = session.scalar(
            select(Person.id).where(Person.municipality_id == municipality_id, Person.key == key)
        )
        if taken is not None:
            raise Conflict(f"The person key '{key}' is taken", german=f"Den Schlüssel „{key}“ gibt es schon")
        person = Person(
            municipality_id=municipality_id,
            key=key,
            given_name=given,
            family_name=family,
            title=(title or "").strip()[:60] or None,
            email=(email or "").strip()[:200] or None,
            created_at=now,
            modified_at=now,
        )
        session.add(person)
        session.flush()
        record_audit(session, actor=actor, action="person.added", entity=person, now=now)
    return person


def end_membership(
    sessions: Sessions,
    *,
    actor: str,
    municipality_id: int,
    membership_id: int,
    until: dt.date,
    reason: str | None = None,
    now: dt.datetime | None = None,
) -> Membership:
    """A member leaves the body: the membership holds up to and including ``until``."""
    now = clock(now)
    until = validate.day(until, "until")
    with transaction(sessions) as session:
        membership = session.get(Membership, membership_id, with_for_update=True, populate_existing=True)
        if membership is None or membership.body.municipality_id != municipality_id:
            raise NotFound(
                f"membership {membership_id} not found",
                german=f"Die Mitgliedschaft {membership_id} gibt es nicht",
                entity="membership",
                id=membership_id,
            )
        _check_end(membership, until)
        before = snapshot(membership)
        membership.end_date = until
        membership.modified_at = now
        record_audit(
            session,
            actor=actor,
            action="membership.ended",
            entity=membership,
            now=now,
            before=before,
            reason=reason,
        )
    return membership


def _check_end(membership: Membership, until: dt.date) -> None:
    if until < membership.start_date:
        raise RuleViolation(
            f"The membership begins on {membership.start_date}; it cannot end before",
            german=f"Die Mitgliedschaft beginnt am {membership.start_date:%d.%m.%Y}; sie kann nicht vorher enden",
        )
    if membership.end_date is not None and membership.end_date <= until:
        raise RuleViolation(
            f"The membership ended on {membership.end_date} already",
            german=f"Die Mitgliedschaft endete bereits am {membership.end_date:%d.%m.%Y}",
        )


@dataclass(frozen=True)
class NewMembership:
    body_id: int
    person_id: int
    start: dt.date
    role: MembershipRole = MembershipRole.member
    faction_id: int | None = None
    voting_right: bool | None = None  # default: by role (``VOTING_ROLES``)
    substitute_of_id: int | None = None
    until: dt.date | None = None


def add_membership(
    sessions: Sessions,
    *,
    actor: str,
    municipality_id: int,
    new: NewMembership,
    now: dt.datetime | None = None,
) -> Membership:
    """A person joins a body from ``new.start`` (a successor, a new substitute)."""
    now = clock(now)
    with transaction(sessions) as session:
        membership = _add(session, municipality_id, new, now)
        record_audit(session, actor=actor, action="membership.started", entity=membership, now=now)
    return membership


def _add(session: Session, municipality_id: int, new: NewMembership, now: dt.datetime) -> Membership:
    role = validate.choice(MembershipRole, new.role, "role")
    start = validate.day(new.start, "from")
    body = _mine(session, Body, municipality_id, new.body_id)
    person = _mine(session, Person, municipality_id, new.person_id)
    if new.faction_id is not None:
        _mine(session, Faction, municipality_id, new.faction_id)
    if new.until is not None and new.until < start:
        raise RuleViolation(
            "A membership cannot end before it begins",
            german="Eine Mitgliedschaft kann nicht enden, bevor sie beginnt",
        )
    others = session.scalars(
        select(Membership).where(Membership.body_id == body.id).options(selectinload(Membership.person))
    ).all()
    if role is MembershipRole.substitute:
        if new.substitute_of_id is None:
            raise RuleViolation(
                "A substitute names the member they stand in for",
                german="Eine Vertretung nennt das Mitglied, das sie vertritt",
                field="substitute_of",
            )
        if not any(m.person_id == new.substitute_of_id and _overlaps(m, start, new.until) for m in others):
            raise RuleViolation(
                "A substitute stands in for a member of the same body",
                german="Eine Vertretung vertritt ein Mitglied desselben Gremiums",
                field="substitute_of",
            )
    elif new.substitute_of_id is not None:
        raise RuleViolation(
            "Only a substitute stands in for someone",
            german="Nur eine Vertretung vertritt jemanden",
            field="substitute_of",
        )
    if new.substitute_of_id == person.id:
        raise RuleViolation(
            "Nobody stands in for themselves", german="Niemand vertritt sich selbst", field="substitute_of"
        )
    clash = next(
        (
            m
            for m in others
            if m.person_id == person.id
            and (m.role == MembershipRole.substitute) == (role is MembershipRole.substitute)
            and _overlaps(m, start, new.until)
        ),
        None,
    )
    if clash is not None:
        raise Conflict(
            f"{person.name} is a member of {body.name} on that day already",
            german=f"{person.name} ist an diesem Tag schon Mitglied in {body.name}; "
            "beenden Sie zuerst die bisherige Mitgliedschaft",
        )
    membership = Membership(
        body_id=body.id,
        person_id=person.id,
        role=role.value,
        voting_right=new.voting_right if new.voting_right is not None else role in VOTING_ROLES,
        faction_id=new.faction_id,
        start_date=start,
        end_date=new.until,
        substitute_of_id=new.substitute_of_id,
        created_at=now,
        modified_at=now,
    )
    session.add(membership)
    session.flush()
    return membership


def _overlaps(m: Membership, start: dt.date, until: dt.date | None) -> bool:
    return m.start_date <= (until or dt.date.max) and start <= (m.end_date or dt.date.max)


def change_faction(
    sessions: Sessions,
    *,
    actor: str,
    municipality_id: int,
    person_id: int,
    faction_id: int | None,
    on: dt.date,
    now: dt.datetime | None = None,
) -> list[Membership]:
    """A member changes faction (or leaves theirs: ``faction_id`` None) from ``on``: each of their
    memberships active that day with another faction ends the day before, and a new one with the same
    body, role, voting right and substitution begins on ``on``. Returns the new memberships."""
    now = clock(now)
    on = validate.day(on, "from")
    with transaction(sessions) as session:
        person = _mine(session, Person, municipality_id, person_id)
        if faction_id is not None:
            _mine(session, Faction, municipality_id, faction_id)
        current = [
            m
            for m in session.scalars(
                select(Membership)
                .where(Membership.person_id == person.id)
                .order_by(Membership.id)
                .with_for_update()
            )
            if m.active_on(on) and m.faction_id != faction_id
        ]
        if not current:
            raise RuleViolation(
                f"{person.name} has no membership on {on} whose faction would change",
                german=f"{person.name} hat am {on:%d.%m.%Y} keine Mitgliedschaft, deren Fraktion sich ändert",
            )
        started = []
        for old in current:
            if old.start_date >= on:
                raise RuleViolation(
                    f"The membership in {old.body.name} begins on {old.start_date}; change it from a later day",
                    german=f"Die Mitgliedschaft in {old.body.name} beginnt erst am {old.start_date:%d.%m.%Y}; "
                    "der Wechsel muss später liegen",
                )
            before = snapshot(old)
            old_end = old.end_date
            old.end_date = on - dt.timedelta(days=1)
            old.modified_at = now
            record_audit(
                session,
                actor=actor,
                action="membership.ended",
                entity=old,
                now=now,
                before=before,
                reason="Fraktionswechsel",
            )
            new = Membership(
                body_id=old.body_id,
                person_id=old.person_id,
                role=old.role,
                voting_right=old.voting_right,
                faction_id=faction_id,
                start_date=on,
                end_date=old_end,
                substitute_of_id=old.substitute_of_id,
                created_at=now,
                modified_at=now,
            )
            session.add(new)
            session.flush()
            record_audit(
                session,
                actor=actor,
                action="membership.started",
                entity=new,
                now=now,
                reason="Fraktionswechsel",
            )
            started.append(new)
    return started
