"""Read models of the public portal (the Bürgerinfo): the next meetings, the meeting calendar, the latest papers
and decisions, who sits in a body, a person's memberships over time, a faction's members.

What the public may see is decided by ``workflow.publication`` alone; this module only asks it. A meeting's
results are provisional ("vorläufig") until its minutes are approved.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

from sqlalchemy import or_, select, tuple_
from sqlalchemy.orm import Session, joinedload, selectinload

from workflow.db import in_text
from workflow.models import (
    AgendaItem,
    Body,
    Consultation,
    Faction,
    ItemResult,
    Meeting,
    MeetingBody,
    Membership,
    Paper,
    Person,
    Vote,
    VoteFactionCount,
    active_on,
    full_name,
)
from workflow.publication import agenda_item_is_public, decided_in_private, meeting_is_public, paper_is_public
from workflow.queries import appearance_of
from workflow.rules import BERLIN, decisive_vote
from workflow.vocabulary import BodyKind, MeetingState, MembershipRole

#: How members are ordered within a faction: the chair first, then deputies, members, advisory ones, substitutes.
ROLE_ORDER = {
    MembershipRole.chair: 0,
    MembershipRole.deputy_chair: 1,
    MembershipRole.member: 2,
    MembershipRole.advisory: 3,
    MembershipRole.substitute: 4,
}
ROLE_LABELS = {
    MembershipRole.chair: "Vorsitz",
    MembershipRole.deputy_chair: "stellvertretender Vorsitz",
    MembershipRole.member: "Mitglied",
    MembershipRole.advisory: "beratendes Mitglied",
    MembershipRole.substitute: "Stellvertretung",
}
BODY_KIND_LABELS = {
    BodyKind.assembly: "Volksvertretung",
    BodyKind.executive: "Verwaltungsorgan",
    BodyKind.main_committee: "Hauptausschuss",
    BodyKind.committee: "Fachausschuss",
    BodyKind.district: "Ortsbeirat / Bezirksvertretung",
}
WITHOUT_FACTION = "ohne Fraktion"


def results_provisional(meeting: Meeting) -> bool:
    """A meeting's results are provisional until its minutes are approved."""
    return meeting.state != MeetingState.minutes_approved


def _start(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), BERLIN)


def _meetings(town_id: int, body_id: int | None):  # type: ignore[no-untyped-def]
    query = (
        select(Meeting)
        .where(Meeting.municipality_id == town_id, meeting_is_public())
        .options(joinedload(Meeting.bodies))
    )
    if body_id is not None:
        query = query.where(
            Meeting.id.in_(select(MeetingBody.meeting_id).where(MeetingBody.body_id == body_id))
        )
    return query


def coming_meetings(
    session: Session, town_id: int, now: dt.datetime, *, body_id: int | None = None, limit: int = 6
) -> list[Meeting]:
    """The next published meetings from today on (cancelled ones included: they are marked)."""
    today = _start(now.astimezone(BERLIN).date())
    query = _meetings(town_id, body_id).where(Meeting.start >= today).order_by(Meeting.start, Meeting.id)
    return list(session.scalars(query.limit(in_text(limit))).unique())


def past_meetings(
    session: Session, town_id: int, now: dt.datetime, *, body_id: int | None = None, limit: int = 10
) -> list[Meeting]:
    today = _start(now.astimezone(BERLIN).date())
    query = (
        _meetings(town_id, body_id).where(Meeting.start < today).order_by(Meeting.start.desc(), Meeting.id)
    )
    return list(session.scalars(query.limit(in_text(limit))).unique())


def meetings_in_month(
    session: Session, town_id: int, month: dt.date, *, body_id: int | None = None
) -> list[Meeting]:
    """The published meetings of the month that ``month`` lies in, in their order."""
    first = month.replace(day=1)
    after = (first + dt.timedelta(days=32)).replace(day=1)
    query = _meetings(town_id, body_id).where(Meeting.start >= _start(first), Meeting.start < _start(after))
    return list(session.scalars(query.order_by(Meeting.start, Meeting.id)).unique())


