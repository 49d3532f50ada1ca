"""OParl's System, its Bodies (each a municipality) and their LegislativeTerm."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, select

from api.oparl.format import date, type_url
from api.oparl.publisher import Publisher, clean, stamps
from workflow.models import Body, LegislativeTerm, Membership, Municipality

LEGISLATIVE_TERM_YEARS = 5  # Hessen, NRW and Niedersachsen all elect their councils for five years
# The lists every Body links (OParl field → path under /body/{id}/).
BODY_LISTS = (
    ("organization", "organizations"),
    ("person", "people"),
    ("meeting", "meetings"),
    ("paper", "papers"),
    ("agendaItem", "agendaitems"),
    ("consultation", "consultations"),
    ("file", "files"),
    ("membership", "memberships"),
    ("locationList", "locations"),
    ("legislativeTermList", "legislativeterms"),
)


def term_end(start: dt.date) -> dt.date:
    """The last day of a term of ``LEGISLATIVE_TERM_YEARS`` from ``start``: the day before its anniversary; a
    term from 29 February ends on 28 February (BGB § 188 (3): the missing day ends the period with the month)."""
    year = start.year + LEGISLATIVE_TERM_YEARS
    try:
        anniversary = start.replace(year=year)
    except ValueError:  # 29 February, and the final year is no leap year
        anniversary = dt.date(year, 3, 1)
    return anniversary - dt.timedelta(days=1)


def system(pub: Publisher, towns: Sequence[Municipality]) -> dict[str, Any]:
    obj: dict[str, Any] = {
        "id": pub.urls.system(),
        "type": type_url("System"),
        "oparlVersion": "https://schema.oparl.org/1.1/",
        "body": pub.urls.bodies(),
        "name": "gremienlauf",
    }
    if towns:
        obj.update(stamps(min(t.created_at for t in towns), max(t.modified_at for t in towns)))
    return obj


def legislative_term(pub: Publisher, town: Municipality) -> dict[str, Any]:
    """The municipality's term: from its first membership, ``LEGISLATIVE_TERM_YEARS`` long."""
    start = term_start(pub, town.id)
    obj: dict[str, Any] = {
        "id": pub.urls.legislative_term(town.id),
        "type": type_url("LegislativeTerm"),
        "body": pub.urls.body(town.id),
    }
    if start is not None:
        end = term_end(start)
        obj.update(name=f"Wahlperiode {start.year}–{end.year}", startDate=date(start), endDate=date(end))
    obj.update(stamps(town.created_at, town.modified_at))
    return obj


def recorded_term(pub: Publisher, term: LegislativeTerm) -> dict[str, Any]:
    return clean(
        {
            "id": pub.urls.term(term.id),
            "type": type_url("LegislativeTerm"),
            "body": pub.urls.body(term.municipality_id),
            "name": term.name,
            "startDate": date(term.start_date) if term.start_date else None,
            "endDate": date(term.end_date) if term.end_date else None,
            **stamps(term.created_at, term.modified_at),
        }
    )


def legislative_terms(
    pub: Publisher, town: Municipality
) -> list[tuple[dt.datetime, dt.datetime, dict[str, Any]]]:
    """The municipality's terms (created, modified, object): those recorded (imported), else the one its
    memberships begin."""
    recorded = list(
        pub.session.scalars(
            select(LegislativeTerm)
            .where(LegislativeTerm.municipality_id == town.id)
            .order_by(LegislativeTerm.id)
        )
    )
    if recorded:
        return [(t.created_at, t.modified_at, recorded_term(pub, t)) for t in recorded]
    return [(town.created_at, town.modified_at, legislative_term(pub, town))]


def term_start(pub: Publisher, town_id: int) -> dt.date | None:
    """The legislative term starts when the first membership of the term does."""
    return pub.session.scalar(
        select(func.min(Membership.start_date))
        .join(Body, Body.id == Membership.body_id)
        .where(Body.municipality_id == town_id)
    )


def body(pub: Publisher, town: Municipality) -> dict[str, Any]:
    lists = {name: pub.urls.body_list(town.id, path) for name, path in BODY_LISTS}
    terms = [obj for _, _, obj in legislative_terms(pub, town)]
    return clean(
        {
            "id": pub.urls.body(town.id),
            "type": type_url("Body"),
            "system": pub.urls.system(),
            "name": town.name,
            "shortName": town.short_name,
            "website": town.website,
            **lists,
            "legislativeTerm": terms,
            **stamps(town.created_at, town.modified_at),
        }
    )
