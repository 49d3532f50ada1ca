"""A council member's meetings: those of the bodies they sat in on the meeting's day, as a member or as a
substitute (Vertretung), coming and past.

A meeting counts when one of the person's memberships of one of its bodies held on the meeting's day (Berlin
date), so a member who left sees the meetings of their time, and a successor those from their first day.
The meeting page then shows its non-public part by ``workflow.access.can_see_non_public_of``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import ColumnElement, and_, or_, select
from sqlalchemy.orm import Session, selectinload

from workflow.models import Meeting, MeetingBody, Membership, Person
from workflow.rules import BERLIN
from workflow.vocabulary import MembershipRole

#: A meeting that began this long ago still counts as coming (it may be running).
RUNNING = dt.timedelta(hours=12)


@dataclass(frozen=True)
class MyMeeting:
    meeting: Meeting
    #: How the person sits in it, per body, in German: "Mitglied", "Vertretung für Petra Heuser", "Vorsitz".
    seats: tuple[str, ...]


@dataclass(frozen=True)
class MyMeetings:
    coming: list[MyMeeting]
    past: list[MyMeeting]
    more_past: bool  # older past meetings than those listed


ROLE_WORDS = {
    MembershipRole.chair: "Vorsitz",
    MembershipRole.deputy_chair: "stellv. Vorsitz",
    MembershipRole.member: "Mitglied",
    MembershipRole.substitute: "Vertretung",
    MembershipRole.advisory: "beratendes Mitglied",
}


def _seat_word(session: Session, membership: Membership) -> str:
    word = ROLE_WORDS[MembershipRole(membership.role)]
    if membership.substitute_of_id is not None:
        principal = session.get(Person, membership.substitute_of_id)
        if principal is not None:
            word = f"{word} für {principal.name}"
    return f"{membership.body.short_name}: {word}"


def _midnight(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), BERLIN)


def _held_by(m: Membership) -> ColumnElement[bool]:
    """A meeting of the membership's body on a day the membership held (its Berlin date within the span)."""
    window = and_(
        Meeting.id.in_(select(MeetingBody.meeting_id).where(MeetingBody.body_id == m.body_id)),
        Meeting.start >= _midnight(m.start_date),
    )
    if m.end_date is not None:
        window = and_(window, Meeting.start < _midnight(m.end_date + dt.timedelta(days=1)))
    return window


def my_meetings(session: Session, person_id: int, now: dt.datetime, *, past_limit: int = 20) -> MyMeetings:
    """The person's meetings: every coming one, and the latest ``past_limit`` past ones."""
    memberships = list(
        session.scalars(
            select(Membership).where(Membership.person_id == person_id).options(selectinload(Membership.body))
        )
    )
    if not memberships:
        return MyMeetings([], [], False)
    mine = (
        select(Meeting).where(or_(*(_held_by(m) for m in memberships))).options(selectinload(Meeting.bodies))
    )
    since = now - RUNNING
    coming = session.scalars(mine.where(Meeting.start >= since).order_by(Meeting.start, Meeting.id)).all()
    past = session.scalars(
        mine.where(Meeting.start < since)
        .order_by(Meeting.start.desc(), Meeting.id.desc())
        .limit(past_limit + 1)
    ).all()

    def entry(meeting: Meeting) -> MyMeeting:
        day = meeting.start.astimezone(BERLIN).date()
        bodies = {b.id for b in meeting.bodies}
        held = [m for m in memberships if m.body_id in bodies and m.active_on(day)]
        return MyMeeting(meeting, tuple(_seat_word(session, m) for m in held))

    return MyMeetings(
        [entry(m) for m in coming], [entry(m) for m in past[:past_limit]], len(past) > past_limit
    )


def my_body_ids(session: Session, person_id: int, day: dt.date) -> list[int]:
    """The bodies the person sits in on ``day`` (as a member or a substitute)."""
    rows = session.scalars(select(Membership).where(Membership.person_id == person_id))
    return sorted({m.body_id for m in rows if m.active_on(day)})
