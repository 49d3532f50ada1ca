"""The shipped profiles (Hessen, NRW, Niedersachsen) and the default Beratungsfolge built from them."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import pytest
from pydantic import ValidationError

from workflow.beratungsfolge import Plan, PlannedStep, check_plan, default_plan, urgent_plan
from workflow.config_files import load_yaml_model
from workflow.errors import ConfigurationError, PlanInvalid
from workflow.models import Body
from workflow.profile import (
    PROFILE_DIR,
    PROFILE_NAMES,
    BodySettingsOverride,
    NoticeRule,
    NoticeRules,
    Profile,
    QuorumRule,
    load_profile,
)
from workflow.vocabulary import (
    BodyKind,
    ConsultationRole,
    NoticeCounting,
    NoticeReference,
    PaperKind,
    TieRule,
    Urgency,
)

PRE, DEC, NOTE, HEAR = (
    ConsultationRole.preliminary,
    ConsultationRole.decision,
    ConsultationRole.notice,
    ConsultationRole.hearing,
)
BV, MV, ANTRAG = PaperKind.beschlussvorlage, PaperKind.mitteilungsvorlage, PaperKind.antrag


def _body(id_: int, key: str, kind: BodyKind, name: str, tags: tuple[str, ...] = ()) -> Body:
    return Body(id=id_, key=key, kind=kind.value, name=name, tags=list(tags))


def _shape(plan: Plan) -> list[list[tuple[str, ConsultationRole]]]:
    return [[(step.body.key, step.role) for step in stage] for stage in plan]


# Wetzlar-like bodies (Hessen), with an Ortsbeirat.
MAGISTRAT = _body(1, "magistrat", BodyKind.executive, "Magistrat")
SJS = _body(2, "sjs", BodyKind.committee, "Sozial-, Jugend- und Sportausschuss")
KFP = _body(3, "kfp", BodyKind.committee, "Kultur-, Freizeit- und Partnerschaftsausschuss")
FWA = _body(4, "fwa", BodyKind.committee, "Finanz- und Wirtschaftsausschuss", ("finance",))
STVV = _body(5, "stvv", BodyKind.assembly, "Stadtverordnetenversammlung")
OBR = _body(6, "obr_mitte", BodyKind.district, "Ortsbeirat Mitte")
HESSEN_BODIES = [MAGISTRAT, SJS, KFP, FWA, STVV, OBR]

# Wilhelmshaven-like bodies (Niedersachsen).
NDS_SOZ = _body(11, "soziales", BodyKind.committee, "Ausschuss für Soziales, Integration und Gesundheit")
NDS_BAU = _body(12, "bauen", BodyKind.committee, "Bauausschuss")
NDS_VA = _body(13, "va", BodyKind.main_committee, "Verwaltungsausschuss")
NDS_RAT = _body(14, "rat", BodyKind.assembly, "Rat")
NDS_BODIES = [NDS_SOZ, NDS_BAU, NDS_VA, NDS_RAT]

# Duisburg-like bodies (NRW).
NRW_SOZ = _body(21, "soziales", BodyKind.committee, "Ausschuss für Soziales")
NRW_SCHULE = _body(22, "schule", BodyKind.committee, "Schulausschuss")
NRW_HFA = _body(23, "hfa", BodyKind.main_committee, "Haupt- und Finanzausschuss")
NRW_RAT = _body(24, "rat", BodyKind.assembly, "Rat der Stadt")
NRW_BODIES = [NRW_SOZ, NRW_SCHULE, NRW_HFA, NRW_RAT]


@pytest.fixture(scope="module")
def hessen() -> Profile:
    return load_profile("hessen")


@pytest.fixture(scope="module")
def nrw() -> Profile:
    return load_profile("nrw")


@pytest.fixture(scope="module")
def niedersachsen() -> Profile:
    return load_profile("niedersachsen")


# --------------------------------------------------------------------------- loading


@pytest.mark.parametrize("name", PROFILE_NAMES)
def test_each_shipped_profile_loads_under_its_own_name(name: str) -> None:
    profile = load_profile(name)
    assert profile.name == name
    assert profile.label
    assert (PROFILE_DIR / f"{name}.yaml").is_file()


def test_the_three_profiles_are_hessen_nrw_and_niedersachsen() -> None:
    assert PROFILE_NAMES == ("hessen", "nrw", "niedersachsen")


def test_an_unknown_profile_is_a_configuration_error_in_german() -> None:
    with pytest.raises(
        ConfigurationError, match=r"Unbekanntes Profil 'bayern'\. Verfügbar: hessen, nrw, niedersachsen"
    ):
        load_profile("bayern")


@pytest.mark.parametrize("name", PROFILE_NAMES)
def test_every_paper_kind_has_a_default_beratungsfolge(name: str) -> None:
    assert set(load_profile(name).beratungsfolge) == set(PaperKind)


@pytest.mark.parametrize("name", PROFILE_NAMES)
def test_the_assembly_may_decide_and_committees_only_by_delegation(name: str) -> None:
    profile = load_profile(name)
    assert profile.body_kinds[BodyKind.assembly].may_decide
    assert not profile.body_kinds[BodyKind.committee].may_decide
    assert profile.settings_for(BodyKind.assembly).tie_rule is TieRule.rejected
    assert profile.settings_for(BodyKind.assembly).public


# --------------------------------------------------------------------------- Hessen


def test_hessen_magistrat_meets_in_private_and_its_chair_decides_a_tie(hessen: Profile) -> None:
    settings = hessen.settings_for(BodyKind.executive)
    assert settings.public is False
    assert settings.tie_rule is TieRule.chair_decides
    assert hessen.body_kinds[BodyKind.executive].label == "Magistrat"
    assert hessen.body_kinds[BodyKind.executive].may_decide


def test_tie_vote_is_rejected_in_the_hessen_assembly_and_committees(hessen: Profile) -> None:
    assert hessen.settings_for(BodyKind.assembly).tie_rule is TieRule.rejected
    assert hessen.settings_for(BodyKind.committee).tie_rule is TieRule.rejected
    assert hessen.body_kinds[BodyKind.assembly].label == "Stadtverordnetenversammlung"


def test_hessen_has_no_main_committee(hessen: Profile) -> None:
    assert BodyKind.main_committee not in hessen.body_kinds


def test_hessen_notice_periods_follow_section_58_hgo(hessen: Profile) -> None:
    assert hessen.notice is not None
    regular = hessen.notice.regular
    assert (regular.reference, regular.counting, regular.amount) == (
        NoticeReference.receipt,
        NoticeCounting.full_days_between,
        3,
    )
    assert regular.describe() == "3 volle Tage zwischen Zugang und Sitzungstag"
    assert hessen.notice.urgent is not None
    assert hessen.notice.urgent.amount == 0
    assert hessen.notice.second_session is not None
    assert hessen.notice.second_session.amount == 1


def test_hessen_late_items_need_two_thirds_of_the_statutory_members(hessen: Profile) -> None:
    assert hessen.late_item_fraction_of_statutory == Fraction(2, 3)


# --------------------------------------------------------------------------- NRW and Niedersachsen


def test_niedersachsen_verwaltungsausschuss_meets_in_private(niedersachsen: Profile) -> None:
    settings = niedersachsen.settings_for(BodyKind.main_committee)
    assert settings.public is False
    assert settings.tie_rule is TieRule.rejected
    assert niedersachsen.body_kinds[BodyKind.main_committee].label == "Verwaltungsausschuss"
    assert niedersachsen.body_kinds[BodyKind.main_committee].may_decide


def test_nrw_hfa_decides_only_by_the_urgent_procedure_of_section_60(nrw: Profile) -> None:
    # § 60 Abs. 1 GO NRW: the HFA decides matters of the Rat only when the Rat cannot be convened in time
    # (Satz 1), else the mayor with one Ratsmitglied (Satz 2); the Rat approves or revokes (Satz 3 und 4).
    assert not nrw.body_kinds[BodyKind.main_committee].may_decide
    urgent = nrw.urgent_decision
    assert urgent is not None
    assert (urgent.instead_of, urgent.body_kind) == (BodyKind.assembly, BodyKind.main_committee)
    assert (urgent.legal_basis, urgent.text_checked) == ("§ 60 Abs. 1 Satz 1 GO NRW", True)
    assert (urgent.mayor.with_member_of, urgent.mayor.legal_basis) == (
        BodyKind.assembly,
        "§ 60 Abs. 1 Satz 2 GO NRW",
    )
    follow_up = urgent.follow_up
    assert (follow_up.kind, follow_up.role, follow_up.legal_basis) == (
        BodyKind.assembly,
        ConsultationRole.approval,
        "§ 60 Abs. 1 Satz 3 und 4 GO NRW",
    )


def test_niedersachsen_eilentscheidung_informs_the_rat_without_approval(niedersachsen: Profile) -> None:
    # § 89 NKomVG: the Hauptausschuss (Verwaltungsausschuss) decides; else the Hauptverwaltungsbeamte with a
    # deputy, who informs the Vertretung and the Hauptausschuss. No approval step.
    urgent = niedersachsen.urgent_decision
    assert urgent is not None
    assert (urgent.instead_of, urgent.body_kind, urgent.legal_basis) == (
        BodyKind.assembly,
        BodyKind.main_committee,
        "§ 89 Satz 1 NKomVG",
    )
    assert (urgent.follow_up.kind, urgent.follow_up.role) == (BodyKind.assembly, ConsultationRole.notice)
    assert urgent.mayor.informs == (BodyKind.main_committee,)
    assert (
        not urgent.follow_up.text_checked
    )  # informing the Rat of the Hauptausschuss's decision: an assumption


def test_hessen_the_mayor_alone_reports_to_the_magistrat_unchecked(hessen: Profile) -> None:
    # § 70 Abs. 3 HGO could not be read in the statute's text: every part says so.
    urgent = hessen.urgent_decision
    assert urgent is not None
    assert (urgent.instead_of, urgent.body_kind, urgent.mayor.with_member_of) == (
        BodyKind.executive,
        None,
        None,
    )
    assert (urgent.follow_up.kind, urgent.follow_up.role) == (BodyKind.executive, ConsultationRole.notice)
    assert not any(rule.text_checked for rule in (urgent, urgent.mayor, urgent.follow_up))
    assert urgent.cite() == "§ 70 Abs. 3 HGO (Wortlaut nicht geprüft)"


def test_an_urgent_procedure_must_use_declared_body_kinds(hessen: Profile) -> None:
    data = hessen.model_dump(mode="json")
    data["urgent_decision"]["body_kind"] = "main_committee"
    with pytest.raises(ValidationError, match="not declared in body_kinds: main_committee"):
        Profile.model_validate(data)


def test_nrw_haupt_und_finanzausschuss_meets_in_public(nrw: Profile) -> None:
    assert nrw.settings_for(BodyKind.main_committee).public is True
    assert nrw.body_kinds[BodyKind.main_committee].label == "Haupt- und Finanzausschuss"
    assert BodyKind.executive not in nrw.body_kinds


def test_nrw_sets_no_notice_period_of_its_own(nrw: Profile) -> None:
    # The GO NRW sets none: each council's Geschäftsordnung does, and the municipality file carries it.
    assert nrw.notice is None
    assert nrw.notice_set_by is not None
    assert "Geschäftsordnung" in nrw.notice_set_by.legal_basis
    with pytest.raises(ConfigurationError) as refused:
        nrw.notice_for(nrw.settings_for(BodyKind.committee))
    assert "keine Ladungsfrist festgelegt" in refused.value.german


def test_niedersachsen_regular_notice_is_a_week_including_the_meeting_day(niedersachsen: Profile) -> None:
    assert niedersachsen.notice is not None
    assert niedersachsen.notice.regular.describe() == "7 Tage ab Zugang einschließlich des Sitzungstags"


def test_no_tie_is_decided_by_the_chair_outside_the_hessen_magistrat() -> None:
    chair_decides = [
        (name, kind)
        for name in PROFILE_NAMES
        for kind, spec in load_profile(name).body_kinds.items()
        if spec.settings.tie_rule is TieRule.chair_decides
    ]
    assert chair_decides == [("hessen", BodyKind.executive)]


# --------------------------------------------------------------------------- quorum


@pytest.mark.parametrize(
    ("statutory", "minimum"), [(59, 30), (13, 7), (12, 7), (11, 6), (75, 38), (1, 1), (2, 2)]
)
@pytest.mark.parametrize("name", PROFILE_NAMES)
def test_the_quorum_minimum_is_more_than_half_of_the_statutory_members(
    name: str, statutory: int, minimum: int
) -> None:
    assert load_profile(name).quorum.minimum_present(statutory) == minimum


def test_a_quorum_fraction_is_read_from_text() -> None:
    assert QuorumRule.model_validate({"more_than_fraction": "2/3"}).more_than_fraction == Fraction(2, 3)
    assert QuorumRule.model_validate({"more_than_fraction": "2/3"}).minimum_present(12) == 9


@pytest.mark.parametrize("value", ["3/2", "0", "1", 1.5])
def test_a_quorum_fraction_outside_zero_and_one_is_refused(value: object) -> None:
    with pytest.raises(ValidationError, match="must lie between 0 and 1"):
        QuorumRule.model_validate({"more_than_fraction": value})


# --------------------------------------------------------------------------- per-body overrides


def test_a_body_may_override_publicity_and_tie_rule(hessen: Profile) -> None:
    override = BodySettingsOverride(public=False, tie_rule=TieRule.chair_decides)
    settings = hessen.settings_for(BodyKind.committee, override)
    assert (settings.public, settings.tie_rule) == (False, TieRule.chair_decides)
    # Unset fields keep the profile's value; the profile itself is unchanged.
    assert settings.reminder_offsets_days == (7, 1)
    assert hessen.settings_for(BodyKind.committee).public is True


def test_without_a_notice_override_a_body_uses_the_profiles_notice_rules(niedersachsen: Profile) -> None:
    assert niedersachsen.notice_for(niedersachsen.settings_for(BodyKind.committee)) is niedersachsen.notice


def test_a_body_may_override_the_notice_rules(nrw: Profile) -> None:
    wesel_like = NoticeRules(regular=NoticeRule(counting="including_meeting_day", amount=9))
    settings = nrw.settings_for(BodyKind.committee, BodySettingsOverride(notice=wesel_like))
    notice = nrw.notice_for(settings)
    assert isinstance(notice, NoticeRules)
    assert notice.regular.amount == 9


# --------------------------------------------------------------------------- broken profile files


def test_a_profile_template_with_an_undeclared_body_kind_is_refused(tmp_path: Path) -> None:
    text = (PROFILE_DIR / "hessen.yaml").read_text(encoding="utf-8")
    broken = text.replace(
        "    - [{kind: executive, role: preliminary}]", "    - [{kind: main_committee, role: preliminary}]"
    )
    assert broken != text
    path = tmp_path / "hessen.yaml"
    path.write_text(broken, encoding="utf-8")
    with pytest.raises(ConfigurationError) as info:
        load_yaml_model(path, Profile)
    assert str(path) in str(info.value)
    assert "body kind 'main_committee' is not declared in body_kinds" in str(info.value)


# --------------------------------------------------------------------------- default plans: Hessen


def test_hessen_beschlussvorlage_with_financial_impact_passes_magistrat_committees_finance_assembly(
    hessen: Profile,
) -> None:
    plan = default_plan(hessen, BV, HESSEN_BODIES, chosen=["sjs", "kfp"], financial_impact=True)
    assert _shape(plan) == [
        [("magistrat", PRE)],
        [("sjs", PRE), ("kfp", PRE)],
        [("fwa", PRE)],
        [("stvv", DEC)],
    ]
    assert [step.authoritative for stage in plan for step in stage] == [False, False, False, False, True]


def test_hessen_beschlussvorlage_without_financial_impact_has_no_finance_stage(hessen: Profile) -> None:
    plan = default_plan(hessen, BV, HESSEN_BODIES, chosen=["sjs", "kfp"])
    assert _shape(plan) == [[("magistrat", PRE)], [("sjs", PRE), ("kfp", PRE)], [("stvv", DEC)]]


def test_the_chosen_committees_keep_the_order_in_which_they_were_named(hessen: Profile) -> None:
    plan = default_plan(hessen, BV, HESSEN_BODIES, chosen=["kfp", "sjs"])
    assert _shape(plan)[1] == [("kfp", PRE), ("sjs", PRE)]


def test_a_chosen_finance_committee_is_not_planned_twice(hessen: Profile) -> None:
    plan = default_plan(hessen, BV, HESSEN_BODIES, chosen=["sjs", "fwa"], financial_impact=True)
    assert _shape(plan) == [[("magistrat", PRE)], [("sjs", PRE), ("fwa", PRE)], [("stvv", DEC)]]


def test_a_chosen_ortsbeirat_is_heard_in_its_own_stage_before_the_assembly(hessen: Profile) -> None:
    plan = default_plan(hessen, BV, HESSEN_BODIES, chosen=["sjs", "obr_mitte"], financial_impact=True)
    assert _shape(plan) == [
        [("magistrat", PRE)],
        [("sjs", PRE)],
        [("fwa", PRE)],
        [("obr_mitte", HEAR)],
        [("stvv", DEC)],
    ]


def test_a_matter_delegated_to_a_committee_is_decided_there_and_later_stages_are_dropped(
    hessen: Profile,
) -> None:
    plan = default_plan(hessen, BV, HESSEN_BODIES, chosen=["sjs"], financial_impact=True, decided_by="sjs")
    assert _shape(plan) == [[("magistrat", PRE)], [("sjs", DEC)]]
    assert plan[-1][0].authoritative


def test_a_delegated_committee_that_shares_its_stage_cannot_decide(hessen: Profile) -> None:
    with pytest.raises(PlanInvalid, match="shares its stage with other bodies"):
        default_plan(hessen, BV, HESSEN_BODIES, chosen=["sjs", "kfp"], decided_by="sjs")


def test_a_deciding_body_outside_the_default_plan_replaces_the_assembly(hessen: Profile) -> None:
    plan = default_plan(hessen, BV, HESSEN_BODIES, chosen=["sjs"], decided_by="kfp")
    assert _shape(plan) == [[("magistrat", PRE)], [("sjs", PRE)], [("kfp", DEC)]]


def test_the_magistrat_deciding_in_its_own_competence_is_the_only_step(hessen: Profile) -> None:
    plan = default_plan(hessen, BV, HESSEN_BODIES, chosen=["sjs"], decided_by="magistrat")
    assert _shape(plan) == [[("magistrat", DEC)]]


def test_an_unknown_deciding_body_is_refused(hessen: Profile) -> None:
    with pytest.raises(PlanInvalid, match="Unknown deciding body \\(Gremium\\) 'hfa'"):
        default_plan(hessen, BV, HESSEN_BODIES, chosen=["sjs"], decided_by="hfa")


def test_an_unknown_chosen_committee_is_refused(hessen: Profile) -> None:
    with pytest.raises(PlanInvalid, match="Unknown bodies \\(Gremien\\): xyz") as info:
        default_plan(hessen, BV, HESSEN_BODIES, chosen=["sjs", "xyz"])
    assert info.value.details == {"unknown": ["xyz"]}


def test_a_plan_needing_a_body_kind_the_municipality_lacks_is_refused(hessen: Profile) -> None:
    with pytest.raises(PlanInvalid, match="no body of kind 'executive'"):
        default_plan(hessen, BV, [SJS, STVV], chosen=["sjs"])


def test_hessen_mitteilungsvorlage_goes_to_magistrat_and_assembly_for_notice_without_a_decision(
    hessen: Profile,
) -> None:
    plan = default_plan(hessen, MV, HESSEN_BODIES)
    assert _shape(plan) == [[("magistrat", NOTE)], [("stvv", NOTE)]]
    assert not any(step.authoritative for stage in plan for step in stage)


def test_a_mitteilungsvorlage_cannot_be_given_a_deciding_body(hessen: Profile) -> None:
    with pytest.raises(PlanInvalid, match="is not decided"):
        default_plan(hessen, MV, HESSEN_BODIES, decided_by="stvv")


def test_hessen_antrag_goes_through_the_chosen_committees_to_the_assembly(hessen: Profile) -> None:
    plan = default_plan(hessen, ANTRAG, HESSEN_BODIES, chosen=["sjs"])
    assert _shape(plan) == [[("sjs", PRE)], [("stvv", DEC)]]


def test_hessen_aenderungsantrag_and_anfrage_go_to_the_assembly_only(hessen: Profile) -> None:
    assert _shape(default_plan(hessen, PaperKind.aenderungsantrag, HESSEN_BODIES)) == [[("stvv", DEC)]]
    assert _shape(default_plan(hessen, PaperKind.anfrage, HESSEN_BODIES)) == [[("stvv", NOTE)]]


# --------------------------------------------------------------------------- default plans: NRW, Niedersachsen


def test_niedersachsen_beschlussvorlage_goes_committee_verwaltungsausschuss_rat(
    niedersachsen: Profile,
) -> None:
    plan = default_plan(niedersachsen, BV, NDS_BODIES, chosen=["soziales"], financial_impact=True)
    assert _shape(plan) == [[("soziales", PRE)], [("va", PRE)], [("rat", DEC)]]


def test_niedersachsen_verwaltungsausschuss_can_be_the_deciding_step(niedersachsen: Profile) -> None:
    plan = default_plan(niedersachsen, BV, NDS_BODIES, chosen=["soziales", "bauen"], decided_by="va")
    assert _shape(plan) == [[("soziales", PRE), ("bauen", PRE)], [("va", DEC)]]


def test_niedersachsen_mitteilungsvorlage_has_no_authoritative_step(niedersachsen: Profile) -> None:
    plan = default_plan(niedersachsen, MV, NDS_BODIES, chosen=["soziales"])
    assert _shape(plan) == [[("soziales", NOTE)], [("va", NOTE)]]
    assert not any(step.authoritative for stage in plan for step in stage)


def test_niedersachsen_antrag_without_chosen_committees_starts_at_the_verwaltungsausschuss(
    niedersachsen: Profile,
) -> None:
    assert _shape(default_plan(niedersachsen, ANTRAG, NDS_BODIES)) == [[("va", PRE)], [("rat", DEC)]]


def test_nrw_beschlussvorlage_goes_committees_haupt_und_finanzausschuss_rat(nrw: Profile) -> None:
    plan = default_plan(nrw, BV, NRW_BODIES, chosen=["soziales", "schule"])
    assert _shape(plan) == [[("soziales", PRE), ("schule", PRE)], [("hfa", PRE)], [("rat", DEC)]]


def test_nrw_mitteilungsvorlage_has_no_authoritative_step(nrw: Profile) -> None:
    plan = default_plan(nrw, MV, NRW_BODIES, chosen=["schule"])
    assert _shape(plan) == [[("schule", NOTE)], [("rat", NOTE)]]
    assert not any(step.authoritative for stage in plan for step in stage)


def test_nrw_antrag_goes_through_the_chosen_committee_to_the_rat(nrw: Profile) -> None:
    assert _shape(default_plan(nrw, ANTRAG, NRW_BODIES, chosen=["soziales"])) == [
        [("soziales", PRE)],
        [("rat", DEC)],
    ]


@pytest.mark.parametrize(
    ("name", "bodies"),
    [("hessen", HESSEN_BODIES), ("nrw", NRW_BODIES), ("niedersachsen", NDS_BODIES)],
)
@pytest.mark.parametrize("kind", list(PaperKind))
def test_every_default_plan_passes_its_own_check(name: str, bodies: list[Body], kind: PaperKind) -> None:
    committees = [b.key for b in bodies if b.kind == BodyKind.committee][:1]
    plan = default_plan(load_profile(name), kind, bodies, chosen=committees, financial_impact=True)
    check_plan(kind, plan)
    deciding = [step for stage in plan for step in stage if step.authoritative]
    if kind in (BV, ANTRAG, PaperKind.aenderungsantrag):
        assert len(deciding) == 1
        assert plan[-1] == deciding
    else:
        assert deciding == []


# --------------------------------------------------------------------------- check_plan


def _step(body: Body, role: ConsultationRole) -> PlannedStep:
    return PlannedStep(body, role)


def test_a_valid_plan_passes_the_check() -> None:
    check_plan(BV, [[_step(MAGISTRAT, PRE)], [_step(SJS, PRE), _step(KFP, PRE)], [_step(STVV, DEC)]])


def test_a_plan_with_two_deciding_steps_is_invalid() -> None:
    with pytest.raises(PlanInvalid, match="exactly one step with the role 'Entscheidung' \\(found 2\\)"):
        check_plan(BV, [[_step(SJS, DEC)], [_step(STVV, DEC)]])


def test_a_beschlussvorlage_without_a_deciding_step_is_invalid() -> None:
    with pytest.raises(PlanInvalid, match="\\(found 0\\)"):
        check_plan(BV, [[_step(SJS, PRE)], [_step(STVV, PRE)]])


def test_a_deciding_step_that_is_not_last_is_invalid() -> None:
    with pytest.raises(PlanInvalid, match="must stand alone in the last stage"):
        check_plan(BV, [[_step(STVV, DEC)], [_step(SJS, PRE)]])


def test_a_deciding_step_sharing_the_last_stage_is_invalid() -> None:
    with pytest.raises(PlanInvalid, match="must stand alone in the last stage"):
        check_plan(BV, [[_step(MAGISTRAT, PRE)], [_step(SJS, PRE), _step(STVV, DEC)]])


def test_the_same_body_twice_is_invalid() -> None:
    with pytest.raises(PlanInvalid, match="appears twice in the Beratungsfolge: sjs"):
        check_plan(BV, [[_step(SJS, PRE)], [_step(SJS, PRE)], [_step(STVV, DEC)]])


def test_an_empty_stage_is_invalid() -> None:
    with pytest.raises(PlanInvalid, match="no stage may be empty"):
        check_plan(BV, [[_step(SJS, PRE)], [], [_step(STVV, DEC)]])


def test_an_empty_plan_is_invalid() -> None:
    with pytest.raises(PlanInvalid, match="at least one step"):
        check_plan(MV, [])


def test_a_mitteilungsvorlage_with_a_deciding_step_is_invalid() -> None:
    with pytest.raises(PlanInvalid, match="A mitteilungsvorlage is not decided"):
        check_plan(MV, [[_step(MAGISTRAT, NOTE)], [_step(STVV, DEC)]])


def test_a_plan_error_carries_the_plan_invalid_code() -> None:
    with pytest.raises(PlanInvalid) as info:
        check_plan(BV, [])
    assert info.value.code == "plan_invalid"


def test_the_hessen_magistrat_is_quorate_with_at_least_half_of_its_members() -> None:
    hessen = load_profile("hessen")
    magistrat = hessen.quorum_for(hessen.settings_for(BodyKind.executive))
    assert magistrat.minimum_present(12) == 6  # § 68 Abs. 1 HGO: mindestens die Hälfte
    assert magistrat.minimum_present(11) == 6
    assembly = hessen.quorum_for(hessen.settings_for(BodyKind.assembly))
    assert assembly.minimum_present(12) == 7  # § 53 HGO: mehr als die Hälfte


def test_a_body_may_override_the_quorum_rule() -> None:
    nrw = load_profile("nrw")
    rule = QuorumRule.model_validate({"at_least_fraction": "2/3"})
    settings = nrw.settings_for(BodyKind.committee, BodySettingsOverride(quorum=rule))
    assert nrw.quorum_for(settings).minimum_present(15) == 10


# --------------------------------------------------------------------------- the urgent procedure


@pytest.mark.parametrize(
    ("name", "bodies", "expected"),
    [
        ("nrw", NRW_BODIES, [[("hfa", DEC)], [("rat", ConsultationRole.approval)]]),
        ("niedersachsen", NDS_BODIES, [[("va", DEC)], [("rat", NOTE)]]),
        ("hessen", HESSEN_BODIES, [[("magistrat", DEC)], [("magistrat", NOTE)]]),
    ],
)
def test_the_urgent_plan_is_the_urgent_step_then_its_follow_up(
    name: str, bodies: list[Body], expected: list[list[tuple[str, ConsultationRole]]]
) -> None:
    plan = urgent_plan(load_profile(name), BV, bodies, reason="Die Frist läuft ab.")
    assert _shape(plan) == expected
    (decision,), (follow_up,) = plan
    assert (decision.urgency, decision.urgency_reason, follow_up.urgency) == (
        Urgency.decision,
        "Die Frist läuft ab.",
        Urgency.follow_up,
    )
    check_plan(BV, plan)


def test_the_urgent_plan_needs_a_reason_and_a_paper_that_is_decided(nrw: Profile) -> None:
    with pytest.raises(PlanInvalid, match=r"§ 60 Abs\. 1 Satz 1 GO NRW"):
        urgent_plan(nrw, BV, NRW_BODIES, reason=" ")
    with pytest.raises(PlanInvalid, match="not decided"):
        urgent_plan(nrw, MV, NRW_BODIES, reason="Eilt.")


def test_a_follow_up_without_an_urgent_decision_before_it_is_invalid() -> None:
    follow_up = PlannedStep(STVV, ConsultationRole.approval, Urgency.follow_up)
    with pytest.raises(PlanInvalid, match="follow-up of an urgent decision"):
        check_plan(BV, [[_step(STVV, DEC)], [follow_up]])


def test_the_role_approval_belongs_to_the_follow_up_of_an_urgent_decision_only() -> None:
    with pytest.raises(PlanInvalid, match="Only the step after an urgent decision"):
        check_plan(BV, [[_step(NRW_SOZ, ConsultationRole.approval)], [_step(NRW_RAT, DEC)]])
