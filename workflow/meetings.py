"""Use cases of a meeting: create, put papers on the agenda, invite (notice period), cancel, attendance,
approve the minutes."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

from sqlalchemy import ColumnElement, Select, and_, or_, select
from sqlalchemy.orm import Session, sessionmaker

from workflow import validate
from workflow.audit import emit, record_audit, snapshot
from workflow.beratungsfolge import DECIDED_BY_URGENCY, FINISHED_STEP_STATES, WAITING_STATES, mayor_only
from workflow.db import transaction
from workflow.errors import RuleViolation, TransitionNotAllowed
from workflow.machines import CONSULTATION_MACHINE, MEETING_MACHINE
from workflow.models import (
    AgendaItem,
    Attendance,
    Body,
    Consultation,
    Meeting,
    MeetingBody,
    Membership,
    Paper,
    Person,
)
from workflow.notice import check_matter_may_join, check_notice, deadline
from workflow.papers import fire_paper_audited
from workflow.rules import BERLIN, format_berlin
from workflow.store import (
    body_settings,
    by_key,
    clock,
    get,
    lock_all,
    municipality_by_key,
    profile_of,
)
from workflow.vocabulary import (
    MEETING_STATE_LABELS,
    PAPER_STATE_LABELS,
    AttendanceStatus,
    Channel,
    ConsultationState,
    Matter,
    PaperState,
    Urgency,
)
from workflow.vocabulary import MeetingState as MeetingStateValue

Sessions = sessionmaker[Session]


def _state_label(state: str) -> str:
    """A meeting's state as the pages say it (geplant, eingeladen, …)."""
    return MEETING_STATE_LABELS[MeetingStateValue(state)]


def _lock_meeting_with_its_papers(session: Session, meeting_id: int) -> Meeting:
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


class MeetingState(Protocol):
    """What the meeting machine needs of a meeting: a ``Meeting``, or the facts a use case read about it."""

    state: str

    @property
    def id(self) -> int: ...

    @property
    def name(self) -> str: ...

    @property
    def start(self) -> dt.datetime: ...


def meeting_guards(meeting: MeetingState, now: dt.datetime) -> dict[str, Callable[[], bool]]:
    return {"has_started": lambda: now >= meeting.start}


def fire_meeting(meeting: MeetingState, trigger: str, now: dt.datetime) -> None:
    MEETING_MACHINE.fire(
        meeting, trigger, meeting_guards(meeting, now), what=f"meeting {meeting.id} ({meeting.name})"
    )


def _aware(moment: dt.datetime, what: str) -> dt.datetime:
    return validate.aware(moment, what).astimezone(dt.UTC)


def create_meeting(
    sessions: Sessions,
    *,
    actor: str,
    municipality: str,
    bodies: Sequence[str],
    start: dt.datetime,
    end: dt.datetime | None = None,
    location: str | None = None,
    name: str | None = None,
    second_session: bool = False,
    now: dt.datetime | None = None,
) -> Meeting:
    """Create a meeting of one body, or a joint meeting of several (``bodies`` by key)."""
    now = clock(now)
    start = _aware(start, "The start of the meeting")
    end = _aware(end, "The end of the meeting") if end else None
    if end is not None and end <= start:
        raise RuleViolation(
            "The meeting must end after it starts", german="Die Sitzung muss nach ihrem Beginn enden"
        )
    if not bodies or len(set(bodies)) != len(bodies):
        raise RuleViolation(
            "A meeting needs one body (Gremium), or several different ones for a joint meeting",
            german="Eine Sitzung braucht ein Gremium, für eine gemeinsame Sitzung mehrere verschiedene",
        )
    with transaction(sessions) as session:
        town = municipality_by_key(session, municipality)
        members = [by_key(session, Body, town.id, key) for key in bodies]
        local = start.astimezone(BERLIN)
        default_name = " und ".join(b.name for b in members) if len(members) < 3 else "Gemeinsame Sitzung"
        meeting = Meeting(
            municipality_id=town.id,
            state=MEETING_MACHINE.initial.value,
            start=start,
            end=end,
            location=location,
            second_session=second_session,
            name=name or f"Sitzung {default_name} am {local:%d.%m.%Y}",
            created_at=now,
            modified_at=now,
        )
        meeting.bodies.extend(members)
        session.add(meeting)
        session.flush()
        record_audit(
            session, actor=actor, action="meeting.created", entity=meeting, now=now, meeting_id=meeting.id
        )
        emit(session, "MeetingCreated", now, meeting_id=meeting.id)
    return meeting


