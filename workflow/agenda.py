"""Use cases of the agenda beyond putting something on it (``workflow.meetings``): move a TOP within its
part, take a TOP off again before the invitation; and what the rule for late items says."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from fractions import Fraction

from sqlalchemy import Select, not_, select
from sqlalchemy.orm import Session, joinedload, selectinload, sessionmaker

from workflow.audit import emit, record_audit, snapshot
from workflow.beratungsfolge import mayor_only_clause
from workflow.db import transaction
from workflow.errors import RuleViolation, TransitionNotAllowed
from workflow.machines import CONSULTATION_MACHINE
from workflow.meetings import _lock_meeting_with_its_papers, _must_wait_for, _renumber, waits_for_a_meeting
from workflow.models import AgendaItem, Consultation, Depublication, Meeting, Paper
from workflow.paging import PAGE_SIZE, Page, page_of
from workflow.profile import Profile
from workflow.publication import public_agenda_items
from workflow.search import subject_or_reference_has
from workflow.store import clock, get, profile_of
from workflow.vocabulary import ConsultationState

Sessions = sessionmaker[Session]

#: While the agenda may be ordered; after the invitation a change is a changed invitation (SEQUENCE + 1).
ORDERING_STATES = ("planned", "invited")


def _meeting_of_item(session: Session, item_id: int) -> int:
    meeting_id = session.scalar(select(AgendaItem.meeting_id).where(AgendaItem.id == item_id))
    if meeting_id is None:
        get(session, AgendaItem, item_id)  # raises NotFound
    assert meeting_id is not None
    return meeting_id


def _item(meeting: Meeting, item_id: int) -> AgendaItem:
    return next(i for i in meeting.agenda_items if i.id == item_id)


def move_agenda_item(
    sessions: Sessions, *, actor: str, item_id: int, position: int, now: dt.datetime | None = None
) -> AgendaItem:
    """Move a TOP to ``position`` (from 0) within its part, public (Ö) or non-public (N); the items between
    move up or down and every TOP is numbered again. Allowed while the meeting is planned or invited; after
    the invitation the members get the changed invitation (iCalendar SEQUENCE raised)."""
    now = clock(now)
    with transaction(sessions) as session:
        meeting = get(session, Meeting, _meeting_of_item(session, item_id), lock=True)
        if meeting.state not in ORDERING_STATES:
            raise TransitionNotAllowed(
                f"The meeting is in state '{meeting.state}'; its agenda can no longer be ordered",
                german="Die Tagesordnung dieser Sitzung kann nicht mehr geändert werden.",
                state=meeting.state,
            )
        item = _item(meeting, item_id)
        ordered = sorted(meeting.agenda_items, key=lambda i: (not i.public, i.order))
        part = [i for i in ordered if i.public == item.public]
        if isinstance(position, bool) or not 0 <= position < len(part):
            raise RuleViolation(
                f"Position {position} is outside the part of the agenda (0 to {len(part) - 1})",
                german=f"Diese Stelle gibt es im {'öffentlichen' if item.public else 'nichtöffentlichen'} "
                "Teil der Tagesordnung nicht.",
            )
        old_position = part.index(item)
        if old_position == position:
            return item
        before = {"number": item.number, "order": item.order}
        part.remove(item)
        part.insert(position, item)
        others = [i for i in ordered if i.public != item.public]
        _renumber(session, meeting, now, (part + others) if item.public else (others + part))
        if meeting.state == "invited":
            meeting.sequence += 1  # the invited members' calendar entries change: iCalendar SEQUENCE
        meeting.modified_at = now
        session.flush()
        record_audit(
            session,
            actor=actor,
            action="agenda_item.moved",
            entity=item,
            now=now,
            before=before,
            after={"number": item.number, "order": item.order},
            meeting_id=meeting.id,
        )
        emit(session, "AgendaChanged", now, meeting_id=meeting.id)
    return item


def remove_agenda_item(
    sessions: Sessions, *, actor: str, item_id: int, now: dt.datetime | None = None
) -> Meeting:
    """Take a TOP off the agenda before the invitation: a paper's step waits for a meeting again (its
    paper stays in deliberation), a plain item is gone; the others are numbered again. After the invitation
    only the body can take a TOP off, in the meeting (the result "abgesetzt")."""
    now = clock(now)
    with transaction(sessions) as session:
        meeting = _lock_meeting_with_its_papers(session, _meeting_of_item(session, item_id))
        if meeting.state != "planned":
            raise TransitionNotAllowed(
                f"The meeting is in state '{meeting.state}': after the invitation only the body can take an "
                "item off the agenda, in the meeting (result 'removed')",
                german="Nach der Einladung kann nur das Gremium einen TOP absetzen, in der Sitzung "
                "(Ergebnis „abgesetzt“).",
                state=meeting.state,
            )
        item = _item(meeting, item_id)
        step = item.consultation
        before = {"number": item.number, "title": item.title, "public": item.public, "order": item.order}
        if item.id in public_agenda_items(session, [item.id]):
            # Published (OParl): clients learn to delete their copy.
            session.add(
                Depublication(
                    municipality_id=meeting.municipality_id,
                    object_type="agenda_item",
                    object_id=item.id,
                    created_at=item.created_at,
                    depublished_at=now,
                    reason="Von der Tagesordnung genommen",
                )
            )
        if step is not None and step.agenda_item_id == item.id:
            step_before = snapshot(step)
            if step.state == ConsultationState.scheduled:
                CONSULTATION_MACHINE.fire(step, "unschedule", what=f"step {step.id}")
            step.meeting_id = step.agenda_item_id = None
            step.modified_at = step.paper.modified_at = now
            session.flush()
            record_audit(
                session,
                actor=actor,
                action="consultation.unscheduled",
                entity=step,
                now=now,
                before=step_before,
                paper_id=step.paper_id,
                meeting_id=meeting.id,
            )
        record_audit(
            session,
            actor=actor,
            action="agenda_item.removed",
            entity=item,
            now=now,
            before=before,
            meeting_id=meeting.id,
            paper_id=step.paper_id if step is not None else None,
        )
        meeting.agenda_items.remove(item)
        session.delete(item)
        session.flush()
        _renumber(session, meeting, now)
        meeting.modified_at = now
        session.flush()
        emit(session, "AgendaChanged", now, meeting_id=meeting.id)
    return meeting


@dataclass(frozen=True)
class WaitingStep:
    """A step that may go on this meeting's agenda, and the bodies of earlier stages still open (and not on
    an earlier meeting): ``build_agenda`` leaves such a step out, scheduling it by hand is allowed."""

    step: Consultation
    earlier_open: tuple[str, ...]


def _waiting_steps(session: Session, meeting: Meeting) -> Select[Consultation]:
    """The steps waiting for one of the meeting's bodies, oldest submission first; not those the mayor
    decides alone."""
    profile = profile_of(session, meeting.municipality_id)
    return (
        select(Consultation)
        .join(Paper, Consultation.paper_id == Paper.id)
        .where(waits_for_a_meeting([b.id for b in meeting.bodies]), not_(mayor_only_clause(profile)))
        .order_by(Paper.submitted_at, Consultation.id)
    )


def waiting_for_meeting(
    session: Session, meeting: Meeting, text: str = "", page: int = 1, size: int = PAGE_SIZE
) -> Page[WaitingStep]:
    """Page ``page`` of the steps waiting for one of the meeting's bodies (with every word of ``text`` in
    the Betreff or the Drucksachen-Nr., if given), oldest submission first, with their count; not those the
    mayor decides alone. A fixed number of statements, however long the list."""
    query = (
        _waiting_steps(session, meeting)
        .where(subject_or_reference_has(text))
        .options(joinedload(Consultation.paper), joinedload(Consultation.body))
    )
    steps: Page[Consultation] = page_of(session, query, page, size)
    others: dict[int, list[Consultation]] = defaultdict(list)
    if steps.items:
        for other in session.scalars(
            select(Consultation)
            .where(Consultation.paper_id.in_({step.paper_id for step in steps.items}))
            .options(selectinload(Consultation.body), selectinload(Consultation.meeting))
            .order_by(Consultation.stage, Consultation.position)
        ):
            others[other.paper_id].append(other)
    waiting = [
        WaitingStep(
            step,
            tuple(o.body.name for o in others[step.paper_id] if _must_wait_for(o, step, meeting)),
        )
        for step in steps.items
    ]
    return Page(waiting, steps.total, steps.number, steps.size)


def waits_for_meeting(session: Session, meeting: Meeting, step_id: int) -> bool:
    """Whether this step may go on the meeting's agenda by hand now: it is one of ``waiting_for_meeting``,
    on whichever page."""
    return bool(
        session.scalar(select(_waiting_steps(session, meeting).where(Consultation.id == step_id).exists()))
    )


def late_item_rule(profile: Profile) -> str | None:
    """What a TOP added after the invitation needs in the meeting, in German (None: nothing special)."""
    if profile.late_item_urgency is not None:
        basis = profile.late_item_urgency.cite()
        return (
            "Das Gremium muss in der Sitzung beschließen, dass die Sache keinen Aufschub duldet oder äußerst "
            f"dringlich ist{f' ({basis})' if basis else ''}."
        )
    fraction = profile.late_item_fraction_of_statutory
    if fraction is not None:
        basis = profile.late_item_rule.cite() if profile.late_item_rule is not None else ""
        share = (
            "zwei Drittel" if fraction == Fraction(2, 3) else f"{fraction.numerator}/{fraction.denominator}"
        )
        return (
            f"{share[0].upper()}{share[1:]} der gesetzlichen Zahl der Mitglieder müssen in der Sitzung der "
            f"Behandlung zustimmen{f' ({basis})' if basis else ''}."
        )
    return None
