"""Read models: where a paper stands, its Beratungsfolge table, its history, what can be done next."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, replace

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from workflow.beratungsfolge import WAITING_STATES
from workflow.machines import CONSULTATION_MACHINE, MEETING_MACHINE
from workflow.meetings import meeting_guards
from workflow.models import AgendaItem, AuditEvent, Consultation, Meeting, Paper
from workflow.papers import allowed_paper_triggers
from workflow.publication import public_agenda_items
from workflow.rules import BERLIN, unanimous, vote_summary
from workflow.store import clock, get
from workflow.vocabulary import (
    CONSULTATION_ROLE_LABELS,
    CONSULTATION_STATE_LABELS,
    OUTCOME_WORDING,
    PAPER_STATE_LABELS,
    ConsultationRole,
    ConsultationState,
    Outcome,
    PaperState,
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

    @property
    def latest(self) -> Appearance | None:
        return self.appearances[-1] if self.appearances else None

    def seen_by(self, may_see_non_public_of: Callable[[int], bool]) -> StepStatus:
        """The step as someone sees it who may see the non-public agenda items of the meetings for which
        ``may_see_non_public_of(meeting_id)`` is true: only the appearances they may see, and no outcome when
        the step was dealt with in private (its outcome is the content of the non-public deliberation; OParl
        hides it alike)."""
        shown = [a for a in self.appearances if a.public or may_see_non_public_of(a.meeting_id)]
        private = self.latest is not None and self.latest not in shown
        return replace(
            self,
            appearances=shown,
            outcome=None if private else self.outcome,
            outcome_wording=None if private else self.outcome_wording,
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
            if not step.appearances:
                rows.append((step.body, "", "", step.outcome_wording or ""))
            for appearance in step.appearances:
                rows.append(
                    (step.body, appearance.date_text, appearance.agenda_number, appearance.result_text)
                )
        return rows


def _appearance(item: AgendaItem, published: bool) -> Appearance:
    result = item.result
    votes_text, is_unanimous = None, None
    if result is not None and result.votes:
        decisive = next((v for v in result.votes if v.decisive), result.votes[-1])
        votes_text = vote_summary(decisive.yes, decisive.no, decisive.abstain)
        is_unanimous = unanimous(decisive.yes, decisive.no, decisive.abstain)
    return Appearance(
        meeting_id=item.meeting_id,
        meeting_start=item.meeting.start,
        meeting_state=item.meeting.state,
        agenda_item_id=item.id,
        agenda_number=item.number,
        public=published,
        outcome=result.outcome if result else None,
        outcome_wording=result.outcome_wording if result else None,
        votes=votes_text,
        unanimous=is_unanimous,
    )


def _step_status(step: Consultation, items: list[AgendaItem], published: set[int]) -> StepStatus:
    return StepStatus(
        consultation_id=step.id,
        stage=step.stage,
        body=step.body.name,
        role=CONSULTATION_ROLE_LABELS[ConsultationRole(step.role)],
        authoritative=step.authoritative,
        state=step.state,
        state_label=CONSULTATION_STATE_LABELS[ConsultationState(step.state)],
        outcome=step.outcome,
        outcome_wording=step.outcome_wording,
        appearances=[_appearance(item, item.id in published) for item in items],
        allowed=CONSULTATION_MACHINE.allowed_triggers(step),
    )


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
    ):
        items.setdefault(item.consultation_id or 0, []).append(item)
    published = public_agenda_items(session, (i.id for found in items.values() for i in found))
    return PaperStatus(
        paper_id=paper.id,
        reference=paper.reference,
        subject=paper.subject,
        state=paper.state,
        state_label=PAPER_STATE_LABELS[PaperState(paper.state)],
        allowed=allowed_paper_triggers(paper),
        steps=[_step_status(step, items.get(step.id, []), published) for step in paper.consultations],
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


def result_text(item: AgendaItem) -> str:
    """What came of a TOP as the Beratungsfolge table prints it ("" while there is no result)."""
    return _appearance(item, item.public).result_text
