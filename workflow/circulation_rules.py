"""The rules of a decision without a meeting (Umlaufverfahren), on plain data.

Pure: nothing here touches a session. ``workflow.circulation`` loads the facts, checks them here, and writes.
Where the law allows it: the Gemeindevorstand/Magistrat in Hessen "in einfachen Angelegenheiten ..., wenn
niemand widerspricht" (§ 67 Abs. 1 Satz 3 HGO), the Hauptausschuss/Verwaltungsausschuss in Niedersachsen
"wenn kein Mitglied des Hauptausschusses widerspricht" (§ 78 Abs. 3 NKomVG); the GO NRW has no such rule.
The profile's ``circulation`` says which, with its legal basis.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from workflow.errors import RuleViolation
from workflow.profile import CirculationRule, Profile
from workflow.rules import carried
from workflow.vocabulary import (
    CIRCULATION_CHOICE_LABELS,
    BodyKind,
    CirculationChoice,
    ConsultationRole,
    Outcome,
    TieRule,
    VoteChoice,
)

#: Roles a circulation can settle: they end with a vote (a hearing or a notice has nothing to vote on).
VOTING_ROLES = frozenset({ConsultationRole.decision, ConsultationRole.preliminary})


def allowed_rule(profile: Profile, body_kind: str, body_name: str, *, simple_matter: bool) -> CirculationRule:
    """The profile's rule that lets this body decide without a meeting; refused, naming the rule, where the
    law does not provide it for the body (or at all: NRW), or for a matter that is not a simple one (HGO)."""
    rule = profile.circulation
    if rule is None or not rule.body_kinds:
        basis = f" ({rule.cite()})" if rule is not None else ""
        note = f" {rule.note}" if rule is not None and rule.note else ""
        raise RuleViolation(
            f"The municipal code of {profile.label} provides no decision without a meeting "
            f"(Umlaufverfahren){basis}; put the step on the agenda of a meeting of {body_name}",
            german=f"{profile.label}: Ein Beschluss im Umlaufverfahren ist nicht vorgesehen{basis}.{note} "
            f"Der Beratungsschritt muss in einer Sitzung von {body_name} behandelt werden.",
            rule="circulation_not_provided",
            legal_basis=rule.legal_basis if rule is not None else None,
        )
    if BodyKind(body_kind) not in rule.body_kinds:
        kinds = ", ".join(
            profile.body_kinds[k].label if k in profile.body_kinds else k.value for k in rule.body_kinds
        )
        raise RuleViolation(
            f"Only {kinds} may decide without a meeting (Umlaufverfahren, {rule.cite()}); {body_name} may not",
            german=f"Im Umlaufverfahren beschließen kann nur: {kinds} ({rule.cite()}); {body_name} "
            "muss in einer Sitzung beraten",
            rule="circulation_not_for_this_body",
            legal_basis=rule.legal_basis,
        )
    if rule.simple_matters_only and not simple_matter:
        raise RuleViolation(
            f"A decision without a meeting is allowed only in simple matters ({rule.cite()}); confirm that "
            "this is a simple matter (simple_matter)",
            german=f"Das Umlaufverfahren ist nur in einfachen Angelegenheiten zulässig ({rule.cite()}: "
            f"„{rule.wording.strip()}“); bitte bestätigen, dass es sich um eine einfache Angelegenheit handelt",
            rule="circulation_simple_matters_only",
            legal_basis=rule.legal_basis,
        )
    return rule


def check_role(role: str, body_name: str) -> ConsultationRole:
    """Only a step that ends with a vote (deciding or recommending) can be settled in writing."""
    step_role = ConsultationRole(role)
    if step_role not in VOTING_ROLES:
        raise RuleViolation(
            f"The step of {body_name} has the role '{step_role.value}'; only a deciding or recommending step "
            "can be settled without a meeting",
            german=f"Der Beratungsschritt von {body_name} ist eine Anhörung oder Kenntnisnahme; im "
            "Umlaufverfahren wird nur über Entscheidungen und Empfehlungen abgestimmt",
            rule="circulation_needs_a_vote",
        )
    return step_role


def check_answer(answer: CirculationChoice, *, voting_right: bool, name: str) -> None:
    """A member with an advisory voice only (beratende Stimme) may object or abstain, not vote."""
    if not voting_right and answer in (CirculationChoice.yes, CirculationChoice.no):
        raise RuleViolation(
            f"{name} has an advisory voice only: they may object to the procedure or abstain, not vote",
            german=f"{name} hat nur beratende Stimme: möglich sind „{CIRCULATION_CHOICE_LABELS[CirculationChoice.object]}“ "
            f"oder „{CIRCULATION_CHOICE_LABELS[CirculationChoice.abstain]}“",
            rule="circulation_advisory_member_votes",
        )


@dataclass(frozen=True)
class Tally:
    """The votes counted from the answers of the members with a vote, and the outcome they give."""

    yes: int
    no: int
    abstain: int
    casting_vote: VoteChoice | None  # the presiding member's answer, where their vote decides a tie
    outcome: Outcome


def tally(
    answers: Mapping[int, tuple[CirculationChoice, bool]],
    *,
    role: ConsultationRole,
    tie_rule: TieRule,
    presiding: int | None,
    amended: bool,
) -> Tally:
    """Count every member's answer (person id → (answer, has a vote)) and derive the outcome under the body's
    majority rule: a tie rejects, unless the presiding member's vote decides it (Hessen Magistrat, § 68
    HGO). Called once every member answered and nobody objected."""
    voting = {person: answer for person, (answer, vote) in answers.items() if vote}
    yes = sum(1 for a in voting.values() if a is CirculationChoice.yes)
    no = sum(1 for a in voting.values() if a is CirculationChoice.no)
    abstain = sum(1 for a in voting.values() if a is CirculationChoice.abstain)
    casting = None
    if tie_rule is TieRule.chair_decides and yes == no and presiding in voting:
        own = voting[presiding]
        casting = VoteChoice(own.value) if own in (CirculationChoice.yes, CirculationChoice.no) else None
    passed = carried(yes, no, tie_rule, casting)
    if role is ConsultationRole.decision:
        outcome = (Outcome.adopted_amended if amended else Outcome.adopted) if passed else Outcome.rejected
    else:
        outcome = (
            (Outcome.recommended_amended if amended else Outcome.recommended)
            if passed
            else Outcome.not_recommended
        )
    return Tally(yes, no, abstain, casting, outcome)
