"""The agenda of a meeting: what waits for a meeting (and the order of the Beratungsfolge's stages), putting
a step on an agenda (for ``workflow.meetings.schedule_consultation`` and ``build_agenda``), building the agenda
from what waits, numbering, moving a TOP within its part, taking a TOP off again before the invitation; and
what the rule for late items says."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction

from sqlalchemy import ColumnElement, Select, and_, not_, or_, select
from sqlalchemy.orm import Session, joinedload, selectinload, sessionmaker

from workflow.audit import emit, record_audit, snapshot
from workflow.beratungsfolge import (
    DECIDED_BY_URGENCY,
    FINISHED_STEP_STATES,
    WAITING_STATES,
    mayor_only,
    mayor_only_clause,
)
from workflow.db import transaction
from workflow.errors import RuleViolation, TransitionNotAllowed
from workflow.machines import CONSULTATION_MACHINE
from workflow.models import AgendaItem, Consultation, Depublication, Meeting, MeetingBody, Paper
from workflow.notice import check_matter_may_join
from workflow.paging import PAGE_SIZE, Page, page_of
from workflow.papers import fire_paper_audited
from workflow.profile import Profile
from workflow.publication import public_agenda_items
from workflow.rules import format_berlin
from workflow.search import subject_or_reference_has
from workflow.store import body_settings, clock, get, lock_all, profile_of
from workflow.vocabulary import PAPER_STATE_LABELS, ConsultationState, Matter, PaperState, Urgency

Sessions = sessionmaker[Session]

#: While the agenda may be ordered; after the invitation a change is a changed invitation (SEQUENCE + 1).
ORDERING_STATES = ("planned", "invited")


def lock_meeting_with_its_papers(session: Session, meeting_id: int) -> Meeting:
    """For use cases that change the steps on a meeting's agenda: lock their papers and steps, then the
    meeting, in the same order as every other use case (paper → step → meeting)."""
    step_ids = list(
        session.scalars(
            select(AgendaItem.consultation_id).where(
                AgendaItem.meeting_id == meeting_id, AgendaItem.consultation_id.is_not(None)
            )
        )
    )
    paper_ids = session.scalars(select(Consultation.paper_id).where(Consultation.id.in_(step_ids))).all()
    lock_all(session, Paper, paper_ids)
    lock_all(session, Consultation, [i for i in step_ids if i is not None])
    return get(session, Meeting, meeting_id, lock=True)


def renumber(
    session: Session, meeting: Meeting, now: dt.datetime, items: list[AgendaItem] | None = None
) -> None:
    """Public part first (Ö 1, Ö 2, …), then the non-public part (N 1, …); order runs from 0. ``items``:
    the meeting's items in their new order (public ones first), else as they are ordered now.

    An item whose number or order changes is stamped ``now`` (published copies must learn of it); the
    others keep their ``modified_at``, which the column's onupdate would otherwise set to the wall clock.
    """
    items = items or sorted(meeting.agenda_items, key=lambda i: (not i.public, i.order))
    before = {item.id: (item.order, item.number, item.modified_at) for item in items}
    for index, item in enumerate(items):
        item.order = -1 - index  # step aside first: (meeting_id, order) is unique
        item.modified_at = now
    session.flush()
    counters = {True: 0, False: 0}
    for index, item in enumerate(items):
        counters[item.public] += 1
        item.order = index
        item.number = f"{'Ö' if item.public else 'N'} {counters[item.public]}"
        old_order, old_number, old_modified = before[item.id]
        unchanged = (old_order, old_number) == (item.order, item.number)
        item.modified_at = old_modified if unchanged else now
    session.flush()


def next_order(meeting: Meeting) -> int:
    return max((i.order for i in meeting.agenda_items), default=-1) + 1


def append_item(session: Session, meeting: Meeting, item: AgendaItem, now: dt.datetime) -> None:
    """Put a new item (made with ``next_order``) at the end of the meeting's agenda and number the agenda
    anew; once the meeting is invited, its members' calendar entries change (iCalendar SEQUENCE)."""
    session.add(item)
    session.flush()
    session.refresh(meeting, ["agenda_items"])
    renumber(session, meeting, now)
    if meeting.state == "invited":
        meeting.sequence += 1


def waiting_clause(body_ids: Sequence[int]) -> ColumnElement[bool]:
    """A WHERE clause over ``Consultation`` joined with its ``Paper``: the step of one of these bodies waits for
    a meeting."""
    return and_(
        Consultation.body_id.in_(body_ids),
        Consultation.state.in_([state.value for state in WAITING_STATES]),
        or_(
            Paper.state.in_([PaperState.submitted.value, PaperState.in_deliberation.value]),
            and_(
                Consultation.urgency == Urgency.follow_up.value,
                Paper.state.in_([state.value for state in DECIDED_BY_URGENCY]),
            ),
        ),
    )