def meeting_months(
    session: Session, town_id: int, *, body_id: int | None = None
) -> tuple[dt.date, dt.date] | None:
    """The first days of the first and the last month with a published meeting (None without any)."""
    query = _meetings(town_id, body_id).order_by(None)
    first = session.scalars(query.order_by(Meeting.start).limit(1)).first()
    last = session.scalars(query.order_by(Meeting.start.desc()).limit(1)).first()
    if first is None or last is None:
        return None
    return (
        first.start.astimezone(BERLIN).date().replace(day=1),
        last.start.astimezone(BERLIN).date().replace(day=1),
    )


def latest_papers(session: Session, town_id: int, *, limit: int = 8) -> list[Paper]:
    """The published papers, the most recently submitted first."""
    return list(
        session.scalars(
            select(Paper)
            .where(Paper.municipality_id == town_id, paper_is_public())
            .options(joinedload(Paper.department))
            .order_by(Paper.submitted_at.desc(), Paper.id.desc())
            .limit(in_text(limit))
        )
    )


def papers_decided_in_private(session: Session, papers: Sequence[Paper]) -> set[int]:
    return decided_in_private(session, (p.id for p in papers))


@dataclass
class _Vote:
    """A vote as read for a list: its counts and, where asked for, the counts per faction."""

    decisive: bool
    yes: int
    no: int
    abstain: int
    factions: list[FactionVotes]


@dataclass(frozen=True)
class Decision:
    """A published result: the TOP, its meeting, its paper (if any) and what came of it."""

    item_id: int
    number: str
    title: str
    meeting: Meeting
    paper_id: int | None
    paper_reference: str | None
    text: str
    provisional: bool
    recorded_at: dt.datetime


def _newest_meetings_with_results(
    session: Session, town_id: int, body_id: int | None, batch: int
) -> Iterator[int]:
    """The published meetings (of one body if given) with a result on a public TOP, the newest first, read
    ``batch`` at a time by the index of their start: a meeting to come costs one probe per TOP."""
    query = (
        select(Meeting.id, Meeting.start)
        .where(
            Meeting.municipality_id == town_id,
            meeting_is_public(),
            select(ItemResult.id)
            .join(AgendaItem, AgendaItem.id == ItemResult.agenda_item_id)
            .where(AgendaItem.meeting_id == Meeting.id, AgendaItem.public.is_(True))
            .exists(),
        )
        .order_by(Meeting.start.desc(), Meeting.id.desc())
        .limit(in_text(batch))
    )
    if body_id is not None:
        query = query.where(
            Meeting.id.in_(select(MeetingBody.meeting_id).where(MeetingBody.body_id == body_id))
        )
    after: tuple[dt.datetime, int] | None = None
    while True:
        found = session.execute(
            query if after is None else query.where(tuple_(Meeting.start, Meeting.id) < after)
        ).all()
        yield from (meeting_id for meeting_id, _start in found)
        if len(found) < batch:
            return
        after = (found[-1].start, found[-1].id)


