"""The facts a result is checked on, loaded once for recording and for correcting alike.

``lock_for_result`` locks the TOP's paper, step, meeting and TOP in the fixed order of every use case;
``load_facts`` reads what the pure rules (``workflow.result_rules``) look at: the body and its seats on the
meeting's day, the attendance, the quorum findings, and the persons, factions and body the input names;
``require_recordable`` says whether the TOP can take a result now (the state of its meeting and step).
"""

from __future__ import annotations

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session, joinedload

from workflow.beratungsfolge import Referral, earlier_unfinished
from workflow.errors import Conflict, RuleViolation, TransitionNotAllowed
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
from workflow.store import get, profile_named, seats_with_persons
from workflow.vocabulary import (
    CONSULTATION_STATE_LABELS,
    MEETING_STATE_LABELS,
    AttendanceStatus,
    ConsultationState,
    Matter,
    MeetingState,
)

#: The TOP with its step, paper and meeting, locked ``FOR UPDATE`` in one statement, with the step's body
#: and municipality (the facts need them; they do not change while a meeting is held). PostgreSQL locks the
#: rows of one result row in the order of the ``OF`` list: paper → step → meeting → TOP, the fixed order of
#: every use case, so concurrent use cases cannot deadlock. ``populate_existing``: a versioned object already
#: in the session is read again as locked, not kept as it was before a concurrent change. The TOP's result
#: is not joined: after waiting for a lock, PostgreSQL reads the locked rows again but the joined ones as
#: they were before the wait, so a result recorded meanwhile would be missed; ``item.result`` loads it in
#: a statement of its own, after the lock.
_LOCKED = (
    select(Paper, Consultation, Meeting, AgendaItem)
    .select_from(Paper)
    .join(Consultation, Consultation.paper_id == Paper.id)
    .join(AgendaItem, AgendaItem.consultation_id == Consultation.id)
    .join(Meeting, Meeting.id == AgendaItem.meeting_id)
    .where(AgendaItem.id == bindparam("item_id"))
    .options(joinedload(Consultation.body).joinedload(Body.municipality))
    .with_for_update(of=[Paper, Consultation, Meeting, AgendaItem])
    .execution_options(populate_existing=True)
)


def lock_for_result(session: Session, agenda_item_id: int) -> tuple[Paper, Consultation, Meeting, AgendaItem]:
    """Lock in the fixed order paper → step → meeting → item, so concurrent use cases cannot deadlock."""
    found = session.execute(_LOCKED, {"item_id": agenda_item_id}).one_or_none()
    if found is None:
        number = session.scalar(select(AgendaItem.number).where(AgendaItem.id == agenda_item_id))
        if number is None:
            get(session, AgendaItem, agenda_item_id)  # raises NotFound
        raise RuleViolation(f"TOP {number} has no paper; there is no result to record")
    paper, step, meeting, item = found
    return paper, step, meeting, item


_PRESENT = (
    select(Attendance.person_id)
    .where(Attendance.meeting_id == bindparam("meeting_id"), Attendance.status == AttendanceStatus.present)
    .order_by(Attendance.id)
)
_PERSONS = select(
    Person.id, Person.municipality_id, Person.title, Person.given_name, Person.family_name
).where(Person.id.in_(bindparam("ids", expanding=True)))


def load_facts(
    session: Session, paper: Paper, step: Consultation, meeting: Meeting, item: AgendaItem, data: ResultInput
) -> Facts:
    """Everything the rules of a result look at, for recording and for correcting alike: the body and its
    seats on the meeting's day, the attendance, and the persons, factions and body the input names."""
    validated(data)  # the ids below go into statements
    day = meeting.start.astimezone(BERLIN).date()
    body = step.body
    seated = seats_with_persons(session, body.id, day)
    attendance = list(session.scalars(_PRESENT, {"meeting_id": meeting.id}))
    people = {seat.person_id: Member.of(row) for seat, row in seated}
    others = (set(attendance) | named_persons(data)) - people.keys()  # usually none
    if others:
        people |= {row.id: Member.of(row) for row in session.execute(_PERSONS, {"ids": sorted(others)})}
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
        seats=[seat for seat, _ in seated],
        people=people,
        factions=factions,
        referral=referral,
    )


def require_recordable(paper: Paper, step: Consultation, meeting: Meeting, item: AgendaItem) -> None:
    """A result may be recorded for the TOP now: none is recorded yet, the meeting is invited or held (not
    cancelled), the paper's step still stands on this TOP and is invited, and the earlier stages are done."""
    if item.result is not None:
        raise Conflict(
            f"A result for TOP {item.number} was already recorded by {item.result.recorded_by}; "
            "correct it with a reason instead",
            german=f"Für TOP {item.number} hat {item.result.recorded_by} schon ein Ergebnis erfasst; "
            "bitte stattdessen mit Grund berichtigen",
            agenda_item_id=item.id,
            revision=item.result.revision,
        )
    if meeting.state == MeetingState.cancelled:
        raise TransitionNotAllowed(
            f"The meeting '{meeting.name}' was cancelled; no result can be recorded for its TOP {item.number}",
            german=f"Die Sitzung „{meeting.name}“ wurde abgesagt; für TOP {item.number} kann kein "
            "Ergebnis erfasst werden",
            state=meeting.state,
        )
    if step.agenda_item_id != item.id:
        raise TransitionNotAllowed(
            f"TOP {item.number} is no longer where this paper's step stands (the step is '{step.state}')",
            german=f"Die Vorlage steht nicht mehr unter TOP {item.number} (ihr Beratungsschritt ist "
            f"„{CONSULTATION_STATE_LABELS[ConsultationState(step.state)]}“)",
            state=step.state,
        )
    if meeting.state not in (MeetingState.invited, MeetingState.held):
        raise TransitionNotAllowed(
            f"Results can only be recorded for a held meeting; it is '{meeting.state}'",
            german="Ergebnisse werden nur für eine Sitzung erfasst, die stattfindet oder stattfand (diese "
            f"ist „{MEETING_STATE_LABELS[MeetingState(meeting.state)]}“)",
            state=meeting.state,
        )
    if step.state != ConsultationState.invited:
        raise TransitionNotAllowed(
            f"The step of {step.body.name} is '{step.state}'; no result can be recorded",
            german=f"Der Beratungsschritt von {step.body.name} ist "
            f"„{CONSULTATION_STATE_LABELS[ConsultationState(step.state)]}“; es kann kein Ergebnis erfasst "
            "werden",
            state=step.state,
        )
    blocking = earlier_unfinished(paper.consultations, step)
    if blocking:
        raise RuleViolation(
            "The Beratungsfolge has not reached this body yet: "
            + ", ".join(f"{b.body.name} ({b.state})" for b in blocking)
            + " must deliberate first",
            german="Die Beratungsfolge ist noch nicht bei diesem Gremium angekommen: Zuerst beraten "
            + ", ".join(b.body.name for b in blocking),
            rule="stage_not_joined",
        )