def waiting_steps(body_ids: Sequence[int]) -> Select[int, int]:
    """(step id, paper id) of the steps of these bodies that wait for a meeting, oldest submission first."""
    return (
        select(Consultation.id, Consultation.paper_id)
        .join(Paper, Consultation.paper_id == Paper.id)
        .where(waiting_clause(body_ids))
        .order_by(Paper.submitted_at, Consultation.id)
    )


def _must_wait(paper: Paper, step: Consultation, meeting: Meeting) -> bool:
    """An earlier stage of the paper still open and not on an earlier meeting: the step must wait."""
    return any(_must_wait_for(other, step, meeting) for other in paper.consultations)


def _must_wait_for(other: Consultation, step: Consultation, meeting: Meeting) -> bool:
    return (
        other.stage < step.stage
        and other.state not in FINISHED_STEP_STATES
        and (other.meeting is None or other.meeting.start >= meeting.start)
    )


def check_stage_order(
    paper: Paper, step: Consultation, start: dt.datetime, *, moving: Meeting | None = None
) -> None:
    """A step meets after the meetings of its paper's earlier stages and before those of its later ones
    (``moving``: the meeting whose steps all move to ``start`` together, so its own steps are left aside)."""
    for other in paper.consultations:
        if other.meeting is None or other.id == step.id or other.state in FINISHED_STEP_STATES:
            continue
        if moving is not None and other.meeting_id == moving.id:
            continue
        if other.stage < step.stage and other.meeting.start >= start:
            raise RuleViolation(
                f"{step.body.name} can only deliberate after {other.body.name} (an earlier stage), which "
                f"meets on {format_berlin(other.meeting.start)}",
                german=f"{step.body.name} kann erst nach {other.body.name} (frühere Stufe der Beratungsfolge) "
                f"beraten; dort ist die Sitzung am {format_berlin(other.meeting.start)}",
            )
        if other.stage > step.stage and other.meeting.start <= start:
            raise RuleViolation(
                f"{other.body.name} (a later stage) already meets on {format_berlin(other.meeting.start)}; "
                f"{step.body.name} must deliberate before that",
                german=f"{other.body.name} (spätere Stufe der Beratungsfolge) tagt bereits am "
                f"{format_berlin(other.meeting.start)}; {step.body.name} muss vorher beraten",
            )


def schedule_step(
    session: Session,
    paper: Paper,
    step: Consultation,
    meeting: Meeting,
    *,
    public: bool | None,
    matter: Matter | None,
    actor: str,
    now: dt.datetime,
) -> AgendaItem:
    """Schedule one locked step on one locked meeting (the body of ``workflow.meetings.schedule_consultation``
    and of ``build_agenda``)."""
    follows_decision = step.urgency == Urgency.follow_up and paper.state in DECIDED_BY_URGENCY
    if paper.state not in (PaperState.submitted, PaperState.in_deliberation) and not follows_decision:
        raise TransitionNotAllowed(
            f"Only a submitted paper can be put on an agenda; the paper is in state '{paper.state}'",
            german="Nur eine eingereichte Vorlage kann auf eine Tagesordnung; diese ist "
            f"„{PAPER_STATE_LABELS[PaperState(paper.state)]}“",
            state=paper.state,
        )
    if step.body_id not in {b.id for b in meeting.bodies}:
        raise RuleViolation(
            f"'{meeting.name}' is not a meeting of '{step.body.name}'",
            german=f"„{meeting.name}“ ist keine Sitzung von {step.body.name}",
        )
    if meeting.state not in ("planned", "invited"):
        raise TransitionNotAllowed(
            f"The meeting is in state '{meeting.state}'; nothing can be added", state=meeting.state
        )
    check_stage_order(paper, step, meeting.start)
    profile = profile_of(session, paper.municipality_id)
    if mayor_only(profile, step):
        procedure = profile.urgent_decision
        assert procedure is not None
        raise RuleViolation(
            f"This urgent step is decided by the mayor without a meeting ({procedure.mayor.cite()}); if "
            f"{step.body.name} can meet, plan the paper's Beratungsfolge without urgency",
            german=f"Diesen dringlichen Schritt entscheidet der Bürgermeister ohne Sitzung "
            f"({procedure.mayor.label}, {procedure.mayor.cite()}); kann {step.body.name} tagen, die "
            "Beratungsfolge ohne Dringlichkeit planen",
            rule="urgent_step_decided_by_the_mayor",
        )
    check_matter_may_join(profile, meeting, matter)
    before = snapshot(step)
    CONSULTATION_MACHINE.fire(step, "schedule", what=f"step {step.id} ({step.body.name})")
    body_public = body_settings(profile, step.body).public
    is_public = paper.public and body_public if public is None else (public and paper.public)
    item = AgendaItem(
        meeting_id=meeting.id,
        number="",
        order=next_order(meeting),
        public=is_public,
        title=paper.subject,
        consultation_id=step.id,
        matter=matter.value if matter else None,
        late_addition=meeting.state == "invited",
        second_session=step.quorum_failed,
        created_at=now,
        modified_at=now,
    )
    append_item(session, meeting, item, now)
    step.meeting_id, step.agenda_item_id, step.modified_at = meeting.id, item.id, now
    if meeting.state == "invited":
        CONSULTATION_MACHINE.fire(step, "invite", what=f"step {step.id}")
    paper.modified_at = meeting.modified_at = now
    session.flush()
    record_audit(
        session,
        actor=actor,
        action="consultation.scheduled",
        entity=step,
        now=now,
        before=before,
        paper_id=paper.id,
        meeting_id=meeting.id,
    )
    if paper.state == PaperState.submitted:
        fire_paper_audited(session, paper, "begin_deliberation", actor=actor, now=now)
    emit(
        session,
        "ConsultationScheduled",
        now,
        paper_id=paper.id,
        meeting_id=meeting.id,
        consultation_id=step.id,
        agenda_item_id=item.id,
        late_addition=item.late_addition,
    )
    return item


