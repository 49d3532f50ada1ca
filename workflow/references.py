"""The Drucksachen-Nr. of a paper: ``NNNN/YY``, a running number per municipality and year, drawn when the
paper is submitted; a city switching systems mid-year continues its old system's numbering."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session, sessionmaker

from workflow import validate
from workflow.audit import record_audit
from workflow.db import transaction
from workflow.errors import RuleViolation
from workflow.models import Paper, ReferenceCounter
from workflow.store import clock, municipality_by_key

Sessions = sessionmaker[Session]


def next_reference(session: Session, municipality_id: int, year: int) -> str:
    """Draw the next Drucksachen-Nr. ``NNNN/YY`` with the year's counter row locked."""
    dialect = session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    session.execute(
        insert(ReferenceCounter)
        .values(municipality_id=municipality_id, year=year, last_number=0)
        .on_conflict_do_nothing()
    )
    counter = session.get(
        ReferenceCounter, (municipality_id, year), with_for_update=True, populate_existing=True
    )
    assert counter is not None
    while True:
        counter.last_number += 1
        reference = f"{counter.last_number:04d}/{year % 100:02d}"
        taken = session.scalar(
            select(Paper.id).where(Paper.municipality_id == municipality_id, Paper.reference == reference)
        )
        if taken is None:
            return reference


def set_reference_counter(
    sessions: Sessions,
    *,
    actor: str,
    municipality: str,
    year: int,
    last_number: int,
    now: dt.datetime | None = None,
) -> None:
    """Continue the numbering of a previous system (e.g. when switching systems mid-year)."""
    now = clock(now)
    validate.whole_number(year, "The year", low=1900, high=2200)
    validate.whole_number(last_number, "The last number", high=9_999_999)
    with transaction(sessions) as session:
        town = municipality_by_key(session, municipality)
        counter = session.get(ReferenceCounter, (town.id, year), with_for_update=True)
        before = None if counter is None else {"year": year, "last_number": counter.last_number}
        if counter is None:
            counter = ReferenceCounter(municipality_id=town.id, year=year, last_number=last_number)
            session.add(counter)
        elif last_number < counter.last_number:
            raise RuleViolation(
                f"The counter for {year} is already at {counter.last_number}; it cannot go back"
            )
        counter.last_number = last_number
        session.flush()
        record_audit(
            session,
            actor=actor,
            action="reference_counter.set",
            entity=town,
            now=now,
            before=before,
            after={"year": year, "last_number": last_number},
        )
