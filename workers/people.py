"""Who gets which mail: read from the database, nothing written."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from workflow.models import Meeting, MeetingBody, Membership, Person, User, UserBody
from workflow.rules import BERLIN
from workflow.vocabulary import MembershipRole


@dataclass(frozen=True, order=True)
class Recipient:
    email: str
    name: str


def invitees(session: Session, meeting: Meeting) -> list[Recipient]:
    """Every voting member and every substitute of the meeting's bodies on the meeting's day, with an
    e-mail address; a person on two bodies of a joint meeting gets one mail."""
    day = meeting.start.astimezone(BERLIN).date()  # the meeting's day in Wetzlar, not in UTC
    body_ids = [b.id for b in meeting.bodies]
    rows = session.execute(
        select(Membership, Person)
        .join(Person, Membership.person_id == Person.id)
        .where(Membership.body_id.in_(body_ids), Person.email.is_not(None))
        .order_by(Person.family_name, Person.given_name, Person.id)
    ).all()
    seen: dict[str, Recipient] = {}
    for membership, person in rows:
        if not membership.active_on(day):
            continue
        if not (membership.voting_right or membership.role == MembershipRole.substitute.value):
            continue
        assert person.email is not None
        seen.setdefault(person.email.lower(), Recipient(person.email, person.name))
    return list(seen.values())


def coordination_office(session: Session, municipality_id: int) -> list[Recipient]:
    users = session.scalars(
        select(User).where(
            User.municipality_id == municipality_id,
            User.role == "coordination",
            User.active.is_(True),
            User.email.is_not(None),
        )
    )
    return sorted({Recipient(u.email, u.display_name) for u in users if u.email})


def secretaries(session: Session, meeting: Meeting) -> list[Recipient]:
    users = session.scalars(
        select(User)
        .join(UserBody, UserBody.user_id == User.id)
        .join(MeetingBody, MeetingBody.body_id == UserBody.body_id)
        .where(
            MeetingBody.meeting_id == meeting.id,
            User.role == "secretary",
            User.active.is_(True),
            User.email.is_not(None),
        )
    )
    return sorted({Recipient(u.email, u.display_name) for u in users if u.email})
