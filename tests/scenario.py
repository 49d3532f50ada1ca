"""A small driver for tests: walk papers through meetings with one line per step.

It calls the real use cases; it only saves tests from repeating look-ups (ids by key) and dates.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from workflow import meetings, papers, planning, quorum, results
from workflow.access import Principal, Role
from workflow.models import (
    AgendaItem,
    Body,
    Consultation,
    Meeting,
    Membership,
    Municipality,
    Paper,
    Person,
)
from workflow.rules import BERLIN, VoteInput
from workflow.vocabulary import MembershipRole, Outcome, PaperKind


def recorder(sessions: sessionmaker[Session], name: str = "test", town: str = "wetzlar") -> Principal:
    """A secretary (Schriftführung) of every body of the town: the caller the result use cases check."""
    with sessions() as s:
        town_id = s.scalars(select(Municipality.id).where(Municipality.key == town)).one()
        bodies = frozenset(s.scalars(select(Body.id).where(Body.municipality_id == town_id)))
    return Principal(
        user_id=0,
        username=name,
        role=Role.secretary,
        municipality_id=town_id,
        department_id=None,
        person_id=None,
        body_ids=bodies,
    )


def open_meeting(sessions: sessionmaker[Session], meeting_id: int, *, actor: str = "Vorsitz") -> list[str]:
    """The chair opens the meeting: the quorum of every body whose voting members the attendance lists in
    quorate number, and whose quorum was not yet established, is established (§ 53 Abs. 1 HGO, § 49 Abs. 1 GO
    NRW, § 65 Abs. 1 NKomVG). Returns the keys of the bodies established now."""
    with sessions() as s:
        meeting = s.get_one(Meeting, meeting_id)
        start = meeting.start
        due = [
            q.body_key
            for q in quorum.quorum_status(s, meeting)
            if q.established_at is None and q.present >= q.needed
        ]
    for key in due:
        quorum.establish_quorum(
            sessions, actor=actor, meeting_id=meeting_id, body=key, now=start + dt.timedelta(minutes=2)
        )
    return due


def berlin(text: str) -> dt.datetime:
    """'2013-09-30 17:00' as an aware Europe/Berlin datetime."""
    return dt.datetime.strptime(text, "%Y-%m-%d %H:%M").replace(tzinfo=BERLIN)


@dataclass
class Scenario:
    sessions: sessionmaker[Session]
    town: str = "wetzlar"
    actor: str = "test"

    # ------------------------------------------------------------------ look-ups
    def town_id(self) -> int:
        with self.sessions() as s:
            return s.scalars(select(Municipality.id).where(Municipality.key == self.town)).one()

    def body_id(self, key: str) -> int:
        with self.sessions() as s:
            return s.scalars(
                select(Body.id).where(Body.municipality_id == self.town_id(), Body.key == key)
            ).one()

    def person_id(self, key: str) -> int:
        with self.sessions() as s:
            return s.scalars(
                select(Person.id).where(Person.municipality_id == self.town_id(), Person.key == key)
            ).one()

    def members(self, body: str, *, role: MembershipRole | None = None, voting: bool = True) -> list[int]:
        """Person ids of the regular (non-substitute) members of a body, in file order."""
        with self.sessions() as s:
            query = select(Membership.person_id).where(Membership.body_id == self.body_id(body))
            if role is not None:
                query = query.where(Membership.role == role.value)
            else:
                query = query.where(Membership.role != MembershipRole.substitute.value)
            if voting:
                query = query.where(Membership.voting_right.is_(True))
            return list(s.scalars(query.order_by(Membership.id)))

    def substitutes(self, body: str) -> list[tuple[int, int]]:
        """(substitute person id, person id they stand in for) of a body."""
        with self.sessions() as s:
            rows = s.execute(
                select(Membership.person_id, Membership.substitute_of_id)
                .where(
                    Membership.body_id == self.body_id(body),
                    Membership.role == MembershipRole.substitute.value,
                )
                .order_by(Membership.id)
            ).all()
        return [(a, b) for a, b in rows if b is not None]

    def steps(self, paper_id: int) -> dict[str, Consultation]:
        """Body key → the paper's (latest) step at that body, detached."""
        with self.sessions() as s:
            rows = s.execute(
                select(Body.key, Consultation)
                .join(Body, Consultation.body_id == Body.id)
                .where(Consultation.paper_id == paper_id)
                .order_by(Consultation.stage, Consultation.id)
            ).all()
            return {key: step for key, step in rows}

    def paper(self, paper_id: int) -> Paper:
        with self.sessions() as s:
            return s.get_one(Paper, paper_id)

    def meeting(self, meeting_id: int) -> Meeting:
        with self.sessions() as s:
            return s.get_one(Meeting, meeting_id)

    def item(self, item_id: int) -> AgendaItem:
        with self.sessions() as s:
            return s.get_one(AgendaItem, item_id)

    # ------------------------------------------------------------------ actions
    def submitted_paper(
        self,
        *,
        kind: PaperKind = PaperKind.beschlussvorlage,
        department: str | None = None,
        committees: Sequence[str] = (),
        financial_impact: bool = False,
        decided_by: str | None = None,
        public: bool = True,
        when: str = "2013-09-10 10:00",
        subject: str = "Testvorlage",
    ) -> Paper:
        """Draft, plan the default Beratungsfolge and submit."""
        department = (
            department
            or {"wetzlar": "kbs", "duisburg": "integration", "wilhelmshaven": "migration"}[self.town]
        )
        now = berlin(when)
        paper = papers.draft_paper(
            self.sessions,
            actor=self.actor,
            municipality=self.town,
            kind=kind,
            department=department,
            subject=subject,
            paper_date=now.date(),
            proposed_resolution="Der Beschlussvorschlag.",
            financial_impact=financial_impact,
            public=public,
            now=now,
        )
        planning.plan_consultations(
            self.sessions,
            actor=self.actor,
            paper_id=paper.id,
            committees=committees,
            decided_by=decided_by,
            now=now,
        )
        return papers.submit_paper(self.sessions, actor=self.actor, paper_id=paper.id, now=now)

    def new_meeting(
        self, bodies: Sequence[str] | str, start: str, *, second_session: bool = False
    ) -> Meeting:
        keys = [bodies] if isinstance(bodies, str) else list(bodies)
        return meetings.create_meeting(
            self.sessions,
            actor=self.actor,
            municipality=self.town,
            bodies=keys,
            start=berlin(start),
            location="Rathaus",
            second_session=second_session,
            now=berlin(start) - dt.timedelta(days=30),
        )

    def schedule(
        self, paper_id: int, body: str, meeting_id: int, *, when: str | None = None, matter: str | None = None
    ) -> AgendaItem:
        step = self.steps(paper_id)[body]
        meeting = self.meeting(meeting_id)
        now = berlin(when) if when else meeting.start - dt.timedelta(days=20)
        return meetings.schedule_consultation(
            self.sessions,
            actor=self.actor,
            consultation_id=step.id,
            meeting_id=meeting_id,
            matter=matter,
            now=now,
        ).agenda_item

    def invite(self, meeting_id: int, *, days_before: int = 10) -> Meeting:
        meeting = self.meeting(meeting_id)
        return meetings.invite_meeting(
            self.sessions,
            actor=self.actor,
            meeting_id=meeting_id,
            now=meeting.start - dt.timedelta(days=days_before),
        )

    def attend(
        self,
        meeting_id: int,
        *,
        absent: int = 0,
        present: Sequence[int] | None = None,
        establish_quorum: bool = True,
    ) -> list[int]:
        """Everyone with a vote present except the last ``absent`` of each body (or exactly ``present``); then,
        as the chair does at the opening, the quorum of each body present in quorate number is established
        (``establish_quorum=False`` leaves that to the test)."""
        meeting = self.meeting(meeting_id)
        with self.sessions() as s:
            keys = [b.key for b in s.get_one(Meeting, meeting_id).bodies]
        if present is None:
            present = []
            for key in keys:
                members = self.members(key)
                present.extend(members[: len(members) - absent])
        meetings.record_attendance(
            self.sessions,
            actor=self.actor,
            meeting_id=meeting_id,
            present=list(present),
            now=meeting.start + dt.timedelta(minutes=1),
        )
        if establish_quorum:
            open_meeting(self.sessions, meeting_id, actor=self.actor)
        return list(present)

    def record(self, item_id: int, outcome: Outcome, *votes: VoteInput, **kwargs: object):  # type: ignore[no-untyped-def]
        item = self.item(item_id)
        meeting = self.meeting(item.meeting_id)
        return results.record_result(
            self.sessions,
            who=recorder(self.sessions, self.actor, self.town),
            agenda_item_id=item_id,
            result=results.ResultInput(outcome, votes=votes, **kwargs),  # type: ignore[arg-type]
            now=meeting.start + dt.timedelta(minutes=30),
        )

    def deal_with(
        self, paper_id: int, body: str, start: str, outcome: Outcome, *votes: VoteInput, **kwargs: object
    ) -> AgendaItem:
        """New meeting of ``body`` at ``start``; schedule, invite, attend in full, record ``outcome``."""
        meeting = self.new_meeting(body, start)
        item = self.schedule(paper_id, body, meeting.id)
        self.invite(meeting.id)
        self.attend(meeting.id)
        self.record(item.id, outcome, *votes, **kwargs)
        return item
