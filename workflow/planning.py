"""Planning a paper's Beratungsfolge: the profile's default, explicit stages, or the profile's urgent procedure
(``workflow.beratungsfolge`` holds the plans as plain data and their rules; here the use case writes them)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from workflow import validate
from workflow.audit import emit, record_audit
from workflow.beratungsfolge import PlannedStep, check_plan, default_plan, urgent_plan
from workflow.db import transaction
from workflow.errors import PlanInvalid, TransitionNotAllowed
from workflow.machines import CONSULTATION_MACHINE
from workflow.models import (
    Body,
    Consultation,
    Paper,
)
from workflow.papers import allowed_paper_triggers
from workflow.store import clock, get, profile_of
from workflow.vocabulary import (
    PAPER_STATE_LABELS,
    BodyKind,
    ConsultationRole,
    ConsultationState,
    PaperKind,
    PaperState,
)

Sessions = sessionmaker[Session]


@dataclass(frozen=True)
class StepInput:
    """An explicit step of a Beratungsfolge: a body (by key) and its role."""

    body: str
    role: ConsultationRole = ConsultationRole.preliminary


#: Paper states in which the Beratungsfolge may still be planned.
PLANNABLE_STATES = frozenset({PaperState.draft, PaperState.cosigning, PaperState.submitted})


def plan_refusal(paper: Paper) -> TransitionNotAllowed | None:
    """Why the paper's Beratungsfolge can no longer be planned (None while it can): the paper has gone on
    (in deliberation, decided, withdrawn) or one of its steps is already on an agenda."""
    scheduled = sorted(
        (c for c in paper.consultations if c.state != ConsultationState.planned), key=lambda c: c.stage
    )
    if scheduled:
        names = ", ".join(c.body.name for c in scheduled)
        return TransitionNotAllowed(
            "The Beratungsfolge can no longer be changed: a step is already scheduled",
            german="Die Beratungsfolge kann nicht mehr geändert werden: Die Vorlage steht bereits auf der "
            f"Tagesordnung ({names}).",
        )
    if paper.state not in PLANNABLE_STATES:
        return TransitionNotAllowed(
            f"The Beratungsfolge can no longer be planned: the paper is in state '{paper.state}'",
            german="Die Beratungsfolge kann nicht mehr geändert werden: Die Vorlage ist "
            f"{PAPER_STATE_LABELS[PaperState(paper.state)]}.",
            state=paper.state,
            allowed=allowed_paper_triggers(paper),
        )
    return None


def proposed_plan(session: Session, paper: Paper) -> list[list[StepInput]]:
    """The plan an editor starts from: the paper's planned steps, or, before any is planned, the profile's
    default for the paper's kind (empty when the profile has none that fits the municipality's bodies)."""
    if paper.consultations:
        stages: dict[int, list[Consultation]] = {}
        for step in sorted(paper.consultations, key=lambda c: (c.stage, c.position, c.id)):
            stages.setdefault(step.stage, []).append(step)
        return [
            [StepInput(body=s.body.key, role=ConsultationRole(s.role)) for s in stage]
            for _, stage in sorted(stages.items())
        ]
    return profile_default(session, paper)


def profile_default(session: Session, paper: Paper) -> list[list[StepInput]]:
    """The profile's default Beratungsfolge for the paper's kind (empty when the profile has none that fits
    the municipality's bodies)."""
    bodies = list(
        session.scalars(select(Body).where(Body.municipality_id == paper.municipality_id).order_by(Body.id))
    )
    try:
        plan = default_plan(
            profile_of(session, paper.municipality_id),
            PaperKind(paper.kind),
            bodies,
            financial_impact=paper.financial_impact,
        )
    except PlanInvalid:
        return []
    return [[StepInput(body=s.body.key, role=s.role) for s in stage] for stage in plan]


def plan_consultations(
    sessions: Sessions,
    *,
    actor: str,
    paper_id: int,
    committees: Sequence[str] = (),
    decided_by: str | None = None,
    stages: Sequence[Sequence[StepInput]] | None = None,
    urgent_reason: str | None = None,
    now: dt.datetime | None = None,
) -> Paper:
    """Plan (or re-plan) the Beratungsfolge: the profile's default, the explicit ``stages``, or, with
    ``urgent_reason`` (why the body that would decide cannot wait), the profile's urgent procedure.

    Allowed until one of its steps has been put on an agenda.
    """
    now = clock(now)
    if urgent_reason is not None:
        validate.text(urgent_reason, "The reason for the urgent decision", required=False, max_length=4000)
        if stages is not None or decided_by is not None:
            raise PlanInvalid(
                "An urgent decision is planned by the profile's procedure; give no explicit stages or "
                "deciding body with it",
                german="Eine Eil- oder Dringlichkeitsentscheidung wird nach dem Verfahren des Profils geplant; "
                "dazu keine eigenen Stufen und kein entscheidendes Gremium angeben",
            )
    with transaction(sessions) as session:
        paper = get(session, Paper, paper_id, lock=True)
        refusal = plan_refusal(paper)
        if refusal is not None:
            raise refusal
        existing = list(paper.consultations)
        profile = profile_of(session, paper.municipality_id)
        bodies = list(
            session.scalars(
                select(Body).where(Body.municipality_id == paper.municipality_id).order_by(Body.id)
            )
        )
        kind = PaperKind(paper.kind)
        if urgent_reason is not None:
            plan = urgent_plan(profile, kind, bodies, reason=urgent_reason, chosen=committees)
        elif stages is None:
            plan = default_plan(
                profile,
                kind,
                bodies,
                chosen=committees,
                financial_impact=paper.financial_impact,
                decided_by=decided_by,
            )
        else:
            by_key_ = {b.key: b for b in bodies}
            unknown = sorted({s.body for stage in stages for s in stage} - set(by_key_))
            if unknown:
                raise PlanInvalid(
                    f"Unknown bodies (Gremien): {', '.join(unknown)}",
                    german=f"Unbekannte Gremien: {', '.join(unknown)}",
                    unknown=unknown,
                )
            plan = [
                [
                    PlannedStep(by_key_[s.body], validate.choice(ConsultationRole, s.role, "role"))
                    for s in stage
                ]
                for stage in stages
            ]
            check_plan(kind, plan)
            for number, step in ((i, s) for i, stage in enumerate(plan, 1) for s in stage if s.authoritative):
                kind_spec = profile.body_kinds.get(BodyKind(step.body.kind))
                urgent = profile.urgent_decision
                if (
                    urgent is not None
                    and urgent.body_kind == step.body.kind
                    and not (kind_spec and kind_spec.may_decide)
                ):
                    council = profile.body_kinds[urgent.instead_of].label
                    raise PlanInvalid(
                        f"{step.body.name} decides matters of the {council} only by the urgent procedure "
                        f"({urgent.label}, {urgent.cite()}), when the {council} cannot be convened in time: plan "
                        f"it with urgent_reason; a matter delegated to it with decided_by='{step.body.key}'",
                        german=f"{step.body.name} entscheidet in Angelegenheiten, für die der {council} "
                        f"zuständig ist, nur als {urgent.label} ({urgent.cite()}), wenn der {council} nicht "
                        "rechtzeitig einberufen werden kann: dafür die Dringlichkeit mit Begründung angeben; "
                        f"eine übertragene Angelegenheit mit „entscheidet: {step.body.key}“",
                        rule="urgent_decision_only",
                        legal_basis=urgent.legal_basis,
                        stage=number,
                    )
                if kind_spec is None or not kind_spec.may_decide:
                    raise PlanInvalid(
                        f"{step.body.name} decides only matters delegated to it; for a delegated matter plan "
                        f"with decided_by='{step.body.key}'",
                        german=f"{step.body.name} entscheidet nur übertragene Angelegenheiten; dafür "
                        f"„entscheidet: {step.body.key}“ angeben",
                        stage=number,
                    )
        before = {"plan": [_step_view(c) for c in existing]}
        for old in existing:
            session.delete(old)
        session.flush()
        for stage_no, stage in enumerate(plan, start=1):
            for position, step in enumerate(stage):
                session.add(
                    Consultation(
                        paper_id=paper.id,
                        body_id=step.body.id,
                        stage=stage_no,
                        position=position,
                        role=step.role.value,
                        authoritative=step.authoritative,
                        state=CONSULTATION_MACHINE.initial.value,
                        urgency=step.urgency.value if step.urgency else None,
                        urgency_reason=step.urgency_reason,
                        created_at=now,
                        modified_at=now,
                    )
                )
        paper.modified_at = now
        session.flush()
        session.refresh(paper, ["consultations"])
        after = {"plan": [_step_view(c) for c in paper.consultations]}
        record_audit(
            session,
            actor=actor,
            action="paper.planned",
            entity=paper,
            now=now,
            before=before,
            after=after,
            paper_id=paper.id,
        )
        emit(session, "BeratungsfolgePlanned", now, paper_id=paper.id)
    return paper


def _step_view(step: Consultation) -> dict[str, Any]:
    return {
        "stage": step.stage,
        "body_id": step.body_id,
        "role": step.role,
        "authoritative": step.authoritative,
        "urgency": step.urgency,
        "urgency_reason": step.urgency_reason,
    }
