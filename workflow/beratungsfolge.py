"""The Beratungsfolge: building the default plan from the profile, how stages join, and what an outcome does
to the plan.

A plan is a list of stages; the steps of one stage run in parallel and all must be finished before any step
of the next stage can be dealt with. ``outcome_changes`` says, on plain data and without a database, what
a result's outcome changes: the step's transition, referred stages inserted, texts carried on, steps closed
and the paper's transition. The use cases (``workflow.results``) only load and write.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from sqlalchemy import ColumnElement, and_, false

from workflow.errors import PlanInvalid, RuleViolation
from workflow.machines import CONSULTATION_TRANSITIONS, PAPER_TRANSITIONS, Transition
from workflow.models import Body, Consultation
from workflow.profile import Profile, UrgentDecision
from workflow.vocabulary import (
    CONSULTATION_ROLE_LABELS,
    DECIDING_OUTCOMES,
    PAPER_KIND_LABELS,
    BodyKind,
    ConsultationRole,
    ConsultationState,
    Outcome,
    PaperKind,
    PaperState,
    Urgency,
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
#: Deciding outcomes that adopt: an urgent decision with one of them is approved or noted afterwards.
ADOPTING_OUTCOMES = frozenset({Outcome.adopted, Outcome.adopted_amended})
#: Paper states after an urgent decision that adopted: its follow-up step still meets (approves or notes it).
DECIDED_BY_URGENCY = frozenset({PaperState.adopted, PaperState.adopted_amended})
#: Paper kinds that must end in a decision (one authoritative step).
DECIDED_KINDS = frozenset({PaperKind.beschlussvorlage, PaperKind.antrag, PaperKind.aenderungsantrag})


@dataclass(frozen=True)
class PlannedStep:
    body: Body
    role: ConsultationRole
    urgency: Urgency | None = None  # its part in an urgent procedure
    urgency_reason: str | None = None  # on the urgent decision: why the body that would decide cannot wait

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


def urgent_plan(
    profile: Profile,
    kind: PaperKind,
    bodies: Sequence[Body],
    *,
    reason: str,
    chosen: Iterable[str] = (),
) -> Plan:
    """The Beratungsfolge of the profile's urgent procedure (``urgent_decision``): the chosen committees
    deliberate first if there is time, then the urgent decision in place of the body that cannot wait (at a
    meeting of the profile's deciding body, or by the mayor without one), then the follow-up step that approves
    it or is informed of it. ``reason`` says why the body that would decide cannot wait."""
    procedure = profile.urgent_decision
    if procedure is None:
        raise PlanInvalid(
            f"The profile '{profile.label}' has no urgent procedure (Dringlichkeitsentscheidung)",
            german=f"Das Profil {profile.label} kennt kein Eil- oder Dringlichkeitsverfahren",
        )
    if not reason.strip():
        raise PlanInvalid(
            f"A {procedure.label} needs the reason why the {_kind_label(profile, procedure.instead_of)} cannot "
            f"wait ({procedure.cite()})",
            german=f"Für eine {procedure.label} ist zu begründen, warum nicht rechtzeitig "
            f"{_kind_label(profile, procedure.instead_of)} entscheiden kann ({procedure.cite()})",
            rule="urgent_decision_needs_reason",
        )
    if kind not in DECIDED_KINDS:
        raise PlanInvalid(
            f"A {kind.value} is not decided; there is no urgent decision to take",
            german=f"Über eine {kind.value.capitalize()} wird nicht entschieden; eine {procedure.label} gibt es "
            "dafür nicht",
        )
    by_key = {b.key: b for b in bodies}
    chosen_keys = list(chosen)
    unknown = [k for k in chosen_keys if k not in by_key]
    if unknown:
        raise PlanInvalid(f"Unknown bodies (Gremien): {', '.join(unknown)}", unknown=unknown)
    deciding = _one_of(profile, procedure, procedure.body_kind or procedure.instead_of, bodies)
    follow_up = _one_of(profile, procedure, procedure.follow_up.kind, bodies)
    plan: Plan = []
    heard = [PlannedStep(by_key[k], ConsultationRole.preliminary) for k in chosen_keys]
    if heard:
        plan.append(heard)
    plan.append([PlannedStep(deciding, ConsultationRole.decision, Urgency.decision, reason.strip())])
    plan.append([PlannedStep(follow_up, procedure.follow_up.role, Urgency.follow_up)])
    check_plan(kind, plan)
    return plan


def _kind_label(profile: Profile, kind: BodyKind) -> str:
    spec = profile.body_kinds.get(kind)
    return spec.label if spec else kind.value


def _one_of(profile: Profile, procedure: UrgentDecision, kind: BodyKind, bodies: Sequence[Body]) -> Body:
    of_kind = [b for b in bodies if b.kind == kind]
    if not of_kind:
        label = _kind_label(profile, kind)
        raise PlanInvalid(
            f"The municipality has no body of kind '{kind.value}' that the {procedure.label} needs",
            german=f"Die Kommune hat kein Gremium der Art „{label}“, das die {procedure.label} braucht "
            f"({procedure.cite()})",
        )
    return of_kind[0]


def mayor_only(profile: Profile, step: Consultation) -> bool:
    """The urgent step of a procedure in which no body decides (Hessen, § 70 Abs. 3 HGO): only the mayor
    decides it, without a meeting."""
    procedure = profile.urgent_decision
    return step.urgency == Urgency.decision and procedure is not None and procedure.body_kind is None


def mayor_only_clause(profile: Profile) -> ColumnElement[bool]:
    """``mayor_only`` as a WHERE clause over ``Consultation``, for a list of steps in SQL."""
    procedure = profile.urgent_decision
    if procedure is None or procedure.body_kind is not None:
        return false()
    return and_(Consultation.urgency.is_not(None), Consultation.urgency == Urgency.decision.value)


def check_plan(kind: PaperKind, plan: Plan) -> None:
    """A plan must be non-empty; a paper that is decided has exactly one deciding step, alone and last but for
    the follow-up of an urgent decision. A refusal names the stage it concerns (``stage``, counted from 1)
    where there is one."""
    if not plan:
        raise PlanInvalid(
            "A Beratungsfolge needs at least one step, and no stage may be empty",
            german="Die Beratungsfolge braucht mindestens eine Stufe mit einem Gremium",
        )
    empty = [i for i, stage in enumerate(plan, start=1) if not stage]
    if empty:
        raise PlanInvalid(
            "A Beratungsfolge needs at least one step, and no stage may be empty",
            german=f"Die Stufe {empty[0]} hat kein Gremium; jede Stufe braucht mindestens eines",
            stage=empty[0],
        )
    approval = [
        i
        for i, st in enumerate(plan, start=1)
        for s in st
        if s.role is ConsultationRole.approval and s.urgency is not Urgency.follow_up
    ]
    if approval:
        raise PlanInvalid(
            "Only the step after an urgent decision has the role 'approval' (Genehmigung); plan it with the "
            "urgent procedure",
            german="Die Rolle „Genehmigung“ hat nur der Schritt nach einer Eil- oder Dringlichkeitsentscheidung; "
            "dafür die Beratungsfolge dringlich (mit Begründung) planen",
            stage=approval[0],
        )
    follow_ups = [i for i, stage in enumerate(plan) if all(s.urgency is Urgency.follow_up for s in stage)]
    if follow_ups:
        if follow_ups != [len(plan) - 1] or not any(s.urgency is Urgency.decision for s in plan[-2]):
            raise PlanInvalid(
                "The follow-up of an urgent decision stands alone right after it",
                german="Der Schritt nach einer Eil- oder Dringlichkeitsentscheidung steht allein direkt danach",
                stage=follow_ups[0] + 1,
            )
        plan = plan[:-1]
    seen: set[str] = set()
    for number, stage in enumerate(plan, start=1):
        for step in stage:
            if step.body.key in seen:
                raise PlanInvalid(
                    f"A body (Gremium) appears twice in the Beratungsfolge: {step.body.key}",
                    german=f"{step.body.name} steht zweimal in der Beratungsfolge; jedes Gremium berät eine "
                    "Vorlage nur einmal",
                    stage=number,
                )
            seen.add(step.body.key)
    deciding = [(i, step) for i, stage in enumerate(plan) for step in stage if step.authoritative]
    decision = CONSULTATION_ROLE_LABELS[ConsultationRole.decision]
    if kind in DECIDED_KINDS:
        if len(deciding) != 1:
            raise PlanInvalid(
                f"A {kind.value} needs exactly one step with the role '{decision}' (found {len(deciding)})",
                german=f"Über eine Vorlage der Art „{PAPER_KIND_LABELS[kind]}“ entscheidet genau ein Gremium: genau "
                f"ein Schritt braucht die Rolle „{decision}“ (jetzt {len(deciding)})",
                **({"stage": deciding[1][0] + 1} if len(deciding) > 1 else {}),
            )
        index, _ = deciding[0]
        if index != len(plan) - 1 or len(plan[index]) != 1:
            raise PlanInvalid(
                "The deciding step (Entscheidung) must stand alone in the last stage",
                german=f"Der Schritt mit der Rolle „{decision}“ muss allein in der letzten Stufe stehen",
                stage=index + 1,
            )
    elif deciding:
        raise PlanInvalid(
            f"A {kind.value} is not decided; no step may have the role 'decision'",
            german=f"Über eine Vorlage der Art „{PAPER_KIND_LABELS[kind]}“ wird nicht entschieden; kein Schritt "
            f"darf die Rolle „{decision}“ haben",
            stage=deciding[0][0] + 1,
        )


# ----------------------------------------------------------------------- stages of persisted steps


def earlier_unfinished(steps: Sequence[Consultation], step: Consultation) -> list[Consultation]:
    """Steps of earlier stages that are not finished: they block ``step`` (the join)."""
    return [s for s in steps if s.stage < step.stage and s.state not in FINISHED_STEP_STATES]


def open_steps(steps: Iterable[Consultation]) -> list[Consultation]:
    return [s for s in steps if s.state in OPEN_STEP_STATES]


def all_finished(steps: Iterable[Consultation]) -> bool:
    return all(s.state in FINISHED_STEP_STATES for s in steps)


# ----------------------------------------------------------------------- what an outcome does


@dataclass(frozen=True)
class Effect:
    """What an outcome does: the step's trigger, the paper's trigger (if any), and a referral."""

    step_trigger: str
    paper_trigger: str | None = None
    inserts_referral: bool = False
    closes_paper: bool = False
    carries_text: bool = False  # the next steps deliberate the amended text


EFFECTS: dict[Outcome, Effect] = {
    Outcome.recommended: Effect("conclude"),
    Outcome.recommended_amended: Effect("conclude", carries_text=True),
    Outcome.not_recommended: Effect("conclude"),  # still goes on to the deciding body
    Outcome.noted: Effect("conclude"),
    Outcome.statement: Effect("conclude"),
    Outcome.adopted: Effect("conclude", "adopt"),
    Outcome.adopted_amended: Effect("conclude", "adopt_amended"),
    Outcome.rejected: Effect("conclude", "reject"),
    Outcome.referred: Effect("conclude", inserts_referral=True),
    Outcome.postponed: Effect("postpone"),  # the same body deals with it at a later meeting
    Outcome.deferred: Effect("defer"),
    Outcome.removed: Effect("remove"),
    Outcome.withdrawn: Effect("close", "withdraw", closes_paper=True),
    Outcome.approved: Effect("conclude"),  # the urgent decision stands: the paper stays decided
    Outcome.revoked: Effect("conclude", "revoke"),  # the urgent decision is revoked
}


@dataclass(frozen=True)
class StepFacts:
    """A step of the plan as plain data."""

    id: int
    body_id: int
    stage: int
    role: ConsultationRole
    state: ConsultationState
    resolution_text: str | None = None
    urgency: Urgency | None = None

    @property
    def authoritative(self) -> bool:
        return self.role is ConsultationRole.decision

    @classmethod
    def of(cls, step: Consultation) -> StepFacts:
        return cls(
            step.id,
            step.body_id,
            step.stage,
            ConsultationRole(step.role),
            ConsultationState(step.state),
            step.resolution_text,
            Urgency(step.urgency) if step.urgency else None,
        )


@dataclass(frozen=True)
class PaperFacts:
    """A paper with its plan, as plain data."""

    kind: PaperKind
    state: PaperState
    proposed_resolution: str | None
    steps: tuple[StepFacts, ...]

    @classmethod
    def of(
        cls, kind: str, state: str, proposed_resolution: str | None, steps: Iterable[Consultation]
    ) -> PaperFacts:
        return cls(
            PaperKind(kind),
            PaperState(state),
            proposed_resolution,
            tuple(StepFacts.of(s) for s in sorted(steps, key=lambda s: s.id)),
        )


@dataclass(frozen=True)
class Referral:
    """The body a paper is referred to ('verwiesen an …')."""

    body_id: int
    name: str


@dataclass(frozen=True)
class NewStep:
    """A step the outcome inserts: the referred body's, or the deciding body's again after its referral."""

    body_id: int
    stage: int
    role: ConsultationRole
    referred_from_id: int
    resolution_text: str | None


@dataclass(frozen=True)
class Changes:
    """What an outcome changes in the plan and the paper."""

    step_trigger: str
    step_state: ConsultationState
    step_text: str | None  # the text the step carries on from now
    stages: Mapping[int, int] = field(default_factory=dict)  # step id → its new stage
    moved_up: int | None = None  # a later step of the referred body that moves up instead of a new one
    new_steps: tuple[NewStep, ...] = ()
    carried_text: Mapping[int, str | None] = field(default_factory=dict)  # later step id → amended text
    closes: tuple[int, ...] = ()  # other open steps closed by the outcome
    closed_as: Outcome | None = None  # the outcome the closed steps get
    paper_trigger: str | None = None
    paper_state: PaperState | None = None  # the paper's state after ``paper_trigger``
    decided_text: str | None = None  # with a decision: the text decided on (None when rejected)
    closing_reason: str | None = None  # with a withdrawal: the paper's closing reason
    events: tuple[str, ...] = ()  # PaperDecided, PaperWithdrawn, PaperNoted, PaperRevoked


def _dest(transitions: Sequence[Transition], state: str, trigger: str) -> str | None:
    """Where ``trigger`` leads from ``state`` by the machine's table (None where it does not apply)."""
    return next((t.dest for t in transitions if t.trigger == trigger and state in t.source), None)


def outcome_changes(
    paper: PaperFacts,
    step_id: int,
    outcome: Outcome,
    *,
    resolution_text: str | None = None,
    referral: Referral | None = None,
    wording: str = "",
) -> Changes:
    """What ``outcome`` of the step ``step_id`` changes (``EFFECTS``): pure, on the plan as plain data.

    ``resolution_text`` is the text the result gives (an amended recommendation or decision); ``referral``
    the body a ``referred`` outcome names; ``wording`` the result's wording (a withdrawal's closing reason).
    The use case fires the transitions named here on its rows, so a state that does not allow them is
    refused there, with the machine's message.
    """
    effect = EFFECTS[outcome]
    step = next(s for s in paper.steps if s.id == step_id)
    step_state = ConsultationState(
        _dest(CONSULTATION_TRANSITIONS, step.state, effect.step_trigger) or step.state
    )
    # A step keeps the text it carries (an earlier amended recommendation) unless the result gives one.
    text = (resolution_text or "").strip() or step.resolution_text
    states = {s.id: (step_state if s.id == step.id else s.state) for s in paper.steps}
    carried: dict[int, str | None] = {}
    if effect.carries_text:
        carried = {s.id: text for s in paper.steps if s.stage > step.stage and s.state in OPEN_STEP_STATES}
    inserted = (
        _referral(paper.steps, step, referral, text)
        if effect.inserts_referral and referral is not None
        else _Inserted({}, None, ())
    )
    trigger = effect.paper_trigger
    closes: tuple[int, ...] = ()
    closed_as: Outcome | None = None
    events: tuple[str, ...] = ()
    decided_text: str | None = None
    if trigger:
        # An urgent decision that adopts keeps its follow-up open: the Rat approves or notes it afterwards.
        keeps = step.urgency is Urgency.decision and outcome in ADOPTING_OUTCOMES
        closes = tuple(
            s.id
            for s in paper.steps
            if s.id != step.id
            and states[s.id] in OPEN_STEP_STATES
            and not (keeps and s.urgency is Urgency.follow_up)
        )
        closed_as = outcome if effect.closes_paper else Outcome.settled
        events = ("PaperWithdrawn",) if effect.closes_paper else ("PaperDecided",)
        if outcome is Outcome.revoked:
            events = ("PaperRevoked",)
        if outcome in DECIDING_OUTCOMES and outcome is not Outcome.rejected:
            decided_text = text or paper.proposed_resolution
    elif (
        effect.step_trigger == "conclude"
        and not inserted.new_steps
        and inserted.moved_up is None
        and all(state in FINISHED_STEP_STATES for state in states.values())
        and paper.kind not in DECIDED_KINDS
    ):
        trigger = "note"
        events = ("PaperNoted",)
    paper_state = _dest(PAPER_TRANSITIONS, paper.state, trigger) if trigger else None
    return Changes(
        step_trigger=effect.step_trigger,
        step_state=step_state,
        step_text=text,
        stages=inserted.stages,
        moved_up=inserted.moved_up,
        new_steps=inserted.new_steps,
        carried_text=carried,
        closes=closes,
        closed_as=closed_as,
        paper_trigger=trigger,
        paper_state=PaperState(paper_state) if paper_state else None,
        decided_text=decided_text,
        closing_reason=wording if effect.closes_paper else None,
        events=events,
    )


@dataclass(frozen=True)
class _Inserted:
    stages: dict[int, int]
    moved_up: int | None
    new_steps: tuple[NewStep, ...]


def _referral(steps: Sequence[StepFacts], step: StepFacts, target: Referral, text: str | None) -> _Inserted:
    """'verwiesen an …': the named body deliberates in a new stage right after this one; later stages move
    back. If that body already has an open step later in the plan, that step moves up instead of a second
    one appearing. When the deciding body refers the paper, it comes back to it afterwards.
    """
    waiting = [
        s
        for s in steps
        if s.body_id == target.body_id and s.stage > step.stage and s.state in OPEN_STEP_STATES
    ]
    if any(s.authoritative for s in waiting):
        raise RuleViolation(
            f"{target.name} decides this paper anyway; refer it to a body that is not already its deciding step",
            german=f"{target.name} entscheidet ohnehin über die Vorlage; eine Verweisung dorthin ist nicht möglich",
        )
    moved = waiting[0] if waiting else None
    stages = {s.id: s.stage for s in steps}
    others = [s for s in steps if s is not moved]
    if moved is not None and not any(s.stage == moved.stage for s in others):
        for other in others:  # its stage empties: close the gap
            if stages[other.id] > moved.stage:
                stages[other.id] -= 1
    returns = step.authoritative
    for other in others:
        if stages[other.id] > step.stage:
            stages[other.id] += 2 if returns else 1
    new_steps: list[NewStep] = []
    if moved is not None:
        stages[moved.id] = step.stage + 1
    else:
        new_steps.append(NewStep(target.body_id, step.stage + 1, ConsultationRole.preliminary, step.id, text))
    if returns:
        new_steps.append(NewStep(step.body_id, step.stage + 2, step.role, step.id, text))
    before = {s.id: s.stage for s in steps}
    changed = {i: stage for i, stage in stages.items() if stage != before[i]}
    if moved is not None:
        changed[moved.id] = stages[moved.id]
    return _Inserted(changed, moved.id if moved is not None else None, tuple(new_steps))
