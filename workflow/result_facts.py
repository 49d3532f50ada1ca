"""The facts a result is checked on, loaded once for recording and for correcting alike.

``lock_for_result`` locks the TOP's paper, step, meeting and TOP in the fixed order of every use case;
``load_facts`` reads what the pure rules (``workflow.result_rules``) look at: the body and its seats on the
meeting's day, the attendance, the quorum findings, and the persons, factions and body the input names.
"""

from __future__ import annotations

from typing import TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload
from sqlalchemy.orm.interfaces import LoaderOption

from workflow.beratungsfolge import Referral
from workflow.errors import RuleViolation
from workflow.models import (
    AgendaItem,
    Attendance,
    Body,
    Consultation,
    Faction,
    Meeting,
    Municipality,
    Paper,
    Person,
)
from workflow.quorum import quorum_presumed
from workflow.result_rules import (
    BodyFacts,
    Facts,
    Member,
    ResultInput,
    counted_factions,
    named_persons,
    validated,
)
from workflow.rules import BERLIN
from workflow.store import get, profile_named, seats
from workflow.vocabulary import AttendanceStatus, Matter

_Row = TypeVar("_Row", Paper, Consultation, Meeting, AgendaItem)


def lock_for_result(session: Session, agenda_item_id: int) -> tuple[Paper, Consultation, Meeting, AgendaItem]:
    """Lock in the fixed order paper → step → meeting → item, so concurrent use cases cannot deadlock.

    The ids are read as plain columns first: a versioned object already in the session would make the
    locking load fail on a concurrent change instead of showing it.
    """
    found = session.execute(
        select(AgendaItem.number, AgendaItem.meeting_id, AgendaItem.consultation_id, Consultation.paper_id)
        .outerjoin(Consultation, AgendaItem.consultation_id == Consultation.id)
        .where(AgendaItem.id == agenda_item_id)
    ).one_or_none()
    if found is None:
        get(session, AgendaItem, agenda_item_id)  # raises NotFound
    number, meeting_id, step_id, paper_id = found  # type: ignore[misc]
    if step_id is None:
        raise RuleViolation(f"TOP {number} has no paper; there is no result to record")
    paper = _lock(session, Paper, paper_id)
    # With the rows the facts need anyway: the step's body and municipality, the TOP's result.
    step = _lock(session, Consultation, step_id, joinedload(Consultation.body).joinedload(Body.municipality))
    meeting = _lock(session, Meeting, meeting_id)
    item = _lock(session, AgendaItem, agenda_item_id, joinedload(AgendaItem.result))
    return paper, step, meeting, item


def _lock(session: Session, model: type[_Row], id_: int, *loads: LoaderOption) -> _Row:
    """The row ``FOR UPDATE`` (only its own table's row, not those of the rows loaded with it)."""
    return session.scalars(
        select(model)
        .where(model.id == id_)
        .options(*loads)
        .with_for_update(of=model)
        .execution_options(populate_existing=True)
    ).one()


def load_facts(
    session: Session, paper: Paper, step: Consultation, meeting: Meeting, item: AgendaItem, data: ResultInput
) -> Facts:
    """Everything the rules of a result look at, for recording and for correcting alike: the body and its
    seats on the meeting's day, the attendance, and the persons, factions and body the input names."""
    validated(data)  # the ids below go into statements
    day = meeting.start.astimezone(BERLIN).date()
    body = step.body
    body_seats = seats(session, body.id, day)
    attendance = list(
        session.scalars(
            select(Attendance.person_id)
            .where(Attendance.meeting_id == meeting.id, Attendance.status == AttendanceStatus.present)
            .order_by(Attendance.id)
        )
    )
    wanted = {s.person_id for s in body_seats} | set(attendance) | named_persons(data)
    people = {
        row.id: Member.of(row)
        for row in session.execute(
            select(
                Person.id, Person.municipality_id, Person.title, Person.given_name, Person.family_name
            ).where(Person.id.in_(sorted(wanted)))
        )
    }
    counted = counted_factions(data)
    factions: dict[int, str] = {}
    if counted:
        rows = session.execute(
            select(Faction.id, Faction.short_name).where(
                Faction.id.in_(sorted(counted)), Faction.municipality_id == paper.municipality_id
            )
        )
        factions = {row.id: row.short_name for row in rows}
    referral = None
    if data.referred_to:
        target = session.scalars(
            select(Body).where(Body.municipality_id == paper.municipality_id, Body.key == data.referred_to)
        ).one_or_none()
        referral = Referral(target.id, target.name) if target is not None else None
    municipality = get(session, Municipality, paper.municipality_id)
    return Facts(
        municipality_id=paper.municipality_id,
        profile=profile_named(municipality.profile),
        role=step.role,
        body=BodyFacts(body.id, body.name, body.kind, body.settings_override, body.statutory_members),
        town=municipality.key,
        meeting_id=meeting.id,
        item_number=item.number,
        late_addition=item.late_addition,
        matter=Matter(item.matter) if item.matter else None,
        second_session=item.second_session,
        quorum_presumed=quorum_presumed(session, item, body.id),
        day=day,
        attendance=attendance,
        seats=body_seats,
        people=people,
        factions=factions,
        referral=referral,
    )
