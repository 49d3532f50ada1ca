"""The rules of a decision without a meeting (Umlaufverfahren), on plain data: which profile allows it for
which body, with the statute's condition cited; and how the answers count."""

from __future__ import annotations

import pytest

from workflow.circulation_rules import allowed_rule, check_answer, tally
from workflow.errors import RuleViolation
from workflow.profile import load_profile
from workflow.vocabulary import BodyKind, CirculationChoice, ConsultationRole, Outcome, TieRule, VoteChoice

Y, N, A = CirculationChoice.yes, CirculationChoice.no, CirculationChoice.abstain


def test_the_profiles_cite_the_statutes_condition() -> None:
    hessen = load_profile("hessen").circulation
    assert hessen is not None
    assert (hessen.body_kinds, hessen.legal_basis, hessen.text_checked, hessen.simple_matters_only) == (
        (BodyKind.executive,),
        "§ 67 Abs. 1 Satz 3 HGO",
        True,
        True,
    )
    assert "wenn niemand widerspricht" in hessen.wording
    assert "In einfachen Angelegenheiten" in hessen.wording
    nds = load_profile("niedersachsen").circulation
    assert nds is not None
    assert (nds.body_kinds, nds.legal_basis, nds.text_checked, nds.simple_matters_only) == (
        (BodyKind.main_committee,),
        "§ 78 Abs. 3 NKomVG",
        True,
        False,
    )
    assert "wenn kein Mitglied des Hauptausschusses widerspricht" in nds.wording
    nrw = load_profile("nrw").circulation
    assert nrw is not None
    assert nrw.body_kinds == ()
    assert nrw.cite() == "GO NRW: keine allgemeine Regelung eines Umlaufverfahrens (Wortlaut nicht geprüft)"


@pytest.mark.parametrize(
    ("profile", "kind", "allowed"),
    [
        ("hessen", "executive", True),
        ("hessen", "committee", False),
        ("hessen", "assembly", False),
        ("niedersachsen", "main_committee", True),
        ("niedersachsen", "assembly", False),
        ("nrw", "main_committee", False),
        ("nrw", "assembly", False),
    ],
)
def test_which_body_may_decide_in_writing(profile: str, kind: str, allowed: bool) -> None:
    if allowed:
        assert allowed_rule(load_profile(profile), kind, "Gremium", simple_matter=True).body_kinds
    else:
        with pytest.raises(RuleViolation):
            allowed_rule(load_profile(profile), kind, "Gremium", simple_matter=True)


def test_a_member_with_an_advisory_voice_only_objects_or_abstains() -> None:
    for choice in (CirculationChoice.object, A):
        check_answer(choice, voting_right=False, name="Julia Maier")
    with pytest.raises(RuleViolation, match="advisory voice") as refused:
        check_answer(Y, voting_right=False, name="Julia Maier")
    assert "beratende Stimme" in refused.value.german


def test_the_answers_are_counted_under_the_bodys_majority_rule() -> None:
    answers = {1: (Y, True), 2: (Y, True), 3: (N, True), 4: (A, True), 5: (N, False)}
    counted = tally(
        answers, role=ConsultationRole.decision, tie_rule=TieRule.rejected, presiding=1, amended=False
    )
    assert (counted.yes, counted.no, counted.abstain, counted.outcome) == (2, 1, 1, Outcome.adopted)
    recommended = tally(
        answers, role=ConsultationRole.preliminary, tie_rule=TieRule.rejected, presiding=1, amended=True
    )
    assert recommended.outcome is Outcome.recommended_amended
    tie = {1: (Y, True), 2: (N, True)}
    assert tally(
        tie, role=ConsultationRole.decision, tie_rule=TieRule.rejected, presiding=1, amended=False
    ).outcome is (Outcome.rejected)
    chair = tally(
        tie, role=ConsultationRole.decision, tie_rule=TieRule.chair_decides, presiding=1, amended=False
    )
    assert (chair.casting_vote, chair.outcome) == (VoteChoice.yes, Outcome.adopted)
    against = tally(
        tie, role=ConsultationRole.preliminary, tie_rule=TieRule.chair_decides, presiding=2, amended=False
    )
    assert (against.casting_vote, against.outcome) == (VoteChoice.no, Outcome.not_recommended)
