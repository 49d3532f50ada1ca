"""Read models: where a paper stands, its Beratungsfolge table, its history, what can be done next."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, NamedTuple, Protocol

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, contains_eager, joinedload, load_only, selectinload

from workflow.beratungsfolge import WAITING_STATES
from workflow.machines import CONSULTATION_MACHINE, MEETING_MACHINE
from workflow.meetings import meeting_guards
from workflow.models import (
    AgendaItem,
    AuditEvent,
    Circulation,
    CirculationAnswer,
    Consultation,
    ItemResult,
    MayorDecision,
    Meeting,
    Paper,
    Vote,
)
from workflow.papers import allowed_paper_triggers
from workflow.publication import public_agenda_items
from workflow.rules import BERLIN, decisive_vote, unanimous, vote_summary
from workflow.store import clock, get
from workflow.vocabulary import (
    CIRCULATION_STATE_LABELS,
    CONSULTATION_ROLE_LABELS,
    CONSULTATION_STATE_LABELS,
    OUTCOME_WORDING,
    PAPER_STATE_LABELS,
    CirculationState,
    ConsultationRole,
    ConsultationState,
    Outcome,
    PaperState,
    Urgency,
)


@dataclass(frozen=True)
class Appearance:
    """One time a step stood on an agenda: meeting, TOP and what came of it."""

    meeting_id: int
    meeting_start: dt.datetime
    meeting_state: str
    agenda_item_id: int
    agenda_number: str
    public: bool  # published (``workflow.publication``): in the public part of a public meeting, public paper
    outcome: str | None
    outcome_wording: str | None
    votes: str | None  # e.g. "einstimmig" or "12 Ja / 5 Nein / 3 Enthaltungen"
    unanimous: bool | None

    @property
    def date_text(self) -> str:
        return f"{self.meeting_start.astimezone(BERLIN):%d.%m.%Y}"

    @property
    def result_text(self) -> str:
        if self.meeting_state == "cancelled":
            return OUTCOME_WORDING[Outcome.no_result]
        if not self.outcome_wording:
            return ""
        return f"{self.outcome_wording} ({self.votes})" if self.votes else self.outcome_wording


@dataclass(frozen=True)
class CirculationStatus:
    """One time a step was put to its body in writing (Umlaufverfahren): how far it got and what came of it."""

    circulation_id: int
    body_id: int
    body_public: bool
    state: str
    state_label: str
    started_at: dt.datetime
    ended_at: dt.datetime | None
    members: int
    answered: int
    outcome: str | None
    outcome_wording: str | None
    votes: str | None  # e.g. "einstimmig" or "8 Ja / 2 Nein / 2 Enthaltungen"
    unanimous: bool | None

    @property
    def date_text(self) -> str:
        return f"{self.ended_at.astimezone(BERLIN):%d.%m.%Y}" if self.ended_at else ""

    @property
    def result_text(self) -> str:
        wording = f"{self.outcome_wording} im Umlaufverfahren" if self.outcome_wording else ""
        return f"{wording} ({self.votes})" if wording and self.votes else wording


@dataclass(frozen=True)
class StepStatus:
    """One step of the Beratungsfolge with every agenda it stood on (a postponed step stands on several)."""

    consultation_id: int
    stage: int
    body: str
    role: str
    authoritative: bool
    state: str
    state_label: str
    outcome: str | None
    outcome_wording: str | None
    appearances: list[Appearance]
    allowed: list[str]
    circulations: list[CirculationStatus] = field(default_factory=list)
    urgency: str | None = None  # its part in an urgent procedure: 'decision' or 'follow_up'
    urgency_reason: str | None = None  # why the body that would decide could not wait
    # An urgent decision the mayor took without a meeting: when, and who decided (German, for people).
    decided_on: dt.date | None = None
    decided_by: str | None = None
    # The urgent step of a non-public body (the Magistrat, the Verwaltungsausschuss): its reason and a decision
    # taken without a meeting are non-public like the body's deliberations.
    private_body_id: int | None = None

    @property
    def latest(self) -> Appearance | None:
        return self.appearances[-1] if self.appearances else None

    def seen_by(
        self,
        may_see_non_public_of: Callable[[int], bool],
        may_see_non_public_of_body: Callable[[int], bool] = lambda _body_id: False,
    ) -> StepStatus:
        """The step as someone sees it who may see the non-public agenda items of the meetings for which
        ``may_see_non_public_of(meeting_id)`` is true: only the appearances they may see, and no outcome when
        the step was dealt with in private (its outcome is the content of the non-public deliberation; OParl
        hides it alike). A decision without a meeting of a non-public body counts as dealt with in private
        unless ``may_see_non_public_of_body(body_id)``; the urgent step of a non-public body shows its reason,
        and a decision taken without a meeting, only to those."""
        shown = [a for a in self.appearances if a.public or may_see_non_public_of(a.meeting_id)]
        circulations = [
            c for c in self.circulations if c.body_public or may_see_non_public_of_body(c.body_id)
        ]
        private = (self.latest is not None and self.latest not in shown) or any(
            c.state == CirculationState.decided and c not in circulations for c in self.circulations
        )
        body_private = self.private_body_id is not None and not may_see_non_public_of_body(
            self.private_body_id
        )
        private = private or (body_private and not self.appearances)
        return replace(
            self,
            appearances=shown,
            circulations=circulations,
            outcome=None if private else self.outcome,
            outcome_wording=None if private else self.outcome_wording,
            urgency_reason=None if body_private else self.urgency_reason,
            decided_on=None if body_private else self.decided_on,
            decided_by=None if body_private else self.decided_by,
        )


@dataclass(frozen=True)
class PaperStatus:
    paper_id: int
    reference: str | None
    subject: str
    state: str
    state_label: str
    allowed: list[str]
    steps: list[StepStatus]

    @property
    def current(self) -> list[StepStatus]:
        """The steps the paper is at now: the open steps of the lowest open stage."""
        open_ = [s for s in self.steps if s.state not in ("dealt_with", "closed")]
        if not open_:
            return []
        stage = min(s.stage for s in open_)
        return [s for s in open_ if s.stage == stage]

    def table(self) -> list[tuple[str, str, str, str]]:
        """The Beratungsfolge table as printed on the Vorlage: Gremium, Sitzungsdatum, TOP, Abst. Ergebnis."""
        rows = []
        for step in self.steps:
            decided = [c for c in step.circulations if c.state == CirculationState.decided]
            if not step.appearances and not decided:
                day = f"{step.decided_on:%d.%m.%Y}" if step.decided_on else ""
                rows.append((step.body, day, "", step.outcome_wording or ""))
            for appearance in step.appearances:
                rows.append(
                    (step.body, appearance.date_text, appearance.agenda_number, appearance.result_text)
                )
            for circulation in decided:  # decided without a meeting: the day it ended, no TOP
                rows.append((step.body, circulation.date_text, "Umlauf", circulation.result_text))
        return rows


def _appearance(item: AgendaItem, published: bool) -> Appearance:
    result = item.result
    return appearance_of(
        item.meeting,
        item.id,
        item.number,
        published,
        result.outcome if result else None,
        # an imported item without a result recorded here: the old system's result text
        result.outcome_wording if result else item.result_wording,
        decisive_vote(result.votes) if result is not None else None,
    )


def appearance_of(
    meeting: Meeting,
    item_id: int,
    number: str,
    published: bool,
    outcome: str | None,
    wording: str | None,
    decisive: Counts | None,
) -> Appearance:
    return Appearance(
        meeting_id=meeting.id,
        meeting_start=meeting.start,
        meeting_state=meeting.state,
        agenda_item_id=item_id,
        agenda_number=number,
        public=published,
        outcome=outcome,
        outcome_wording=wording,
        votes=vote_summary(decisive.yes, decisive.no, decisive.abstain) if decisive is not None else None,
        unanimous=unanimous(decisive.yes, decisive.no, decisive.abstain) if decisive is not None else None,
    )


class Counts(Protocol):
    """What a result text needs of its decisive vote."""

    @property
    def yes(self) -> int: ...
    @property
    def no(self) -> int: ...
    @property
    def abstain(self) -> int: ...


class _Counts(NamedTuple):
    decisive: bool
    yes: int
    no: int
    abstain: int


class AgendaLine(NamedTuple):
    """A TOP as the meeting page lists it: plain values read as columns, its result as ``result_text`` says."""

    id: int
    number: str
    title: str
    public: bool
    late_addition: bool
    paper_id: int | None
    has_result: bool
    result: str


def agenda_lines(session: Session, meeting: Meeting) -> list[AgendaLine]:
    """Every TOP of the meeting in its order (who may see which: ``workflow.access``), in one query of
    columns: a row per TOP and vote (a TOP without votes has one row)."""
    rows = session.execute(
        select(
            AgendaItem.id,
            AgendaItem.number,
            AgendaItem.title,
            AgendaItem.public,
            AgendaItem.late_addition,
            AgendaItem.result_wording,
            Consultation.paper_id,
            ItemResult.id,
            ItemResult.outcome,
            ItemResult.outcome_wording,
            Vote.id,
            Vote.decisive,
            Vote.yes,
            Vote.no,
            Vote.abstain,
        )
        .select_from(AgendaItem)
        .outerjoin(Consultation, Consultation.id == AgendaItem.consultation_id)
        .outerjoin(ItemResult, ItemResult.agenda_item_id == AgendaItem.id)
        .outerjoin(Vote, Vote.result_id == ItemResult.id)
        .where(AgendaItem.meeting_id == meeting.id)
        .order_by(AgendaItem.order, AgendaItem.id, Vote.position)
    )
    items: dict[int, tuple[Any, ...]] = {}
    votes: dict[int, list[_Counts]] = {}
    for item_id, *item, vote_id, decisive, yes, no, abstain in rows:
        if item_id not in items:
            items[item_id] = tuple(item)
            votes[item_id] = []
        if vote_id is not None:
            votes[item_id].append(_Counts(decisive, yes, no, abstain))
    lines = []
    for item_id, (
        number,
        title,
        public,
        late,
        imported,
        paper_id,
        result_id,
        outcome,
        wording,
    ) in items.items():
        has_result = result_id is not None
        shown = appearance_of(
            meeting,
            item_id,
            number,
            public,
            outcome if has_result else None,
            wording if has_result else imported,
            decisive_vote(votes[item_id]) if has_result else None,
        )
        lines.append(
            AgendaLine(item_id, number, title, public, late, paper_id, has_result, shown.result_text)
        )
    return lines


def _circulation_status(circulation: Circulation) -> CirculationStatus:
    result = circulation.result
    vote = result.votes[0] if result is not None and result.votes else None
    return CirculationStatus(
        circulation_id=circulation.id,
        body_id=circulation.body_id,
        body_public=circulation.body.public,
        state=circulation.state,
        state_label=CIRCULATION_STATE_LABELS[CirculationState(circulation.state)],
        started_at=circulation.started_at,
        ended_at=circulation.ended_at,
        members=len(circulation.answers),
        answered=sum(1 for a in circulation.answers if a.answer is not None),
        outcome=result.outcome if result else None,
        outcome_wording=result.outcome_wording if result else None,
        votes=vote_summary(vote.yes, vote.no, vote.abstain) if vote else None,
        unanimous=unanimous(vote.yes, vote.no, vote.abstain) if vote else None,
    )


def _step_status(
    step: Consultation,
    items: list[AgendaItem],
    published: set[int],
    circulations: Sequence[Circulation] = (),
) -> StepStatus:
    decision = step.mayor_decision if step.urgency == Urgency.decision else None
    return StepStatus(
        consultation_id=step.id,
        stage=step.stage,
        body=step.body.name,
        role=CONSULTATION_ROLE_LABELS[ConsultationRole(step.role)],
        authoritative=step.authoritative,
        state=step.state,
        state_label=(
            WITHHELD_AT_SOURCE_LABEL
            if step.state_withheld
            else CONSULTATION_STATE_LABELS[ConsultationState(step.state)]
        ),
        outcome=step.outcome,
        outcome_wording=step.outcome_wording,
        appearances=[_appearance(item, item.id in published) for item in items],
        allowed=CONSULTATION_MACHINE.allowed_triggers(step),
        circulations=[_circulation_status(c) for c in circulations],
        urgency=step.urgency,
        urgency_reason=step.urgency_reason,
        decided_on=decision.decided_on if decision else None,
        decided_by=_decided_by(decision) if decision else None,
        private_body_id=step.body_id if step.urgency == Urgency.decision and not step.body.public else None,
    )


#: What a page says of a step imported without the state its source withheld (dealt with there in private).
WITHHELD_AT_SOURCE_LABEL = "Stand an der Quelle nicht veröffentlicht"


def _decided_by(decision: MayorDecision) -> str:
    """'Stefan Richter mit Dr. Günter Beck': who took an urgent decision without a meeting."""
    if decision.member is None:
        return decision.mayor.name
    return f"{decision.mayor.name} mit {decision.member.name}"


def paper_status(session: Session, paper_id: int) -> PaperStatus:
    """Where the paper stands: every step, its meeting, TOP and result, in one call."""
    paper = get(session, Paper, paper_id)
    items: dict[int, list[AgendaItem]] = {}
    for item in session.scalars(
        select(AgendaItem)
        .join(Meeting)
        .join(Consultation, AgendaItem.consultation_id == Consultation.id)
        .where(Consultation.paper_id == paper.id)
        .order_by(Meeting.start, AgendaItem.id)
        .options(
            contains_eager(AgendaItem.meeting),
            joinedload(AgendaItem.result).selectinload(ItemResult.votes),
        )
    ):
        items.setdefault(item.consultation_id or 0, []).append(item)
    circulations: dict[int, list[Circulation]] = {}
    for circulation in session.scalars(
        select(Circulation)
        .where(Circulation.paper_id == paper.id)
        .options(
            selectinload(Circulation.answers),
            selectinload(Circulation.result).selectinload(ItemResult.votes),
        )
        .order_by(Circulation.id)
    ):
        circulations.setdefault(circulation.consultation_id, []).append(circulation)
    published = public_agenda_items(session, (i.id for found in items.values() for i in found))
    steps = session.scalars(
        select(Consultation)
        .where(Consultation.paper_id == paper.id)
        .order_by(Consultation.stage, Consultation.position)  # as ``Paper.consultations``
        .options(joinedload(Consultation.body))
    ).all()
    return PaperStatus(
        paper_id=paper.id,
        reference=paper.reference,
        subject=paper.subject,
        state=paper.state,
        state_label=PAPER_STATE_LABELS[PaperState(paper.state)],
        allowed=allowed_paper_triggers(paper),
        steps=[
            _step_status(step, items.get(step.id, []), published, circulations.get(step.id, []))
            for step in steps
        ],
    )


def paper_history(session: Session, paper_id: int) -> list[AuditEvent]:
    """The audit trail of a paper as a timeline (oldest first), including its steps and results."""
    get(session, Paper, paper_id)
    return list(
        session.scalars(
            select(AuditEvent)
            .where(
                or_(
                    AuditEvent.paper_id == paper_id,
                    (AuditEvent.entity_type == "paper") & (AuditEvent.entity_id == paper_id),
                )
            )
            .order_by(AuditEvent.id)
        )
    )


def meeting_allowed_triggers(meeting: Meeting, now: dt.datetime | None = None) -> list[str]:
    return MEETING_MACHINE.allowed_triggers(meeting, meeting_guards(meeting, clock(now)))


def allowed_triggers(session: Session, entity: str, id_: int, now: dt.datetime | None = None) -> list[str]:
    """The triggers allowed now for any object: ``paper``, ``consultation`` or ``meeting``."""
    if entity == "paper":
        return allowed_paper_triggers(get(session, Paper, id_))
    if entity == "consultation":
        return CONSULTATION_MACHINE.allowed_triggers(get(session, Consultation, id_))
    if entity == "meeting":
        return meeting_allowed_triggers(get(session, Meeting, id_), now)
    raise ValueError(f"unknown entity kind {entity!r}")


def waiting_for(session: Session, body_id: int) -> list[Consultation]:
    """Steps of this body that wait for a meeting (planned, postponed, deferred, removed)."""
    waiting = [state.value for state in WAITING_STATES]
    return list(
        session.scalars(
            select(Consultation)
            .join(Paper)
            .where(
                Consultation.body_id == body_id,
                Consultation.state.in_(waiting),
                Paper.state.in_([PaperState.submitted, PaperState.in_deliberation]),
            )
            .order_by(Paper.submitted_at, Consultation.id)
        )
    )


def papers_of_agenda(session: Session, meeting_id: int) -> dict[int, Paper]:
    """The paper of each TOP of the meeting that has one, by the TOP's id, in one statement; of each paper
    only its id and Drucksachen-Nr. (what a link and an agenda line need)."""
    query = (
        select(AgendaItem.id, Paper)
        .join(Consultation, AgendaItem.consultation_id == Consultation.id)
        .join(Paper, Consultation.paper_id == Paper.id)
        .where(AgendaItem.meeting_id == meeting_id)
        .options(load_only(Paper.id, Paper.reference))
    )
    return {item_id: paper for item_id, paper in session.execute(query)}


def result_text(item: AgendaItem) -> str:
    """What came of a TOP as the Beratungsfolge table prints it ("" while there is no result)."""
    return _appearance(item, item.public).result_text


def awaiting_answer(session: Session, person_id: int) -> list[Circulation]:
    """The running decisions without a meeting (Umlaufverfahren) that still wait for this member's answer,
    oldest first."""
    return list(
        session.scalars(
            select(Circulation)
            .join(CirculationAnswer, CirculationAnswer.circulation_id == Circulation.id)
            .where(
                Circulation.state == CirculationState.running.value,
                CirculationAnswer.person_id == person_id,
                CirculationAnswer.answer.is_(None),
            )
            .order_by(Circulation.started_at, Circulation.id)
        )
    )
