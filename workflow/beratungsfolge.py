"""The Beratungsfolge: building the default plan from the profile, and how stages join.

A plan is a list of stages; the steps of one stage run in parallel and all must be finished before any step
of the next stage can be dealt with.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from workflow.errors import PlanInvalid
from workflow.models import Body, Consultation
from workflow.profile import Profile
from workflow.vocabulary import (
    CONSULTATION_ROLE_LABELS,
    BodyKind,
    ConsultationRole,
    ConsultationState,
    PaperKind,
)

FINISHED_STEP_STATES = frozenset({ConsultationState.dealt_with, ConsultationState.closed})
OPEN_STEP_STATES = frozenset(ConsultationState) - FINISHED_STEP_STATES
#: Steps that wait for a meeting of their body.
WAITING_STATES = frozenset(
    {
        ConsultationState.planned,
        ConsultationState.postponed,
        ConsultationState.deferred,
        ConsultationState.removed,
    }
)
#: Paper kinds that must end in a decision (one authoritative step).
DECIDED_KINDS = frozenset({PaperKind.beschlussvorlage, PaperKind.antrag, PaperKind.aenderungsantrag})


@dataclass(frozen=True)
class PlannedStep:
    body: Body
    role: ConsultationRole

    @property
    def authoritative(self) -> bool:
        return self.role is ConsultationRole.decision


Plan = list[list[PlannedStep]]


def default_plan(
    profile: Profile,
    kind: PaperKind,
    bodies: Sequence[Body],
    *,
    chosen: Iterable[str] = (),
    financial_impact: bool = False,
    decided_by: str | None = None,
) -> Plan:
    """The profile's default Beratungsfolge for a paper of ``kind``.

    ``chosen`` names the responsible bodies (the committees) by key; ``decided_by`` names a body that decides
    instead of the profile's deciding body (a delegated matter): its step becomes authoritative and the steps
    after it are dropped.
    """
    chosen_keys = list(chosen)
    by_key = {b.key: b for b in bodies}
    unknown = [k for k in chosen_keys if k not in by_key]
    if unknown:
        raise PlanInvalid(f"Unknown bodies (Gremien): {', '.join(unknown)}", unknown=unknown)
    if kind not in profile.beratungsfolge:
        raise PlanInvalid(f"The profile '{profile.name}' has no default Beratungsfolge for '{kind.value}'")
    plan: Plan = []
    used: set[str] = set()
    for stage_template in profile.beratungsfolge[kind]:
        stage: list[PlannedStep] = []
        for template in stage_template:
            if template.when == "financial_impact" and not financial_impact:
                continue
            of_kind = [b for b in bodies if b.kind == template.kind]
            if template.select == "chosen":
                selected = [by_key[k] for k in chosen_keys if by_key[k].kind == template.kind]
            elif template.select == "all":
                selected = [b for b in of_kind if template.tag is None or template.tag in (b.tags or [])]
            else:
                if not of_kind:
                    raise PlanInvalid(
                        f"The municipality has no body of kind '{template.kind.value}' "
                        "that the default Beratungsfolge needs"
                    )
                selected = [of_kind[0]]
            for body in selected:
                if body.key not in used:
                    stage.append(PlannedStep(body, template.role))
                    used.add(body.key)
        if stage:
            plan.append(stage)
    missing = [k for k in chosen_keys if k not in used]
    if missing:
        # Chosen bodies of a kind the template does not name (e.g. a district council) are heard
        # in their own stage before the deciding body.
        extra = [
            PlannedStep(
                by_key[k],
                ConsultationRole.hearing
                if by_key[k].kind == BodyKind.district
                else ConsultationRole.preliminary,
            )
            for k in missing
        ]
        plan.insert(max(len(plan) - 1, 0), extra)
    if decided_by is not None:
        plan = _decided_by(plan, decided_by, by_key)
    check_plan(kind, plan)
    return plan


def _decided_by(plan: Plan, key: str, by_key: dict[str, Body]) -> Plan:
    if key not in by_key:
        raise PlanInvalid(f"Unknown deciding body (Gremium) '{key}'")
    for index, stage in enumerate(plan):
        for step in stage:
            if step.body.key == key:
                if len(stage) > 1:
                    raise PlanInvalid(
                        f"'{by_key[key].name}' shares its stage with other bodies; "
                        "a deciding step must stand alone in the last stage"
                    )
                return [*plan[:index], [PlannedStep(step.body, ConsultationRole.decision)]]
    # Not in the plan yet: it replaces the profile's deciding step.
    kept = [[s for s in stage if not s.authoritative] for stage in plan]
    return [*[stage for stage in kept if stage], [PlannedStep(by_key[key], ConsultationRole.decision)]]


def check_plan(kind: PaperKind, plan: Plan) -> None:
    """A plan must be non-empty; a paper that is decided has exactly one deciding step, alone and last."""
    if not plan or not all(plan):
        raise PlanInvalid("A Beratungsfolge needs at least one step, and no stage may be empty")
    bodies = [step.body.key for stage in plan for step in stage]
    twice = sorted({k for k in bodies if bodies.count(k) > 1})
    if twice:
        raise PlanInvalid(f"A body (Gremium) appears twice in the Beratungsfolge: {', '.join(twice)}")
    deciding = [(i, step) for i, stage in enumerate(plan) for step in stage if step.authoritative]
    if kind in DECIDED_KINDS:
        if len(deciding) != 1:
            raise PlanInvalid(
                f"A {kind.value} needs exactly one step with the role "
                f"'{CONSULTATION_ROLE_LABELS[ConsultationRole.decision]}' (found {len(deciding)})"
            )
        index, _ = deciding[0]
        if index != len(plan) - 1 or len(plan[index]) != 1:
            raise PlanInvalid("The deciding step (Entscheidung) must stand alone in the last stage")
    elif deciding:
        raise PlanInvalid(f"A {kind.value} is not decided; no step may have the role 'decision'")


# ----------------------------------------------------------------------- stages of persisted steps


def earlier_unfinished(steps: Sequence[Consultation], step: Consultation) -> list[Consultation]:
    """Steps of earlier stages that are not finished: they block ``step`` (the join)."""
    return [s for s in steps if s.stage < step.stage and s.state not in FINISHED_STEP_STATES]


def open_steps(steps: Iterable[Consultation]) -> list[Consultation]:
    return [s for s in steps if s.state in OPEN_STEP_STATES]


def all_finished(steps: Iterable[Consultation]) -> bool:
    return all(s.state in FINISHED_STEP_STATES for s in steps)
