"""OParl's Organizations (Gremien, Fraktionen, Fachämter), the Persons and their Memberships."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import select

from api.oparl.format import VENDOR, date, type_url
from api.oparl.publisher import Publisher, clean, stamps
from workflow.models import Body, Department, Faction, Membership, Person

BODY_KIND_LABELS = {
    "assembly": "Vertretungskörperschaft",
    "executive": "Verwaltungsorgan",
    "main_committee": "Hauptausschuss",
    "committee": "Ausschuss",
    "district": "Bezirksvertretung / Ortsbeirat",
    "advisory": "Beirat",
}
MEMBERSHIP_ROLE_LABELS = {
    "chair": "Vorsitz",
    "deputy_chair": "stellvertretender Vorsitz",
    "member": "Mitglied",
    "substitute": "stellvertretendes Mitglied",
    "advisory": "beratendes Mitglied",
}


def organization(pub: Publisher, body: Body, membership_ids: Sequence[int]) -> dict[str, Any]:
    return clean(
        {
            "id": pub.urls.organization(body.id),
            "type": type_url("Organization"),
            "body": pub.urls.body(body.municipality_id),
            "name": body.name,
            "shortName": body.short_name,
            "membership": [pub.urls.membership(i) for i in membership_ids],
            "organizationType": "Gremium",
            "classification": BODY_KIND_LABELS.get(body.kind, body.kind),
            VENDOR + "public": body.public,
            VENDOR + "statutoryMembers": body.statutory_members,
            **stamps(body.created_at, body.modified_at),
        }
    )


def membership_ids_by_body(pub: Publisher, town_id: int, body_id: int | None = None) -> dict[int, list[int]]:
    """Gremium id → the ids of its memberships, for the Gremien of a municipality (or just ``body_id``)."""
    statement = (
        select(Membership.id, Membership.body_id)
        .join(Body, Body.id == Membership.body_id)
        .where(Body.municipality_id == town_id)
        .order_by(Membership.id)
    )
    if body_id is not None:
        statement = statement.where(Membership.body_id == body_id)
    found: dict[int, list[int]] = {}
    for row in pub.session.execute(statement):
        found.setdefault(row.body_id, []).append(row.id)
    return found


def faction(pub: Publisher, faction: Faction) -> dict[str, Any]:
    return clean(
        {
            "id": pub.urls.faction(faction.id),
            "type": type_url("Organization"),
            "body": pub.urls.body(faction.municipality_id),
            "name": faction.name,
            "shortName": faction.short_name,
            "organizationType": "Fraktion",
            **stamps(faction.created_at, faction.modified_at),
        }
    )


def department(pub: Publisher, department: Department) -> dict[str, Any]:
    """A Fachamt: the unit of the administration a paper comes from (``Paper.underDirectionOf``)."""
    return clean(
        {
            "id": pub.urls.department(department.id),
            "type": type_url("Organization"),
            "body": pub.urls.body(department.municipality_id),
            "name": department.name,
            "shortName": department.short_name,
            "organizationType": "Verwaltung",
            "classification": "Fachamt",
            **stamps(department.created_at, department.modified_at),
        }
    )


def membership(pub: Publisher, m: Membership) -> dict[str, Any]:
    return clean(
        {
            "id": pub.urls.membership(m.id),
            "type": type_url("Membership"),
            "person": pub.urls.person(m.person_id),
            "organization": pub.urls.organization(m.body_id),
            "role": MEMBERSHIP_ROLE_LABELS.get(m.role, m.role),
            "votingRight": m.voting_right,
            "startDate": date(m.start_date),
            "endDate": date(m.end_date) if m.end_date else None,
            "onBehalfOf": pub.urls.faction(m.faction_id) if m.faction_id else None,
            VENDOR + "substituteFor": pub.urls.person(m.substitute_of_id) if m.substitute_of_id else None,
            **stamps(m.created_at, m.modified_at),
        }
    )


def person(
    pub: Publisher, p: Person, memberships: Sequence[Membership], *, embed: bool = True
) -> dict[str, Any]:
    # E-mail addresses are not published: a contact address is not part of the council's record.
    return clean(
        {
            "id": pub.urls.person(p.id),
            "type": type_url("Person"),
            "body": pub.urls.body(p.municipality_id),
            "name": p.name,
            "familyName": p.family_name,
            "givenName": p.given_name,
            "title": [p.title] if p.title else None,
            "status": [p.function] if p.function else None,
            "membership": [membership(pub, m) for m in memberships] if embed else None,
            **stamps(p.created_at, p.modified_at),
        }
    )


def people(pub: Publisher, persons: Sequence[Person], *, embed: bool = True) -> list[dict[str, Any]]:
    """Persons with their memberships embedded (loaded in one query)."""
    memberships = memberships_of_people(pub, (p.id for p in persons))
    return [person(pub, p, memberships.get(p.id, []), embed=embed) for p in persons]


def memberships_of_people(pub: Publisher, person_ids: Iterable[int]) -> dict[int, list[Membership]]:
    ids = list(set(person_ids))
    found: dict[int, list[Membership]] = defaultdict(list)
    if ids:
        for m in pub.session.scalars(
            select(Membership).where(Membership.person_id.in_(ids)).order_by(Membership.id)
        ):
            found[m.person_id].append(m)
    return found