def _renumber(
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


def _next_order(meeting: Meeting) -> int:
    return max((i.order for i in meeting.agenda_items), default=-1) + 1


@dataclass(frozen=True)
class ScheduleResult:
    consultation: Consultation
    agenda_item: AgendaItem


def schedule_consultation(
    sessions: Sessions,
    *,
    actor: str,
    consultation_id: int,
    meeting_id: int,
    public: bool | None = None,
    matter: Matter | str | None = None,
    now: dt.datetime | None = None,
) -> ScheduleResult:
    """Put a step of a paper's Beratungsfolge on the agenda of a meeting of its body; ``matter`` marks what
    the item concerns where the law ties a rule to it (Wahl, Hauptsatzung)."""
    now = clock(now)
    matter = None if matter is None else validate.choice(Matter, matter, "matter")
    with transaction(sessions) as session:
        paper_id = session.scalar(select(Consultation.paper_id).where(Consultation.id == consultation_id))
        if paper_id is None:
            get(session, Consultation, consultation_id)  # raises NotFound
        paper = get(session, Paper, paper_id, lock=True)  # type: ignore[arg-type]
        step = get(session, Consultation, consultation_id, lock=True)
        meeting = get(session, Meeting, meeting_id, lock=True)
        item = _schedule(session, paper, step, meeting, public=public, matter=matter, actor=actor, now=now)
    return ScheduleResult(step, item)


def waits_for_a_meeting(body_ids: Sequence[int]) -> ColumnElement[bool]:
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
        .where(waits_for_a_meeting(body_ids))
        .order_by(Paper.submitted_at, Consultation.id)
    )


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
                _schedule(
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


def _schedule(
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
    """Schedule one locked step on one locked meeting (the body of both use cases above)."""
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
        order=_next_order(meeting),
        public=is_public,
        title=paper.subject,
        consultation_id=step.id,
        matter=matter.value if matter else None,
        late_addition=meeting.state == "invited",
        second_session=step.quorum_failed,
        created_at=now,
        modified_at=now,
    )
    session.add(item)
    session.flush()
    session.refresh(meeting, ["agenda_items"])
    _renumber(session, meeting, now)
    step.meeting_id, step.agenda_item_id, step.modified_at = meeting.id, item.id, now
    if meeting.state == "invited":
        CONSULTATION_MACHINE.fire(step, "invite", what=f"step {step.id}")
        meeting.sequence += 1  # the invited members' calendar entries change: iCalendar SEQUENCE
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


def add_agenda_item(
    sessions: Sessions,
    *,
    actor: str,
    meeting_id: int,
    title: str,
    public: bool | None = None,
    matter: Matter | str | None = None,
    now: dt.datetime | None = None,
) -> AgendaItem:
    """An agenda item without a paper (Eröffnung, Mitteilungen, Wahl …); public by default only if every
    body of the meeting meets in public; ``matter`` as for ``schedule_consultation``."""
    now = clock(now)
    title = validate.text(title, "An agenda item's title", max_length=2000)
    matter = None if matter is None else validate.choice(Matter, matter, "matter")
    with transaction(sessions) as session:
        meeting = get(session, Meeting, meeting_id, lock=True)
        if meeting.state not in ("planned", "invited"):
            raise TransitionNotAllowed(
                f"The meeting is in state '{meeting.state}'; nothing can be added",
                german="Zu dieser Sitzung kann nichts mehr hinzukommen (sie ist "
                f"„{_state_label(meeting.state)}“)",
                state=meeting.state,
            )
        profile = profile_of(session, meeting.municipality_id)
        check_matter_may_join(profile, meeting, matter)
        if public is None:
            public = all(body_settings(profile, body).public for body in meeting.bodies)
        item = AgendaItem(
            meeting_id=meeting.id,
            number="",
            order=_next_order(meeting),
            public=public,
            title=title.strip(),
            matter=matter.value if matter else None,
            late_addition=meeting.state == "invited",
            created_at=now,
            modified_at=now,
        )
        session.add(item)
        session.flush()
        session.refresh(meeting, ["agenda_items"])
        _renumber(session, meeting, now)
        if meeting.state == "invited":
            meeting.sequence += 1  # the invited members' calendar entries change: iCalendar SEQUENCE
        meeting.modified_at = now
        session.flush()
        record_audit(
            session, actor=actor, action="agenda_item.added", entity=item, now=now, meeting_id=meeting.id
        )
        emit(session, "AgendaChanged", now, meeting_id=meeting.id)
    return item


def invite_meeting(
    sessions: Sessions,
    *,
    actor: str,
    meeting_id: int,
    urgent: bool = False,
    urgent_reason: str | None = None,
    channel: Channel | None = None,
    now: dt.datetime | None = None,
) -> Meeting:
    """Issue the invitation. After the notice deadline it is refused unless marked urgent with a reason
    (and the shortened period, where the profile allows one, still holds)."""
    now = clock(now)
    channel = None if channel is None else validate.choice(Channel, channel, "channel")
    with transaction(sessions) as session:
        meeting = _lock_meeting_with_its_papers(session, meeting_id)
        profile = profile_of(session, meeting.municipality_id)
        regular = deadline(profile, meeting, channel, urgent=False)
        assert regular is not None
        before = snapshot(meeting)
        fire_meeting(meeting, "invite", now)
        if check_notice(profile, meeting, channel, now, urgent=urgent, urgent_reason=urgent_reason):
            meeting.urgent, meeting.urgent_reason = True, (urgent_reason or "").strip()
        meeting.invitation_sent_at = now
        meeting.invitation_channel = (channel or regular.channel).value
        for item in meeting.agenda_items:
            step = item.consultation
            if step is not None and step.state == ConsultationState.scheduled:
                step_before = snapshot(step)
                CONSULTATION_MACHINE.fire(step, "invite", what=f"step {step.id}")
                step.modified_at = now
                session.flush()
                record_audit(
                    session,
                    actor=actor,
                    action="consultation.invited",
                    entity=step,
                    now=now,
                    before=step_before,
                    paper_id=step.paper_id,
                    meeting_id=meeting.id,
                )
        meeting.modified_at = now
        session.flush()
        record_audit(
            session,
            actor=actor,
            action="meeting.invited",
            entity=meeting,
            now=now,
            before=before,
            reason=meeting.urgent_reason,
            meeting_id=meeting.id,
        )
        emit(session, "MeetingInvited", now, meeting_id=meeting.id, urgent=meeting.urgent)
    return meeting


def cancel_meeting(
    sessions: Sessions, *, actor: str, meeting_id: int, reason: str, now: dt.datetime | None = None
) -> Meeting:
    """Cancel a meeting: its papers go back to 'planned' for their body's next meeting."""
    now = clock(now)
    if not reason or not reason.strip():
        raise RuleViolation(
            "Cancelling a meeting needs a reason", german="Bitte geben Sie den Grund der Absage an"
        )
    with transaction(sessions) as session:
        meeting = _lock_meeting_with_its_papers(session, meeting_id)
        before = snapshot(meeting)
        fire_meeting(meeting, "cancel", now)
        meeting.cancelled_reason = reason.strip()
        meeting.sequence += 1
        for item in meeting.agenda_items:
            step = item.consultation
            if step is not None and step.agenda_item_id == item.id and step.state in ("scheduled", "invited"):
                step_before = snapshot(step)
                CONSULTATION_MACHINE.fire(step, "unschedule", what=f"step {step.id}")
                step.meeting_id = step.agenda_item_id = None
                step.modified_at = now
                step.paper.modified_at = now
                session.flush()
                record_audit(
                    session,
                    actor=actor,
                    action="consultation.unscheduled",
                    entity=step,
                    now=now,
                    before=step_before,
                    reason=meeting.cancelled_reason,
                    paper_id=step.paper_id,
                    meeting_id=meeting.id,
                )
        meeting.modified_at = now
        session.flush()
        record_audit(
            session,
            actor=actor,
            action="meeting.cancelled",
            entity=meeting,
            now=now,
            before=before,
            reason=meeting.cancelled_reason,
            meeting_id=meeting.id,
        )
        emit(session, "MeetingCancelled", now, meeting_id=meeting.id)
    return meeting


def record_attendance(
    sessions: Sessions,
    *,
    actor: str,
    meeting_id: int,
    present: Sequence[int],
    excused: Sequence[int] = (),
    now: dt.datetime | None = None,
) -> Meeting:
    """Record who attended (by person id); everyone else of the bodies counts as absent."""
    now = clock(now)
    present, excused = validate.idents(present, "person"), validate.idents(excused, "person")
    if set(present) & set(excused):
        raise RuleViolation(
            "A person cannot be present and excused at once",
            german="Eine Person kann nicht zugleich anwesend und entschuldigt sein",
        )
    with transaction(sessions) as session:
        meeting = get(session, Meeting, meeting_id, lock=True)
        if meeting.state not in ("invited", "held"):
            raise TransitionNotAllowed(
                f"Attendance can only be recorded for a meeting that was invited or held; it is '{meeting.state}'",
                german="Die Anwesenheit wird nur für eine Sitzung erfasst, zu der eingeladen wurde oder die "
                f"stattfand (diese ist „{_state_label(meeting.state)}“)",
                state=meeting.state,
            )
        known = set(
            session.scalars(
                select(Person.id).where(
                    Person.municipality_id == meeting.municipality_id, Person.id.in_([*present, *excused])
                )
            )
        )
        unknown = sorted((set(present) | set(excused)) - known)
        if unknown:
            raise RuleViolation(
                f"Unknown persons: {', '.join(map(str, unknown))}",
                german=f"Unbekannte Personen: {', '.join(map(str, unknown))}",
                unknown=unknown,
            )
        if meeting.state == "invited":
            fire_meeting(meeting, "hold", now)
        before = {"attendance": {a.person_id: a.status for a in meeting.attendance}}
        for row in list(meeting.attendance):
            session.delete(row)
        session.flush()
        body_ids = [b.id for b in meeting.bodies]
        members = set(session.scalars(select(Membership.person_id).where(Membership.body_id.in_(body_ids))))
        for person_id in sorted(members | set(present) | set(excused)):
            status = (
                AttendanceStatus.present
                if person_id in present
                else AttendanceStatus.excused
                if person_id in excused
                else AttendanceStatus.absent
            )
            session.add(
                Attendance(
                    meeting_id=meeting.id,
                    person_id=person_id,
                    status=status.value,
                    created_at=now,
                    modified_at=now,
                )
            )
        meeting.modified_at = now
        session.flush()
        record_audit(
            session,
            actor=actor,
            action="meeting.attendance_recorded",
            entity=meeting,
            now=now,
            before=before,
            after={"present": sorted(present), "excused": sorted(excused)},
            meeting_id=meeting.id,
        )
        emit(session, "AttendanceRecorded", now, meeting_id=meeting.id)
    return meeting


def approve_minutes(
    sessions: Sessions, *, actor: str, meeting_id: int, now: dt.datetime | None = None
) -> Meeting:
    """The body approved the minutes (Niederschrift) of a held meeting; every paper item needs a result."""
    now = clock(now)
    with transaction(sessions) as session:
        meeting = get(session, Meeting, meeting_id, lock=True)
        missing = [
            i.number
            for i in meeting.agenda_items
            if i.consultation is not None
            and i.result is None
            and i.consultation.state not in ("closed",)
            and i.consultation.agenda_item_id == i.id
        ]
        if meeting.state == "held" and missing:
            raise RuleViolation(
                f"No result recorded yet for TOP {', '.join(missing)}",
                german=f"Für TOP {', '.join(missing)} ist noch kein Ergebnis erfasst",
                items=missing,
            )
        before = snapshot(meeting)
        fire_meeting(meeting, "approve_minutes", now)
        meeting.modified_at = now
        session.flush()
        record_audit(
            session,
            actor=actor,
            action="meeting.minutes_approved",
            entity=meeting,
            now=now,
            before=before,
            meeting_id=meeting.id,
        )
        emit(session, "MinutesApproved", now, meeting_id=meeting.id)
    return meeting
