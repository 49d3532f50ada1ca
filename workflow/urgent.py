"""Urgent decisions without a meeting: the mayor decides on the paper's urgent step when even the body that
decides in urgent cases cannot be convened in time (NRW: with one Ratsmitglied, § 60 Abs. 1 Satz 2 GO NRW;
Niedersachsen: with a deputy, § 89 Satz 2 NKomVG; Hessen: alone, in place of the Magistrat, § 70 Abs. 3 HGO).

The urgent step and its follow-up are planned by ``workflow.planning.plan_consultations(urgent_reason=…)``;
a decision at a meeting of the urgent step's body is recorded like any result (``workflow.results``). Here:
one use case, one transaction. The rule is ``workflow.result_rules.check_mayor_decision``; what the outcome
does to the Beratungsfolge is the pure ``workflow.beratungsfolge.outcome_changes``, as for a meeting's result.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from workflow import validate
from workflow.audit import emit, record_audit, snapshot
from workflow.beratungsfolge import PaperFacts, earlier_unfinished, outcome_changes
from workflow.db import transaction
from workflow.errors import RuleViolation, TransitionNotAllowed
from workflow.machines import CONSULTATION_MACHINE
from workflow.models import Body, Consultation, MayorDecision, Paper, Person
from workflow.papers import close_steps, fire_paper_audited
from workflow.result_rules import MayorDecisionFacts, check_mayor_decision
from workflow.store import clock, get, not_found, profile_of, seats
from workflow.vocabulary import (
    OUTCOME_WORDING,
    ConsultationRole,
    ConsultationState,
    Outcome,
    PaperState,
    Urgency,
)

Sessions = sessionmaker[Session]


def record_mayor_decision(
    sessions: Sessions,
    *,
    actor: str,
    paper_id: int,
    mayor: int,
    member: int | None,
    reason: str,
    decided_on: dt.date,
    outcome: Outcome = Outcome.adopted,
    resolution_text: str | None = None,
    wording: str | None = None,
    now: dt.datetime | None = None,
) -> Consultation:
    """Record the mayor's urgent decision on the paper's urgent step: the step is dealt with, the paper is
    decided, its follow-up step (approval or information) stays planned, and where the profile says so further
    bodies are informed (Niedersachsen: the Hauptausschuss, § 89 Satz 3 NKomVG)."""
    now = clock(now)
    validate.ident(mayor, "person")
    if member is not None:
        validate.ident(member, "person")
    validate.text(reason, "The reason for the urgent decision", required=False, max_length=4000)
    validate.day(decided_on, "The day of the decision")
    outcome = validate.choice(Outcome, outcome, "outcome")
    for label, given in (("The resolution text", resolution_text), ("The wording", wording)):
        if given is not None:
            validate.text(given, label, required=False)
    with transaction(sessions) as session:
        paper = get(session, Paper, paper_id, lock=True)
        planned = next((s for s in paper.consultations if s.urgency == Urgency.decision), None)
        profile = profile_of(session, paper.municipality_id)
        procedure = profile.urgent_decision
        if planned is None or procedure is None:
            raise RuleViolation(
                f"Paper {paper.reference} has no urgent step; plan its Beratungsfolge with the urgent procedure "
                "(urgent_reason) first",
                german=f"Die Vorlage {paper.reference} hat keinen Schritt für eine Eil- oder "
                "Dringlichkeitsentscheidung; zuerst die Beratungsfolge dringlich (mit Begründung) planen",
                rule="no_urgent_step",
            )
        step = get(session, Consultation, planned.id, lock=True)
        if step.state != ConsultationState.planned:
            raise TransitionNotAllowed(
                f"The urgent step of {step.body.name} is '{step.state}': it is on a meeting's agenda or done, so "
                "the mayor cannot decide in its place",
                german=f"Der Schritt „{step.body.name}“ ist „{step.state}“: Er steht auf einer Tagesordnung oder "
                f"ist erledigt; eine {procedure.mayor.label} ist nicht mehr möglich",
                state=step.state,
            )
        if paper.state not in (PaperState.submitted, PaperState.in_deliberation):
            raise TransitionNotAllowed(
                f"Only a submitted paper can be decided; the paper is in state '{paper.state}'",
                german=f"Nur über eine eingereichte Vorlage kann entschieden werden; sie ist „{paper.state}“",
                state=paper.state,
            )
        blocking = earlier_unfinished(paper.consultations, step)
        if blocking:
            raise RuleViolation(
                "The Beratungsfolge has not reached the urgent step yet: "
                + ", ".join(f"{b.body.name} ({b.state})" for b in blocking)
                + " must deliberate first",
                german="Die Beratungsfolge ist noch nicht beim dringlichen Schritt: zuerst "
                + ", ".join(b.body.name for b in blocking),
                rule="stage_not_joined",
            )
        people = {
            p.id: p
            for p in session.scalars(select(Person).where(Person.id.in_({mayor} | ({member} - {None}))))
            if p.municipality_id == paper.municipality_id
        }
        for wanted in (mayor, member):
            if wanted is not None and wanted not in people:
                raise not_found("person", wanted, entity="person", id=wanted)
        seated = False
        kind = procedure.mayor.with_member_of
        if member is not None and kind is not None:
            bodies = session.scalars(
                select(Body.id).where(Body.municipality_id == paper.municipality_id, Body.kind == kind.value)
            )
            seated = any(
                s.person_id == member for body_id in bodies for s in seats(session, body_id, decided_on)
            )
        check_mayor_decision(
            MayorDecisionFacts(
                procedure=procedure,
                outcome=outcome,
                resolution_text=resolution_text,
                reason=reason,
                mayor=mayor,
                member=member,
                member_name=people[member].name if member is not None else None,
                member_seated=seated,
            )
        )
        if paper.state == PaperState.submitted:
            fire_paper_audited(session, paper, "begin_deliberation", actor=actor, now=now)
        changes = outcome_changes(
            PaperFacts.of(paper.kind, paper.state, paper.proposed_resolution, paper.consultations),
            step.id,
            outcome,
            resolution_text=resolution_text,
        )
        printed = (wording or "").strip() or f"{OUTCOME_WORDING[outcome]} ({procedure.mayor.label})"
        before = snapshot(step)
        CONSULTATION_MACHINE.fire(step, "decide_without_meeting", what=f"step {step.id} ({step.body.name})")
        step.outcome, step.outcome_wording, step.resolution_text = outcome.value, printed, changes.step_text
        step.modified_at = now
        session.add(
            MayorDecision(
                consultation_id=step.id,
                mayor_id=mayor,
                member_id=member,
                reason=reason.strip(),
                decided_on=decided_on,
                recorded_by=actor,
                recorded_at=now,
            )
        )
        session.flush()
        record_audit(
            session,
            actor=actor,
            action="consultation.urgent_decision",
            entity=step,
            now=now,
            before=before,
            after={
                **(snapshot(step) or {}),
                "mayor_id": mayor,
                "member_id": member,
                "decided_on": decided_on.isoformat(),
                "legal_basis": procedure.mayor.cite(),
            },
            reason=reason.strip(),
            paper_id=paper.id,
        )
        _inform(session, paper, step, procedure.mayor.informs, now)
        assert changes.paper_trigger is not None  # an adopting outcome decides the paper
        paper.resolution_text = changes.decided_text
        fire_paper_audited(session, paper, changes.paper_trigger, actor=actor, now=now, reason=printed)
        steps = {s.id: s for s in paper.consultations}
        if changes.closed_as is not None:
            close_steps(
                session, paper, [steps[i] for i in changes.closes], changes.closed_as, actor=actor, now=now
            )
        paper.decided_at = paper.modified_at = now
        session.flush()
        emit(
            session,
            "UrgentDecisionRecorded",
            now,
            paper_id=paper.id,
            consultation_id=step.id,
            outcome=outcome.value,
        )
        for event in changes.events:
            emit(session, event, now, paper_id=paper.id, state=paper.state, reference=paper.reference)
    return step


def _inform(
    session: Session, paper: Paper, step: Consultation, kinds: tuple[str, ...], now: dt.datetime
) -> None:
    """Add a step 'zur Kenntnis' for each body the mayor's decision must also be reported to, in the stage of
    the follow-up step."""
    if not kinds:
        return
    stage = max(s.stage for s in paper.consultations)
    present = {s.body_id for s in paper.consultations if s.stage == stage}
    bodies = session.scalars(
        select(Body)
        .where(Body.municipality_id == paper.municipality_id, Body.kind.in_([str(k) for k in kinds]))
        .order_by(Body.id)
    )
    for position, body in enumerate((b for b in bodies if b.id not in present), start=len(present)):
        session.add(
            Consultation(
                paper_id=paper.id,
                body_id=body.id,
                stage=stage,
                position=position,
                role=ConsultationRole.notice.value,
                authoritative=False,
                state=CONSULTATION_MACHINE.initial.value,
                urgency=Urgency.follow_up.value,
                created_at=now,
                modified_at=now,
            )
        )
    session.flush()
    session.refresh(paper, ["consultations"])
