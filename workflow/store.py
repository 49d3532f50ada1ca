"""Small helpers the use cases share: loading with locks, the clock, profiles and body settings."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from functools import lru_cache
from typing import Any, Protocol, TypeVar

from sqlalchemy import Row, bindparam, select
from sqlalchemy.orm import Session

from workflow import validate
from workflow.errors import NotFound
from workflow.models import Base, Body, Membership, Municipality, Person, active_on, utcnow
from workflow.profile import BodySettings, BodySettingsOverride, NoticeRules, Profile, load_profile
from workflow.rules import Seat
from workflow.vocabulary import BodyKind, MembershipRole

T = TypeVar("T", bound=Base)

GERMAN_NAMES = {
    "paper": "Vorlage",
    "meeting": "Sitzung",
    "consultation": "Beratungsschritt",
    "agenda_item": "Tagesordnungspunkt",
    "body": "Gremium",
    "person": "Person",
    "department": "Fachamt",
    "municipality": "Kommune",
    "faction": "Fraktion",
    "item_result": "Ergebnis",
}


def clock(now: dt.datetime | None) -> dt.datetime:
    if now is None:
        return utcnow()
    return validate.aware(now, "now").astimezone(dt.UTC)


def not_found(table: str, ident: object, **details: Any) -> NotFound:
    """'paper 7 not found (Vorlage 7 gibt es nicht)': the error for a row that does not exist."""
    return NotFound(
        f"{table} {ident} not found ({GERMAN_NAMES.get(table, table)} {ident} gibt es nicht)", **details
    )


def get(session: Session, model: type[T], id_: int, *, lock: bool = False) -> T:
    """Load by primary key (locking the row ``FOR UPDATE`` when asked) or raise NotFound."""
    obj = session.get(model, id_, with_for_update=lock or None, populate_existing=lock)
    if obj is None:
        table = str(model.__tablename__)
        raise not_found(table, id_, entity=table, id=id_)
    return obj


def lock_all(session: Session, model: type[T], ids: Iterable[int]) -> dict[int, T]:
    """Lock rows ``FOR UPDATE`` in id order (one statement), so two transactions never wait on each other
    in a cycle. Use cases lock in the fixed order paper → consultation → meeting → agenda item."""
    wanted = sorted(set(ids))
    if not wanted:
        return {}
    id_column = model.id  # type: ignore[attr-defined]
    rows = session.scalars(
        select(model)
        .where(id_column.in_(wanted))
        .order_by(id_column)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).all()
    found = {row.id: row for row in rows}  # type: ignore[attr-defined]
    missing = [i for i in wanted if i not in found]
    if missing:
        table = str(model.__tablename__)
        raise not_found(table, missing[0], entity=table, id=missing[0])
    return found


def by_key(session: Session, model: type[T], municipality_id: int, key: str) -> T:
    obj = session.scalars(
        select(model).where(model.municipality_id == municipality_id, model.key == key)  # type: ignore[attr-defined]
    ).one_or_none()
    if obj is None:
        table = str(model.__tablename__)
        raise not_found(table, f"'{key}'", entity=table, key=key)
    return obj


_MUNICIPALITY_BY_KEY = select(Municipality).where(Municipality.key == bindparam("key"))  # on every request


def municipality_by_key(session: Session, key: str) -> Municipality:
    obj = session.scalars(_MUNICIPALITY_BY_KEY, {"key": key}).one_or_none()
    if obj is None:
        raise municipality_not_found(key)
    return obj


def municipality_not_found(key: str) -> NotFound:
    return NotFound(f"municipality '{key}' not found (Kommune '{key}' ist nicht eingerichtet)", key=key)


@lru_cache(maxsize=8)
def profile_named(name: str) -> Profile:
    return load_profile(name)


def profile_of(session: Session, municipality_id: int) -> Profile:
    return profile_named(get(session, Municipality, municipality_id).profile)


class HasSettings(Protocol):
    """What the settings of a body are made of: an ORM ``Body`` or the facts a use case read about it."""

    @property
    def kind(self) -> str: ...

    @property
    def settings_override(self) -> dict[str, Any] | None: ...


def body_settings(profile: Profile, body: HasSettings) -> BodySettings:
    """The profile's settings for the body's kind, with the body's own overrides (if it has any)."""
    override = BodySettingsOverride.model_validate(body.settings_override) if body.settings_override else None
    return profile.settings_for(BodyKind(body.kind), override)


def notice_rules(profile: Profile, body: Body) -> NoticeRules:
    return profile.notice_for(body_settings(profile, body))


_MEMBERSHIP = (
    Membership.person_id,
    Membership.role,
    Membership.voting_right,
    Membership.faction_id,
    Membership.substitute_of_id,
    Membership.start_date,
    Membership.end_date,
)
_OF_BODY = Membership.body_id == bindparam("body_id")
_MEMBERSHIPS = select(*_MEMBERSHIP).where(_OF_BODY).order_by(Membership.id)
_MEMBERSHIPS_WITH_PERSONS = (
    select(*_MEMBERSHIP, Person.municipality_id, Person.title, Person.given_name, Person.family_name)
    .join(Person, Person.id == Membership.person_id)
    .where(_OF_BODY)
    .order_by(Membership.id)
)


def seats(session: Session, body_id: int, day: dt.date) -> list[Seat]:
    """The body's seats on ``day``: its memberships active that day, in their order."""
    return [seat for seat, _ in _active(session.execute(_MEMBERSHIPS, {"body_id": body_id}), day)]


def seats_with_persons(session: Session, body_id: int, day: dt.date) -> list[tuple[Seat, Row[Any]]]:
    """``seats``, each with its member's ``municipality_id``, ``title``, ``given_name`` and ``family_name``."""
    return _active(session.execute(_MEMBERSHIPS_WITH_PERSONS, {"body_id": body_id}), day)


def _active(memberships: Iterable[Row[Any]], day: dt.date) -> list[tuple[Seat, Row[Any]]]:
    return [
        (Seat(m.person_id, MembershipRole(m.role), m.voting_right, m.faction_id, m.substitute_of_id), m)
        for m in memberships
        if active_on(m.start_date, m.end_date, day)
    ]
