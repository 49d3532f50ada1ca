"""What waits for one person: the start page "Meine Aufgaben", as one read model per role.

Drafts to finish, co-signatures asked, papers to submit, meetings whose invitation deadline is near, held
meetings still without results, and the person's next meetings. Each list follows the permission rules of
``workflow.access``: a department sees its own drafts, a secretary the meetings of their bodies, a council
member the meetings of the bodies they sit in (also as a substitute).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import Select, exists, select
from sqlalchemy.orm import Session, joinedload

from workflow.access import Principal, Role, member_body_ids
from workflow.models import AgendaItem, Cosignature, Department, ItemResult, Meeting, MeetingBody, Paper
from workflow.notice import invitation_deadline
from workflow.papers import submittable
from workflow.vocabulary import MeetingState, PaperState

#: Meetings whose invitation must go out within this time (or should have) are shown.
DEADLINE_HORIZON = dt.timedelta(days=7)
#: A meeting that began this long ago still counts as today's.
RUNNING = dt.timedelta(hours=12)
LIMIT = 20


@dataclass(frozen=True)
class PaperEntry:
    """What the start page shows of a paper: its columns, not the row."""

    id: int
    reference: str | None
    subject: str
    kind: str
    state: str
    paper_date: dt.date
    department: str


@dataclass(frozen=True)
class DeadlineSoon:
    meeting: Meeting
    latest_dispatch: dt.datetime
    passed: bool


@dataclass(frozen=True)
class MyTasks:
    drafts: list[PaperEntry] = field(default_factory=list)
    cosignatures: list[PaperEntry] = field(default_factory=list)
    to_submit: list[PaperEntry] = field(default_factory=list)
    deadlines: list[DeadlineSoon] = field(default_factory=list)
    without_results: list[Meeting] = field(default_factory=list)
    next_meetings: list[Meeting] = field(default_factory=list)
    #: The lists that concern this person's role (an empty one among them means "nothing to do").
    applies: frozenset[str] = frozenset()

    @property
    def empty(self) -> bool:
        return not any(
            (
                self.drafts,
                self.cosignatures,
                self.to_submit,
                self.deadlines,
                self.without_results,
                self.next_meetings,
            )
        )


def _office(who: Principal) -> bool:
    return who.role in (Role.coordination, Role.admin)


_PaperColumns = Select[int, str | None, str, str, str, dt.date, str]


def _papers(who: Principal) -> _PaperColumns:
    """The papers of the municipality as ``PaperEntry`` columns, with their department's name."""
    return (
        select(
            Paper.id,
            Paper.reference,
            Paper.subject,
            Paper.kind,
            Paper.state,
            Paper.paper_date,
            Department.name,
        )
        .join(Department, Department.id == Paper.department_id)
        .where(Paper.municipality_id == who.municipality_id)
    )


def _entries(session: Session, query: _PaperColumns) -> list[PaperEntry]:
    return [
        PaperEntry(paper_id, reference, subject, kind, state, paper_date, department)
        for paper_id, reference, subject, kind, state, paper_date, department in session.execute(
            query.limit(LIMIT)
        )
    ]


def _drafts(session: Session, who: Principal) -> list[PaperEntry]:
    """Drafts, also those out for co-signing: the author still owes the submission."""
    query = _papers(who).where(Paper.state.in_([PaperState.draft, PaperState.cosigning]))
    if who.role is Role.department:
        query = query.where(Paper.department_id == who.department_id)
    elif not _office(who):
        return []
    return _entries(session, query.order_by(Paper.modified_at.desc(), Paper.id.desc()))


def _cosignatures(session: Session, who: Principal) -> list[PaperEntry]:
    if who.role is not Role.department:
        return []
    asked = exists(
        select(Cosignature.id).where(
            Cosignature.paper_id == Paper.id,
            Cosignature.department_id == who.department_id,
            Cosignature.signed_at.is_(None),
        )
    )
    return _entries(
        session,
        _papers(who).where(Paper.state == PaperState.cosigning, asked).order_by(Paper.modified_at, Paper.id),
    )