def latest_decisions(
    session: Session, town_id: int, *, body_id: int | None = None, limit: int = 8
) -> list[Decision]:
    """The results of published agenda items, the newest meeting first (of one body's meetings if given).

    The meetings with a result are walked newest first and the published results of each read in the order of
    its agenda until ``limit`` are found: usually the newest meeting holds them all, so only its TOPs are
    checked against the publication rule, not every result of the town. The TOPs, their papers and their
    votes are read as columns; only their few meetings as rows (for their links)."""
    items = (
        select(
            AgendaItem.id,
            AgendaItem.number,
            AgendaItem.title,
            AgendaItem.meeting_id,
            ItemResult.id.label("result_id"),
            ItemResult.outcome,
            ItemResult.outcome_wording,
            ItemResult.recorded_at,
            Paper.id.label("paper_id"),
            Paper.reference,
        )
        .join(ItemResult, ItemResult.agenda_item_id == AgendaItem.id)
        .outerjoin(Consultation, Consultation.id == AgendaItem.consultation_id)
        .outerjoin(Paper, Paper.id == Consultation.paper_id)
        .where(agenda_item_is_public())
        .order_by(AgendaItem.order)
    )
    rows: list[Any] = []
    for meeting_id in _newest_meetings_with_results(session, town_id, body_id, limit):
        rows += session.execute(
            items.where(AgendaItem.meeting_id == meeting_id).limit(in_text(limit - len(rows)))
        ).all()
        if len(rows) >= limit:
            break
    if not rows:
        return []
    votes: dict[int, list[_Vote]] = {}
    for result_id, decisive, yes, no, abstain in session.execute(
        select(Vote.result_id, Vote.decisive, Vote.yes, Vote.no, Vote.abstain)
        .where(Vote.result_id.in_({row.result_id for row in rows}))
        .order_by(Vote.result_id, Vote.position)
    ):
        votes.setdefault(result_id, []).append(_Vote(decisive, yes, no, abstain, []))
    meetings = {
        m.id: m
        for m in session.scalars(
            select(Meeting)
            .where(Meeting.id.in_({row.meeting_id for row in rows}))
            .options(joinedload(Meeting.bodies))
        ).unique()
    }
    decisions = []
    for (
        item_id,
        number,
        title,
        meeting_id,
        result_id,
        outcome,
        wording,
        at,
        paper_id,
        reference,
    ) in rows:
        meeting = meetings[meeting_id]
        shown = appearance_of(
            meeting, item_id, number, True, outcome, wording, decisive_vote(votes.get(result_id, []))
        )
        decisions.append(
            Decision(
                item_id=item_id,
                number=number,
                title=title,
                meeting=meeting,
                paper_id=paper_id,
                paper_reference=reference,
                text=shown.result_text,
                provisional=results_provisional(meeting),
                recorded_at=at,
            )
        )
    return decisions


# --------------------------------------------------------------------------------- bodies and people


@dataclass(frozen=True)
class Member:
    """A member as a body's page lists them: the person's key and name, and the role in the body."""

    key: str
    name: str
    role: str


@dataclass(frozen=True)
class FactionGroup:
    faction_key: str | None  # None: the members without a faction
    name: str
    members: list[Member]


def members_by_faction(session: Session, body: Body, day: dt.date) -> list[FactionGroup]:
    """Who sits in the body on ``day``, by faction (the largest first, those without one last), by role and
    name within each; read as columns."""
    rows = session.execute(
        select(
            Membership.role,
            Membership.faction_id,
            Person.key,
            Person.title,
            Person.given_name,
            Person.family_name,
            Faction.key.label("faction_key"),
            Faction.name.label("faction_name"),
        )
        .join(Person, Person.id == Membership.person_id)
        .outerjoin(Faction, Faction.id == Membership.faction_id)
        .where(
            Membership.body_id == body.id,
            Membership.start_date <= day,
            or_(Membership.end_date.is_(None), Membership.end_date >= day),
        )
    ).all()
    groups: dict[int | None, list[Any]] = {}
    for row in rows:
        groups.setdefault(row.faction_id, []).append(row)
    ordered = sorted(groups.items(), key=lambda kv: (kv[0] is None, -len(kv[1]), kv[1][0].faction_name or ""))
    return [
        FactionGroup(
            members[0].faction_key,
            members[0].faction_name or WITHOUT_FACTION,
            [
                Member(m.key, full_name(m.title, m.given_name, m.family_name), m.role)
                for m in sorted(
                    members,
                    key=lambda m: (ROLE_ORDER.get(MembershipRole(m.role), 9), m.family_name, m.given_name),
                )
            ],
        )
        for _, members in ordered
    ]


def person_memberships(session: Session, person: Person) -> list[Membership]:
    """Every membership of the person, current and past, the most recent start first."""
    return list(
        session.scalars(
            select(Membership)
            .where(Membership.person_id == person.id)
            .options(selectinload(Membership.body), selectinload(Membership.faction))
            .order_by(Membership.start_date.desc(), Membership.id)
        )
    )


def faction_memberships(session: Session, faction: Faction, day: dt.date) -> dict[Person, list[Membership]]:
    """The faction's members on ``day``, each with the bodies they sit in for it."""
    rows = session.scalars(
        select(Membership)
        .where(Membership.faction_id == faction.id)
        .options(selectinload(Membership.person), selectinload(Membership.body))
        .order_by(Membership.id)
    )
    members: dict[Person, list[Membership]] = {}
    for m in rows:
        if active_on(m.start_date, m.end_date, day):
            members.setdefault(m.person, []).append(m)
    return dict(sorted(members.items(), key=lambda kv: (kv[0].family_name, kv[0].given_name)))


