"""Moving a meeting to another date, time or place (Verlegung).

An invited meeting's changed invitation goes out now, so the notice period (Ladungsfrist) is checked again
for the new date under the invitation's rule (``workflow.notice.check_notice``), with the same urgent
shortening. The calendar entry keeps its UID and gets a higher SEQUENCE; the outbox event ``MeetingMoved``
sends the changed invitation to the invitees, renders the invitation again and moves the reminders.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session, sessionmaker

from workflow import validate
from workflow.agenda import check_stage_order, lock_meeting_with_its_papers
from workflow.audit import emit, record_audit, snapshot
from workflow.beratungsfolge import FINISHED_STEP_STATES
from workflow.db import transaction
from workflow.errors import RuleViolation, TransitionNotAllowed
from workflow.models import Meeting
from workflow.notice import check_notice
from workflow.rules import BERLIN, format_berlin
from workflow.store import clock, profile_of
from workflow.vocabulary import Channel, MeetingState

Sessions = sessionmaker[Session]

#: The states in which a meeting can still be moved: before it is held, and unless it was cancelled.
MOVABLE = frozenset({MeetingState.planned, MeetingState.invited})


def may_move(meeting: Meeting) -> bool:
    return MeetingState(meeting.state) in MOVABLE


def check_movable(meeting: Meeting) -> None:
    """Only a planned or invited meeting can be moved; a held or cancelled one stays as it was."""
    if may_move(meeting):
        return
    state = MeetingState(meeting.state)
    if state is MeetingState.cancelled:
        german = f"Die Sitzung „{meeting.name}“ wurde abgesagt; sie kann nicht mehr verlegt werden."
    else:
        german = (
            f"Die Sitzung „{meeting.name}“ hat bereits stattgefunden; Datum, Uhrzeit und Ort "
            "bleiben, wie sie waren."
        )
    raise TransitionNotAllowed(
        f"The meeting is '{meeting.state}'; only a planned or invited meeting can be moved",
        german=german,
        state=meeting.state,
    )


def _renamed(name: str, old: dt.datetime, new: dt.datetime) -> str:
    """The meeting's name with the new day where it names the old one ("Sitzung … am 28.10.2013")."""
    before, after = f"{old.astimezone(BERLIN):%d.%m.%Y}", f"{new.astimezone(BERLIN):%d.%m.%Y}"
    return name.replace(before, after) if before != after else name


def move_meeting(
    sessions: Sessions,
    *,
    actor: str,
    meeting_id: int,
    start: dt.datetime,
    end: dt.datetime | None,
    location: str | None,
    urgent: bool = False,
    urgent_reason: str | None = None,
    now: dt.datetime | None = None,
) -> Meeting:
    """Give a planned or invited meeting a new start, end and place (each as it is to be afterwards).

    An invited meeting's changed invitation is due now: after the notice deadline of the new date it is
    refused unless urgent with a reason (as the invitation). The papers on the agenda keep their place in
    the Beratungsfolge: the new date must still lie after their earlier stages and before their later ones.
    """
    now = clock(now)
    start = validate.aware(start, "The start of the meeting").astimezone(dt.UTC)
    end = validate.aware(end, "The end of the meeting").astimezone(dt.UTC) if end else None
    location = location.strip() or None if location is not None else None
    if location is not None and len(location) > 300:
        raise RuleViolation("The place is too long (at most 300 characters)", german="Der Ort ist zu lang.")
    if end is not None and end <= start:
        raise RuleViolation(
            "The meeting must end after it starts", german="Die Sitzung muss nach ihrem Beginn enden."
        )
    if start <= now:
        raise RuleViolation(
            "A meeting can only be moved to a time still ahead",
            german=f"Der neue Beginn muss in der Zukunft liegen (jetzt ist es {format_berlin(now)}).",
        )
    with transaction(sessions) as session:
        meeting = lock_meeting_with_its_papers(session, meeting_id)
        check_movable(meeting)
        if (meeting.start, meeting.end, meeting.location) == (start, end, location):
            raise RuleViolation(
                "Start, end and place are as they were",
                german="Datum, Uhrzeit und Ort sind unverändert; es gibt nichts zu verlegen.",
            )
        for item in meeting.agenda_items:
            step = item.consultation
            if step is None or step.agenda_item_id != item.id or step.state in FINISHED_STEP_STATES:
                continue
            check_stage_order(step.paper, step, start, moving=meeting)
        before = snapshot(meeting)
        old_start = meeting.start
        meeting.start, meeting.end, meeting.location = start, end, location
        meeting.name = _renamed(meeting.name, old_start, start)
        invited, shortened = meeting.state == MeetingState.invited, False
        if invited:
            profile = profile_of(session, meeting.municipality_id)
            channel = Channel(meeting.invitation_channel) if meeting.invitation_channel else None
            shortened = check_notice(
                profile, meeting, channel, now, urgent=urgent, urgent_reason=urgent_reason
            )
            if shortened:
                meeting.urgent, meeting.urgent_reason = True, (urgent_reason or "").strip()
        meeting.sequence += 1  # every calendar entry of the meeting changes: iCalendar SEQUENCE
        meeting.modified_at = now
        session.flush()
        record_audit(
            session,
            actor=actor,
            action="meeting.moved",
            entity=meeting,
            now=now,
            before=before,
            reason=meeting.urgent_reason if shortened else None,
            meeting_id=meeting.id,
        )
        emit(
            session,
            "MeetingMoved",
            now,
            meeting_id=meeting.id,
            invited=invited,
            previous_start=old_start,
            previous_location=(before or {}).get("location"),
        )
    return meeting
