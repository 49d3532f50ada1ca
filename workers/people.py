"""Who gets which mail: read from the database, nothing written."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from workflow.models import MailDelivery, Meeting, MeetingBody, Membership, Person, User, UserBody
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


def invited(session: Session, meeting: Meeting) -> list[Recipient]:
    """Everyone a cancellation must reach: today's invitees, and whoever was sent an invitation to the
    meeting (a member who has left the body since still has the entry in their calendar)."""
    recipients = {r.email: r for r in invitees(session, meeting)}
    sent = session.scalars(
        select(MailDelivery.recipient)
        .where(
            MailDelivery.dedupe_key.like(f"invitation:{meeting.id}:%"),
            MailDelivery.state.in_(("sent", "claimed")),
        )
        .distinct()
    ).all()
    missing = [address for address in sent if address not in recipients]
    if missing:
        names = {
            person.email: person.name
            for person in session.scalars(
                select(Person).where(
                    Person.municipality_id == meeting.municipality_id, Person.email.in_(missing)
                )
            )
        }
        for address in missing:
            recipients[address] = Recipient(address, names.get(address, address))
    return sorted(recipients.values(), key=lambda r: (r.name, r.email))