def _to_submit(session: Session, who: Principal) -> list[PaperEntry]:
    if not _office(who):
        return []
    return _entries(session, _papers(who).where(submittable()).order_by(Paper.modified_at, Paper.id))


def _meetings(session: Session, who: Principal, body_ids: frozenset[int] | None):  # type: ignore[no-untyped-def]
    query = select(Meeting).where(Meeting.municipality_id == who.municipality_id)
    if body_ids is not None:
        query = query.where(
            Meeting.id.in_(select(MeetingBody.meeting_id).where(MeetingBody.body_id.in_(body_ids)))
        )
    return query


def _deadlines(session: Session, who: Principal, now: dt.datetime) -> list[DeadlineSoon]:
    if not _office(who):
        return []
    planned = session.scalars(
        _meetings(session, who, None)
        .where(Meeting.state == MeetingState.planned, Meeting.start > now)
        .order_by(Meeting.start, Meeting.id)
        .options(
            joinedload(Meeting.bodies),
            # The notice period reads only the items with a matter (``notice.matters_on_agenda``): these
            # meetings' ``agenda_items`` hold just those, and nothing else here reads them.
            joinedload(Meeting.agenda_items.and_(AgendaItem.matter.is_not(None))),
        )
    ).unique()
    soon = []
    for meeting in planned:
        latest = invitation_deadline(session, meeting).latest_dispatch
        if latest <= now + DEADLINE_HORIZON:
            soon.append(DeadlineSoon(meeting=meeting, latest_dispatch=latest, passed=latest < now))
    return soon[:LIMIT]


def _recording_bodies(who: Principal) -> frozenset[int] | None:
    """None: every body of the municipality."""
    return None if _office(who) else who.body_ids


def _without_results(session: Session, who: Principal, now: dt.datetime) -> list[Meeting]:
    if who.role is not Role.secretary and not _office(who):
        return []
    open_item = exists(
        select(AgendaItem.id).where(
            AgendaItem.meeting_id == Meeting.id,
            AgendaItem.consultation_id.is_not(None),  # a plain item ("Eröffnung …") takes no result
            ~exists(select(ItemResult.id).where(ItemResult.agenda_item_id == AgendaItem.id)),
        )
    )
    return list(
        session.scalars(
            _meetings(session, who, _recording_bodies(who))
            .where(
                Meeting.start <= now,
                Meeting.state.in_([MeetingState.invited, MeetingState.held]),
                open_item,
            )
            .order_by(Meeting.start, Meeting.id)
            .limit(LIMIT)
        )
    )


def _next_meetings(session: Session, who: Principal, now: dt.datetime) -> list[Meeting]:
    if who.role is Role.council_member:
        bodies: frozenset[int] | None = member_body_ids(session, who.person_id)
    elif who.role is Role.secretary:
        bodies = who.body_ids
    elif _office(who):
        bodies = None
    else:
        return []
    return list(
        session.scalars(
            _meetings(session, who, bodies)
            .where(Meeting.start >= now - RUNNING, Meeting.state != MeetingState.cancelled)
            .order_by(Meeting.start, Meeting.id)
            .limit(10)
        )
    )


#: Which lists concern which role.
APPLIES: dict[Role, frozenset[str]] = {
    Role.coordination: frozenset({"drafts", "to_submit", "deadlines", "without_results", "next_meetings"}),
    Role.admin: frozenset({"drafts", "to_submit", "deadlines", "without_results", "next_meetings"}),
    Role.department: frozenset({"drafts", "cosignatures"}),
    Role.secretary: frozenset({"without_results", "next_meetings"}),
    Role.council_member: frozenset({"next_meetings"}),
}


def my_tasks(session: Session, who: Principal, now: dt.datetime) -> MyTasks:
    """Everything waiting for ``who`` at ``now``."""
    return MyTasks(
        applies=APPLIES[who.role],
        drafts=_drafts(session, who),
        cosignatures=_cosignatures(session, who),
        to_submit=_to_submit(session, who),
        deadlines=_deadlines(session, who, now),
        without_results=_without_results(session, who, now),
        next_meetings=_next_meetings(session, who, now),
    )
