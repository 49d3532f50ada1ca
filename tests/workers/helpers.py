"""Small look-ups shared by the worker tests."""

from __future__ import annotations

from sqlalchemy import select

from tests.conftest import Database
from workflow.models import Meeting, Membership, Person


def expected_invitees(db: Database, meeting_id: int) -> set[str]:
    """E-mail addresses of the voting members and substitutes of the meeting's bodies (from the data)."""
    with db.session() as s:
        meeting = s.get_one(Meeting, meeting_id)
        body_ids = [b.id for b in meeting.bodies]
        rows = s.execute(
            select(Person.email, Membership.voting_right, Membership.role)
            .join(Person, Membership.person_id == Person.id)
            .where(Membership.body_id.in_(body_ids))
        ).all()
    return {email for email, voting, role in rows if email and (voting or role == "substitute")}


def non_voting_members(db: Database, meeting_id: int) -> set[str]:
    with db.session() as s:
        meeting = s.get_one(Meeting, meeting_id)
        rows = s.execute(
            select(Person.email, Membership.voting_right, Membership.role)
            .join(Person, Membership.person_id == Person.id)
            .where(Membership.body_id.in_([b.id for b in meeting.bodies]))
        ).all()
    return {email for email, voting, role in rows if email and not voting and role != "substitute"}
