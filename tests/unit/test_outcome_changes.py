"""What each outcome does to a paper's plan: ``beratungsfolge.outcome_changes`` on plain data, no database.

The plan of these tests is the Wetzlar one: Magistrat (1), then the social (2) and culture (3) committees in
parallel, then the finance committee (4), then the assembly (5), which decides.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import pytest

from workflow.beratungsfolge import (
    EFFECTS,
    Changes,
    NewStep,
    PaperFacts,
    Referral,
    StepFacts,
    outcome_changes,
)
from workflow.errors import RuleViolation
from workflow.vocabulary import ConsultationRole, ConsultationState, Outcome, PaperKind, PaperState, Urgency

P, D, H = ConsultationRole.preliminary, ConsultationRole.decision, ConsultationRole.hearing
S = ConsultationState
PROPOSED = "Die Stadtverordnetenversammlung beschließt die Richtlinie."
BAU = Referral(9, "Bauausschuss")


def plan(*states: ConsultationState, kind: PaperKind = PaperKind.beschlussvorlage) -> PaperFacts:
    """The five steps in the given states (default: the first invited, the rest planned)."""
    given = list(states) + [S.planned] * (5 - len(states))
    layout = [(1, 10, 0, P), (2, 20, 1, P), (3, 30, 1, P), (4, 40, 2, P), (5, 50, 3, D)]
    steps = tuple(
        StepFacts(id_, body, stage, role, state)
        for (id_, body, stage, role), state in zip(layout, given, strict=True)
    )
    if kind not in (PaperKind.beschlussvorlage, PaperKind.antrag, PaperKind.aenderungsantrag):
        steps = tuple(replace(s, role=P) for s in steps)
    return PaperFacts(kind, PaperState.in_deliberation, PROPOSED, steps)


AT_MAGISTRAT = plan(S.invited)
AT_SJS = plan(S.dealt_with, S.invited)
AT_STVV = plan(S.dealt_with, S.dealt_with, S.dealt_with, S.dealt_with, S.invited)


@dataclass(frozen=True)
class Case:
    name: str
    paper: PaperFacts
    step: int
    outcome: Outcome
    expected: Changes
    text: str | None = None
    referral: Referral | None = None


CASES = [
    Case(
        "a recommendation concludes the step and nothing else",
        AT_MAGISTRAT,
        1,
        Outcome.recommended,
        Changes("conclude", S.dealt_with, None),
    ),
    Case(
        "an amended recommendation carries its text to the later steps, not to the parallel one",
        AT_SJS,
        2,
        Outcome.recommended_amended,
        Changes(
            "conclude",
            S.dealt_with,
            "Geänderter Text",
            carried_text={4: "Geänderter Text", 5: "Geänderter Text"},
        ),
        text=" Geänderter Text ",
    ),
    Case(
        "a rejected recommendation still goes on to the deciding body",
        AT_SJS,
        2,
        Outcome.not_recommended,
        Changes("conclude", S.dealt_with, None),
    ),
    Case(
        "a statement of a hearing concludes its step",
        plan(S.invited),
        1,
        Outcome.statement,
        Changes("conclude", S.dealt_with, None),
    ),
    Case(
        "postponed: the same body again later",
        AT_SJS,
        2,
        Outcome.postponed,
        Changes("postpone", S.postponed, None),
    ),
    Case(
        "deferred: the same body again later", AT_SJS, 2, Outcome.deferred, Changes("defer", S.deferred, None)
    ),
    Case(
        "removed: the same body again later", AT_SJS, 2, Outcome.removed, Changes("remove", S.removed, None)
    ),
    Case(
        "a referral inserts the named body's stage right after this one and moves the later stages back",
        AT_SJS,
        2,
        Outcome.referred,
        Changes(
            "conclude",
            S.dealt_with,
            None,
            stages={4: 3, 5: 4},
            new_steps=(NewStep(9, 2, P, 2, None),),
        ),
        referral=BAU,
    ),
    Case(
        "a referral to a body already planned later moves its step up instead of adding one",
        AT_SJS,
        2,
        Outcome.referred,
        Changes("conclude", S.dealt_with, None, stages={4: 2}, moved_up=4),
        referral=Referral(40, "Finanz- und Wirtschaftsausschuss"),
    ),
    Case(
        "a referral by the deciding body brings the paper back to it afterwards",
        AT_STVV,
        5,
        Outcome.referred,
        Changes(
            "conclude",
            S.dealt_with,
            None,
            new_steps=(NewStep(9, 4, P, 5, None), NewStep(50, 5, D, 5, None)),
        ),
        referral=BAU,
    ),
    Case(
        "an adoption decides the paper with the proposed text",
        AT_STVV,
        5,
        Outcome.adopted,
        Changes(
            "conclude",
            S.dealt_with,
            None,
            paper_trigger="adopt",
            paper_state=PaperState.adopted,
            closed_as=Outcome.settled,
            decided_text=PROPOSED,
            events=("PaperDecided",),
        ),
    ),
    Case(
        "an amended adoption decides the paper with the amended text",
        AT_STVV,
        5,
        Outcome.adopted_amended,
        Changes(
            "conclude",
            S.dealt_with,
            "Neu gefasst",
            paper_trigger="adopt_amended",
            paper_state=PaperState.adopted_amended,
            closed_as=Outcome.settled,
            decided_text="Neu gefasst",
            events=("PaperDecided",),
        ),
        text="Neu gefasst",
    ),
    Case(
        "a rejection decides the paper without a text",
        AT_STVV,
        5,
        Outcome.rejected,
        Changes(
            "conclude",
            S.dealt_with,
            None,
            paper_trigger="reject",
            paper_state=PaperState.rejected,
            closed_as=Outcome.settled,
            events=("PaperDecided",),
        ),
    ),
    Case(
        "a withdrawal closes the step and every other open step, and the paper",
        AT_SJS,
        2,
        Outcome.withdrawn,
        Changes(
            "close",
            S.closed,
            None,
            closes=(3, 4, 5),
            closed_as=Outcome.withdrawn,
            paper_trigger="withdraw",
            paper_state=PaperState.withdrawn,
            closing_reason="zurückgezogen vom Magistrat",
            events=("PaperWithdrawn",),
        ),
    ),
    Case(
        "the last step of a paper that is not decided notes it",
        plan(
            S.dealt_with,
            S.dealt_with,
            S.dealt_with,
            S.dealt_with,
            S.invited,
            kind=PaperKind.mitteilungsvorlage,
        ),
        5,
        Outcome.noted,
        Changes(
            "conclude",
            S.dealt_with,
            None,
            paper_trigger="note",
            paper_state=PaperState.noted,
            events=("PaperNoted",),
        ),
    ),
    Case(
        "an earlier step of a paper that is not decided leaves it open",
        plan(S.invited, kind=PaperKind.mitteilungsvorlage),
        1,
        Outcome.noted,
        Changes("conclude", S.dealt_with, None),
    ),
]


# The urgent procedure (Dringlichkeitsentscheidung, NRW): the HFA (1) decides in place of the Rat, then the Rat
# (2) approves or revokes it. ``urgent_plan`` gives these roles; the states are those of each case.
A, N = ConsultationRole.approval, ConsultationRole.notice
U, F = Urgency.decision, Urgency.follow_up


def urgent(
    hfa: ConsultationState,
    rat: ConsultationState,
    *,
    paper: PaperState = PaperState.in_deliberation,
    role: ConsultationRole = A,
) -> PaperFacts:
    return PaperFacts(
        PaperKind.beschlussvorlage,
        paper,
        PROPOSED,
        (StepFacts(1, 10, 1, D, hfa, urgency=U), StepFacts(2, 50, 2, role, rat, urgency=F)),
    )


CASES += [
    Case(
        "an urgent decision decides the paper and keeps its approval step open",
        urgent(S.invited, S.planned),
        1,
        Outcome.adopted,
        Changes(
            "conclude",
            S.dealt_with,
            None,
            paper_trigger="adopt",
            paper_state=PaperState.adopted,
            decided_text=PROPOSED,
            closed_as=Outcome.settled,
            events=("PaperDecided",),
        ),
    ),
    Case(
        "an urgent decision that rejects leaves nothing to approve: the approval step closes",
        urgent(S.invited, S.planned),
        1,
        Outcome.rejected,
        Changes(
            "conclude",
            S.dealt_with,
            None,
            paper_trigger="reject",
            paper_state=PaperState.rejected,
            closes=(2,),
            closed_as=Outcome.settled,
            events=("PaperDecided",),
        ),
    ),
    Case(
        "the Rat approves the urgent decision: the paper stays decided",
        urgent(S.dealt_with, S.invited, paper=PaperState.adopted),
        2,
        Outcome.approved,
        Changes("conclude", S.dealt_with, None),
    ),
    Case(
        "the Rat revokes the urgent decision: the paper is revoked",
        urgent(S.dealt_with, S.invited, paper=PaperState.adopted_amended),
        2,
        Outcome.revoked,
        Changes(
            "conclude",
            S.dealt_with,
            None,
            paper_trigger="revoke",
            paper_state=PaperState.revoked,
            closed_as=Outcome.settled,
            events=("PaperRevoked",),
        ),
    ),
    Case(
        "the Rat notes an Eilentscheidung (Niedersachsen): the paper stays decided",
        urgent(S.dealt_with, S.invited, paper=PaperState.adopted, role=N),
        2,
        Outcome.noted,
        Changes("conclude", S.dealt_with, None),
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_each_outcome_changes_the_plan_as_the_effects_table_says(case: Case) -> None:
    wording = "zurückgezogen vom Magistrat"
    changes = outcome_changes(
        case.paper,
        case.step,
        case.outcome,
        resolution_text=case.text,
        referral=case.referral,
        wording=wording,
    )
    assert changes == case.expected


def test_every_outcome_code_with_an_effect_has_a_case() -> None:
    assert {c.outcome for c in CASES} == set(EFFECTS)


def test_a_step_keeps_the_text_it_carries_unless_the_result_gives_one() -> None:
    carrying = replace(
        AT_STVV, steps=(*AT_STVV.steps[:4], replace(AT_STVV.steps[4], resolution_text="Vom FWA geändert"))
    )
    assert outcome_changes(carrying, 5, Outcome.adopted).decided_text == "Vom FWA geändert"
    assert outcome_changes(carrying, 5, Outcome.adopted, resolution_text="Neu").decided_text == "Neu"


def test_a_referral_to_the_body_that_decides_anyway_is_refused() -> None:
    with pytest.raises(RuleViolation, match="decides this paper anyway") as refused:
        outcome_changes(AT_SJS, 2, Outcome.referred, referral=Referral(50, "Stadtverordnetenversammlung"))
    assert "entscheidet ohnehin" in refused.value.german
