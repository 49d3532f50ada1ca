"""Use cases of a meeting: create, put a paper or a plain item on the agenda (the rules of the agenda are in
``workflow.agenda``), invite (notice period), cancel, attendance, approve the minutes."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from workflow import validate
from workflow.agenda import append_item, lock_meeting_with_its_papers, next_order, schedule_step
from workflow.audit import emit, record_audit, snapshot
from workflow.db import transaction
from workflow.errors import RuleViolation, TransitionNotAllowed
from workflow.machines import CONSULTATION_MACHINE, MEETING_MACHINE
from workflow.models import (
    AgendaItem,
    Attendance,
    Body,
    Consultation,
    Meeting,
    Membership,
    Paper,
    Person,
)
from workflow.notice import check_matter_may_join, check_notice, deadline
from workflow.rules import BERLIN
from workflow.store import (
    body_settings,
    by_key,
    clock,
    get,
    municipality_by_key,
    profile_of,
)
from workflow.vocabulary import (
    MEETING_STATE_LABELS,
    AttendanceStatus,
    Channel,
    ConsultationState,
    Matter,
)
from workflow.vocabulary import MeetingState as MeetingStateValue

Sessions = sessionmaker[Session]


def _state_label(state: str) -> str:
    """A meeting's state as the pages say it (geplant, eingeladen, …)."""
    return MEETING_STATE_LABELS[MeetingStateValue(state)]


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
        item = schedule_step(
            session, paper, step, meeting, public=public, matter=matter, actor=actor, now=now
        )
    return ScheduleResult(step, item)


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
            order=next_order(meeting),
            public=public,
            title=title.strip(),
            matter=matter.value if matter else None,
            late_addition=meeting.state == "invited",
            created_at=now,
            modified_at=now,
        )
        append_item(session, meeting, item, now)
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
        meeting = lock_meeting_with_its_papers(session, meeting_id)
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
        meeting = lock_meeting_with_its_papers(session, meeting_id)
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