def build_agenda(
    sessions: Sessions, *, actor: str, meeting_id: int, now: dt.datetime | None = None
) -> list[AgendaItem]:
    """Put every step waiting for the meeting's bodies on its agenda at once, oldest submission first;
    public items go to the public part, the others to the non-public part. One transaction: all or none."""
    now = clock(now)
    with transaction(sessions) as session:
        body_ids = list(
            session.scalars(select(MeetingBody.body_id).where(MeetingBody.meeting_id == meeting_id))
        )
        if not body_ids:
            get(session, Meeting, meeting_id)  # raises NotFound
        waiting = [(step_id, paper_id) for step_id, paper_id in session.execute(waiting_steps(body_ids))]
        papers_by_id = lock_all(session, Paper, [paper_id for _, paper_id in waiting])
        steps = lock_all(session, Consultation, [step_id for step_id, _ in waiting])
        meeting = get(session, Meeting, meeting_id, lock=True)
        items = []
        profile = profile_of(session, meeting.municipality_id)
        for step_id, paper_id in waiting:
            step = steps[step_id]
            if _must_wait(papers_by_id[paper_id], step, meeting):
                continue  # an earlier stage meets later than this meeting: not yet
            if mayor_only(profile, step):
                continue  # decided by the mayor without a meeting
            items.append(
                schedule_step(
                    session,
                    papers_by_id[paper_id],
                    step,
                    meeting,
                    public=None,
                    matter=None,
                    actor=actor,
                    now=now,
                )
            )
        if not items:
            raise RuleViolation(
                "No paper is waiting for this meeting's bodies",
                german="Für die Gremien dieser Sitzung wartet keine Vorlage",
            )
    return items


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
        renumber(session, meeting, now, (part + others) if item.public else (others + part))
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
        meeting = lock_meeting_with_its_papers(session, _meeting_of_item(session, item_id))
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
        renumber(session, meeting, now)
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


def _steps_waiting_for(session: Session, meeting: Meeting) -> Select[Consultation]:
    """The steps waiting for one of the meeting's bodies, oldest submission first; not those the mayor
    decides alone."""
    profile = profile_of(session, meeting.municipality_id)
    return (
        select(Consultation)
        .join(Paper, Consultation.paper_id == Paper.id)
        .where(waiting_clause([b.id for b in meeting.bodies]), not_(mayor_only_clause(profile)))
        .order_by(Paper.submitted_at, Consultation.id)
    )


def waiting_page(
    session: Session, meeting: Meeting, text: str = "", page: int = 1, size: int = PAGE_SIZE
) -> Page[WaitingStep]:
    """Page ``page`` of the steps waiting for one of the meeting's bodies (with every word of ``text`` in
    the Betreff or the Drucksachen-Nr., if given), oldest submission first, with their count; not those the
    mayor decides alone. A fixed number of statements, however long the list."""
    query = (
        _steps_waiting_for(session, meeting)
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


def may_go_on_agenda(session: Session, meeting: Meeting, step_id: int) -> bool:
    """Whether this step may go on the meeting's agenda by hand now: it is one of ``waiting_page``,
    on whichever page."""
    return bool(
        session.scalar(
            select(_steps_waiting_for(session, meeting).where(Consultation.id == step_id).exists())
        )
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
