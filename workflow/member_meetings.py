"""A council member's meetings: those of the bodies they sat in on the meeting's day, as a member or as a
substitute (Vertretung), coming and past, a page of each at a time with their totals.

A meeting counts when one of the person's memberships of one of its bodies held on the meeting's day (Berlin
date), so a member who left sees the meetings of their time, and a successor those from their first day.
The meeting page then shows its non-public part by ``workflow.access.can_see_non_public_of``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import ColumnElement, Select, and_, func, or_, select
from sqlalchemy.orm import Session, aliased, selectinload

from workflow.models import Body, Meeting, MeetingBody, Membership, Person, active_on
from workflow.paging import Page, shown_page
from workflow.rules import BERLIN
from workflow.vocabulary import MembershipRole

#: A meeting that began this long ago still counts as coming (it may be running).
RUNNING = dt.timedelta(hours=12)
#: Meetings per page, in each of the two lists.
PAGE_SIZE = 20


@dataclass(frozen=True)
class MyMeeting:
    meeting: Meeting
    #: How the person sits in it, per body, in German: "Mitglied", "Vertretung für Petra Heuser", "Vorsitz".
    seats: tuple[str, ...]


@dataclass(frozen=True)
class MyMeetings:
    coming: Page[MyMeeting]  # soonest first
    past: Page[MyMeeting]  # latest first


ROLE_WORDS = {
    MembershipRole.chair: "Vorsitz",
    MembershipRole.deputy_chair: "stellv. Vorsitz",
    MembershipRole.member: "Mitglied",
    MembershipRole.substitute: "Vertretung",
    MembershipRole.advisory: "beratendes Mitglied",
}


@dataclass(frozen=True)
class _Seat:
    body_id: int
    start_date: dt.date
    end_date: dt.date | None
    words: str  # "SJS: Vertretung für Petra Heuser"


def _seats(session: Session, person_id: int) -> list[_Seat]:
    """The person's memberships with their bodies' short names and whom they stand in for, in one query."""
    principal = aliased(Person)
    rows = session.execute(
        select(
            Membership.body_id,
            Membership.role,
            Membership.start_date,
            Membership.end_date,
            Body.short_name,
            principal,
        )
        .join(Body, Body.id == Membership.body_id)
        .outerjoin(principal, principal.id == Membership.substitute_of_id)
        .where(Membership.person_id == person_id)
        .order_by(Membership.id)
    )
    seats = []
    for body_id, role, start, end, short_name, stands_in_for in rows:
        word = ROLE_WORDS[MembershipRole(role)]
        if stands_in_for is not None:
            word = f"{word} für {stands_in_for.name}"
        seats.append(_Seat(body_id, start, end, f"{short_name}: {word}"))
    return seats


def _midnight(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), BERLIN)


def _held_by(seat: _Seat) -> ColumnElement[bool]:
    """A meeting of the membership's body on a day the membership held (its Berlin date within the span)."""
    window = and_(
        Meeting.id.in_(select(MeetingBody.meeting_id).where(MeetingBody.body_id == seat.body_id)),
        Meeting.start >= _midnight(seat.start_date),
    )
    if seat.end_date is not None:
        window = and_(window, Meeting.start < _midnight(seat.end_date + dt.timedelta(days=1)))
    return window


def my_meetings(
    session: Session,
    person_id: int,
    now: dt.datetime,
    *,
    coming_page: int = 1,
    past_page: int = 1,
    page_size: int = PAGE_SIZE,
) -> MyMeetings:
    """The person's meetings: one page of the coming ones and one of the past ones, with their totals."""
    seats = _seats(session, person_id)
    if not seats:
        empty: Page[MyMeeting] = Page([], 0, 1, page_size)
        return MyMeetings(empty, empty)
    mine = or_(*(_held_by(s) for s in seats))
    since = now - RUNNING
    coming_total, past_total = session.execute(
        select(func.count().filter(Meeting.start >= since), func.count().filter(Meeting.start < since)).where(
            mine
        )
    ).one()

    def entry(meeting: Meeting) -> MyMeeting:
        day = meeting.start.astimezone(BERLIN).date()
        bodies = {b.id for b in meeting.bodies}
        held = [s.words for s in seats if s.body_id in bodies and active_on(s.start_date, s.end_date, day)]
        return MyMeeting(meeting, tuple(held))

    def one_page(query: Select[Meeting], total: int, wanted: int) -> Page[MyMeeting]:
        page = shown_page(wanted, total, page_size)
        rows = (
            session.scalars(
                query.options(selectinload(Meeting.bodies)).limit(page_size).offset((page - 1) * page_size)
            ).all()
            if total
            else []
        )
        return Page([entry(m) for m in rows], total, page, page_size)

    listed = select(Meeting).where(mine)
    return MyMeetings(
        one_page(
            listed.where(Meeting.start >= since).order_by(Meeting.start, Meeting.id),
            coming_total,
            coming_page,
        ),
        one_page(
            listed.where(Meeting.start < since).order_by(Meeting.start.desc(), Meeting.id.desc()),
            past_total,
            past_page,
        ),
    )


def my_body_ids(session: Session, person_id: int, day: dt.date) -> list[int]:
    """The bodies the person sits in on ``day`` (as a member or a substitute)."""
    rows = session.execute(
        select(Membership.body_id, Membership.start_date, Membership.end_date).where(
            Membership.person_id == person_id
        )
    )
    return sorted({body_id for body_id, start, end in rows if active_on(start, end, day)})