def town_bodies(session: Session, town_id: int) -> list[Body]:
    return list(session.scalars(select(Body).where(Body.municipality_id == town_id).order_by(Body.id)))


def town_factions(session: Session, town_id: int) -> list[Faction]:
    return list(
        session.scalars(select(Faction).where(Faction.municipality_id == town_id).order_by(Faction.id))
    )


# ----------------------------------------------------------------------------------------- live page


class FactionVotes(NamedTuple):
    """How one faction voted on the decisive vote of a result."""

    faction: str
    yes: int
    no: int
    abstain: int


class LiveItem(NamedTuple):
    """A public TOP of the live page: what it deals with and, once recorded, its result with the counts of
    the decisive vote (abstentions included) and the counts per faction. Plain values (no ORM rows), so
    that their ``repr`` tells what the live page shows."""

    number: str
    title: str
    paper_id: int | None
    paper_reference: str | None
    outcome: str | None  # the wording, e.g. "angenommen"; None while there is no result
    yes: int | None
    no: int | None
    abstain: int | None
    factions: tuple[FactionVotes, ...]
    recorded_at: dt.datetime | None


def live_items(session: Session, meeting_id: int) -> list[LiveItem]:
    """The public TOPs of a meeting in their order, each with its result as far as recorded. Nothing of a
    non-public TOP, and nothing at all of a meeting that is not public.

    One query of columns: a row per TOP, vote and faction count (a TOP without a result has one row)."""
    rows = session.execute(
        select(
            AgendaItem.id,
            AgendaItem.number,
            AgendaItem.title,
            Paper.id,
            Paper.reference,
            ItemResult.outcome_wording,
            ItemResult.recorded_at,
            Vote.id,
            Vote.decisive,
            Vote.yes,
            Vote.no,
            Vote.abstain,
            Faction.name,
            VoteFactionCount.yes,
            VoteFactionCount.no,
            VoteFactionCount.abstain,
        )
        .select_from(AgendaItem)
        .outerjoin(Consultation, Consultation.id == AgendaItem.consultation_id)
        .outerjoin(Paper, Paper.id == Consultation.paper_id)
        .outerjoin(ItemResult, ItemResult.agenda_item_id == AgendaItem.id)
        .outerjoin(Vote, Vote.result_id == ItemResult.id)
        .outerjoin(VoteFactionCount, VoteFactionCount.vote_id == Vote.id)
        .outerjoin(Faction, Faction.id == VoteFactionCount.faction_id)
        .where(AgendaItem.meeting_id == meeting_id, agenda_item_is_public())
        .order_by(AgendaItem.order, AgendaItem.id, Vote.position, VoteFactionCount.faction_id)
    )
    items: dict[int, list[Any]] = {}  # number, title, paper id and reference, outcome, recorded at
    votes: dict[int, dict[int, _Vote]] = {}
    for item_id, *item, vote_id, decisive, yes, no, abstain, faction, f_yes, f_no, f_abstain in rows:
        if item_id not in items:
            items[item_id] = item
            votes[item_id] = {}
        if vote_id is None:
            continue
        vote = votes[item_id].get(vote_id)
        if vote is None:
            vote = votes[item_id][vote_id] = _Vote(decisive, yes, no, abstain, [])
        if faction is not None:
            vote.factions.append(FactionVotes(faction, f_yes, f_no, f_abstain))
    live = []
    for item_id, (number, title, paper_id, reference, outcome, recorded_at) in items.items():
        vote = decisive_vote(list(votes[item_id].values()))
        live.append(
            LiveItem(
                number=number,
                title=title,
                paper_id=paper_id,
                paper_reference=reference,
                outcome=outcome,
                yes=vote.yes if vote is not None else None,
                no=vote.no if vote is not None else None,
                abstain=vote.abstain if vote is not None else None,
                factions=tuple(vote.factions) if vote is not None else (),
                recorded_at=recorded_at,
            )
        )
    return live
