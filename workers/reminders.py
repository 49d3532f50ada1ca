"""Reminders kept in the database with their due time; a beat task scans for due ones.

A broker ``eta`` weeks ahead would be redelivered again and again on Redis (visibility timeout), so the
due time lives in the ``reminder`` table. ``plan`` (re)computes a meeting's reminders whenever the meeting
changes; ``claim_due`` takes due rows with ``FOR UPDATE SKIP LOCKED`` (SQLite: the write lock taken at
BEGIN) and marks them queued in the same transaction, so two scanners never queue one reminder twice.

Day offsets count calendar days on the Berlin wall clock: "7 days before a meeting at 18:00" is 18:00 local
time a week earlier, on either side of a daylight-saving change.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, sessionmaker

from workers.settings import WorkerSettings
from workflow.db import transaction
from workflow.models import Meeting, Reminder
from workflow.notice import invitation_deadline
from workflow.rules import BERLIN
from workflow.store import body_settings, profile_of

INVITATION_DEADLINE = "invitation_deadline"
MEETING = "meeting"
RESULTS_OVERDUE = "results_overdue"

# A queued reminder whose task never finished (its worker and the broker both lost it) is queued again,
# counted from the task's last attempt (``send_reminder`` renews ``queued_at``; retries are at most
# RETRY_BACKOFF_MAX apart), so a task that is still retrying does not get a second one beside it.
REQUEUE_AFTER = dt.timedelta(minutes=30)


def days_before(moment: dt.datetime, days: int) -> dt.datetime:
    """The same Berlin wall-clock time ``days`` calendar days earlier (negative: later), as UTC. A wall time
    that does not exist or exists twice on that day resolves to the earlier instant."""
    wall = moment.astimezone(BERLIN).replace(tzinfo=None) - dt.timedelta(days=days)
    return min(wall.replace(tzinfo=BERLIN, fold=fold).astimezone(dt.UTC) for fold in (0, 1))


@dataclass(frozen=True)
class Planned:
    kind: str
    offset_key: str
    due_at: dt.datetime


def desired(session: Session, meeting: Meeting, settings: WorkerSettings) -> list[Planned]:
    """The reminders a meeting should have in its current state."""
    if meeting.state in ("cancelled", "minutes_approved"):
        return []
    wanted: list[Planned] = []
    if meeting.state == "planned":
        deadline = invitation_deadline(session, meeting).latest_dispatch
        hours = settings.reminder_invitation_hours
        wanted.append(Planned(INVITATION_DEADLINE, f"{hours}h", deadline - dt.timedelta(hours=hours)))
    if meeting.state in ("planned", "invited"):
        profile = profile_of(session, meeting.municipality_id)
        offsets = sorted({d for b in meeting.bodies for d in body_settings(profile, b).reminder_offsets_days})
        wanted.extend(Planned(MEETING, f"{d}d", days_before(meeting.start, d)) for d in offsets)
    days = settings.results_overdue_days
    wanted.append(Planned(RESULTS_OVERDUE, f"{days}d", days_before(meeting.start, -days)))
    return wanted


def plan(session: Session, meeting: Meeting, settings: WorkerSettings, now: dt.datetime) -> None:
    """Bring a meeting's pending reminders in line with the meeting (inside the caller's transaction).

    New reminders whose time has already passed are not created (a meeting planned for tomorrow gets no
    "in 7 days" reminder); pending ones that are no longer wanted are cancelled; a moved meeting moves them.
    """
    wanted = {(p.kind, p.offset_key): p for p in desired(session, meeting, settings)}
    existing = {
        (r.kind, r.offset_key): r
        for r in session.scalars(select(Reminder).where(Reminder.meeting_id == meeting.id).with_for_update())
    }
    for key, row in existing.items():
        if row.state != "pending":
            continue
        if key not in wanted:
            row.state = "cancelled"
        elif row.due_at != wanted[key].due_at:
            row.due_at = wanted[key].due_at
    for key, item in wanted.items():
        if key not in existing and item.due_at > now:
            session.add(
                Reminder(
                    meeting_id=meeting.id,
                    kind=item.kind,
                    offset_key=item.offset_key,
                    due_at=item.due_at,
                    state="pending",
                    created_at=now,
                )
            )


def claim_due(
    sessions: sessionmaker[Session], now: dt.datetime, dispatch: Callable[[int], None], *, limit: int = 100
) -> list[int]:
    """Mark due reminders queued and hand each to ``dispatch`` in one transaction; returns their ids.

    If ``dispatch`` fails (broker down) the transaction rolls back and the reminders stay pending.
    """
    with transaction(sessions) as session:
        rows = session.scalars(
            select(Reminder)
            .where(
                or_(
                    (Reminder.state == "pending") & (Reminder.due_at <= now),
                    (Reminder.state == "queued") & (Reminder.queued_at <= now - REQUEUE_AFTER),
                )
            )
            .order_by(Reminder.due_at, Reminder.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        ).all()
        for row in rows:
            row.state, row.queued_at = "queued", now
        session.flush()
        ids = [row.id for row in rows]
        for reminder_id in ids:
            dispatch(reminder_id)
    return ids
