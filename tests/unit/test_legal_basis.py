"""Every rule of the profiles cites its legal basis; qualified majorities; the notice period NRW leaves to the
Geschäftsordnung; the minimum notice period for elections and the Hauptsatzung in Hessen (§ 58 Abs. 3 HGO)."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from workflow.config_files import load_yaml_model
from workflow.errors import ConfigurationError, VoteInconsistent
from workflow.municipality import example_path, read_municipality_file
from workflow.profile import PROFILE_DIR, PROFILE_NAMES, Profile, QualifiedMajority, load_profile
from workflow.rules import check_qualified_majority, meets_qualified_majority
from workflow.vocabulary import BodyKind, Matter, NoticeCounting

# --------------------------------------------------------------------------- every rule cites its basis


@pytest.mark.parametrize("name", PROFILE_NAMES)
def test_every_rule_of_the_profile_names_its_legal_basis(name: str) -> None:
    profile = load_profile(name)
    rules = profile.cited_rules()
    missing = [where for where, rule in rules if rule is None or not rule.legal_basis.strip()]
    assert missing == []
    # Every body kind's publicity and tie rule, and its power to decide where it has one, are among them.
    for kind, spec in profile.body_kinds.items():
        assert set(spec.legal_basis) >= {
            "public",
            "tie_rule",
            *(["may_decide"] if spec.may_decide else []),
        }, kind


@pytest.mark.parametrize("name", PROFILE_NAMES)
def test_a_rule_whose_wording_was_not_checked_is_cited_as_such(name: str) -> None:
    for where, rule in load_profile(name).cited_rules():
        assert rule is not None
        if rule.text_checked:
            assert rule.cite() == rule.legal_basis, where
        else:
            assert rule.cite() == f"{rule.legal_basis} (Wortlaut nicht geprüft)", where


def test_a_profile_with_a_rule_without_legal_basis_is_refused(tmp_path: Path) -> None:
    text = (PROFILE_DIR / "hessen.yaml").read_text(encoding="utf-8")
    broken = text.replace('      tie_rule: {legal_basis: "§ 54 Abs. 1 Satz 2 HGO", text_checked: true}\n', "")
    assert broken != text
    path = tmp_path / "hessen.yaml"
    path.write_text(broken, encoding="utf-8")
    with pytest.raises(ConfigurationError, match=r"body_kinds\.assembly\.legal_basis\.tie_rule"):
        load_yaml_model(path, Profile)


@pytest.mark.parametrize(
    ("name", "cited"),
    [
        ("hessen", "§ 53 Abs. 1 Satz 2 HGO"),
        ("nrw", "§ 49 Abs. 1 GO NRW (Wortlaut nicht geprüft)"),
        ("niedersachsen", "§ 65 Abs. 1 NKomVG (Wortlaut nicht geprüft)"),
    ],
)
def test_the_quorum_established_at_the_opening_cites_its_paragraph(name: str, cited: str) -> None:
    opening = load_profile(name).quorum_at_opening
    assert opening is not None
    assert opening.cite() == cited
    if opening.text_checked:  # read, and the note says where and what
        assert "Der Vorsitzende stellt die Beschlußfähigkeit bei Beginn der Sitzung fest" in opening.note
        assert "https://" in opening.note


def test_the_hessen_magistrat_quorum_and_casting_vote_say_their_wording_was_not_checked() -> None:
    # § 68 HGO could not be read in the statute's own text: "mindestens die Hälfte" and the chair's casting
    # vote stay, marked as assumptions rather than presented as law.
    magistrat = load_profile("hessen").body_kinds[BodyKind.executive]
    quorum = magistrat.settings.quorum
    assert quorum is not None
    assert quorum.legal_basis == "§ 68 Abs. 1 HGO"
    assert not quorum.text_checked
    assert "mindestens" in quorum.note
    assert "mehr als" in quorum.note
    assert "§ 68 nicht" in quorum.note  # where the wording was looked for, and that it was not found
    assert quorum.describe(7) == ("at least 1/2 of 7", "mindestens 1/2 von 7")
    casting = magistrat.legal_basis["tie_rule"]
    assert casting.legal_basis == "§ 68 Abs. 2 HGO"
    assert not casting.text_checked


def test_niedersachsen_cites_section_72_for_the_council_members_attendance() -> None:
    rule = load_profile("niedersachsen").non_public_attendance
    assert rule is not None
    assert (rule.body_kinds, rule.legal_basis, rule.text_checked) == (
        (BodyKind.committee,),
        "§ 72 Abs. 2 Satz 1 NKomVG",
        True,
    )
    assert load_profile("hessen").non_public_attendance is None
    assert load_profile("nrw").non_public_attendance is None


# --------------------------------------------------------------------------- qualified majorities

HAUPTSATZUNG_BASIS = {
    "hessen": ("§ 6 Abs. 2 HGO", False),
    "nrw": ("§ 7 Abs. 3 Satz 2 GO NRW", False),
    "niedersachsen": ("§ 12 Abs. 2 NKomVG", True),
}


@pytest.mark.parametrize("name", PROFILE_NAMES)
def test_the_hauptsatzung_needs_the_majority_of_the_statutory_members(name: str) -> None:
    rule = load_profile(name).qualified_majorities[Matter.hauptsatzung]
    assert (rule.legal_basis, rule.text_checked) == HAUPTSATZUNG_BASIS[name]
    assert rule.describe() == "mehr als 1/2 der gesetzlichen Zahl der Mitglieder"


@pytest.mark.parametrize(
    ("name", "statutory", "yes", "no", "abstain", "met"),
    [
        # Wetzlar: 59 Stadtverordnete; 30 yes are the majority of the statutory number, 29 are not, even
        # when they are a clear majority of the votes cast.
        ("hessen", 59, 30, 0, 0, True),
        ("hessen", 59, 29, 5, 3, False),
        # Duisburg: 75 with the Oberbürgermeister (§ 40 Abs. 2 GO NRW); 38 needed.
        ("nrw", 75, 38, 30, 0, True),
        ("nrw", 75, 37, 10, 2, False),
        # Wilhelmshaven-like Rat of 41: 21 needed.
        ("niedersachsen", 41, 21, 20, 0, True),
        ("niedersachsen", 41, 20, 0, 0, False),
        # More yes than the statutory majority but not more than no: impossible with real counts; still
        # refused (the simple majority must hold too).
        ("niedersachsen", 4, 3, 3, 0, False),
    ],
)
def test_a_qualified_majority_is_decided_from_the_counts_and_the_statutory_members(
    name: str, statutory: int, yes: int, no: int, abstain: int, met: bool
) -> None:
    rule = load_profile(name).qualified_majorities[Matter.hauptsatzung]
    assert meets_qualified_majority(rule, yes=yes, no=no, abstain=abstain, statutory_members=statutory) is met


def test_a_two_thirds_majority_of_the_votes_cast_rounds_up() -> None:
    rule = QualifiedMajority(label="Beispiel", of="votes_cast", at_least="2/3", legal_basis="§ 1 Beispiel")
    assert rule.required_yes(statutory_members=99, votes_cast=10) == 7
    assert meets_qualified_majority(rule, yes=7, no=3, abstain=20, statutory_members=99)
    assert not meets_qualified_majority(rule, yes=6, no=4, abstain=0, statutory_members=99)
    assert not meets_qualified_majority(rule, yes=0, no=0, abstain=5, statutory_members=99)


def test_a_qualified_majority_needs_exactly_one_threshold() -> None:
    with pytest.raises(ValidationError, match="exactly one"):
        QualifiedMajority(label="x", of="votes_cast", legal_basis="§ 1")
    with pytest.raises(ValidationError, match="exactly one"):
        QualifiedMajority(label="x", of="votes_cast", at_least="2/3", more_than="1/2", legal_basis="§ 1")


def test_negative_counts_are_no_input_for_the_qualified_majority() -> None:
    rule = load_profile("hessen").qualified_majorities[Matter.hauptsatzung]
    with pytest.raises(ValueError, match="non-negative"):
        meets_qualified_majority(rule, yes=-1, no=0, abstain=0, statutory_members=59)


@pytest.mark.parametrize("name", PROFILE_NAMES)
def test_a_missed_qualified_majority_is_refused_in_german_naming_the_rule(name: str) -> None:
    rule = load_profile(name).qualified_majorities[Matter.hauptsatzung]
    with pytest.raises(VoteInconsistent) as refused:
        check_qualified_majority(rule, yes=29, no=5, abstain=3, statutory_members=59)
    german = refused.value.german
    assert german.startswith("Hauptsatzung (Beschluss und Änderung): nötig ist eine qualifizierte Mehrheit")
    assert rule.cite() in german
    assert "mindestens 30 Ja-Stimmen bei 59 gesetzlichen Mitgliedern" in german
    assert "29 Ja / 5 Nein / 3 Enthaltungen" in german
    assert refused.value.details["rule"] == "qualified_majority"
    check_qualified_majority(rule, yes=30, no=5, abstain=3, statutory_members=59)


# --------------------------------------------------------------------------- NRW: notice from the Geschäftsordnung


def _duisburg_without_notice(tmp_path: Path, replacement: str = "") -> Path:
    text = example_path("duisburg").read_text(encoding="utf-8")
    start = text.index("notice:\n")
    end = text.index("\ndepartments:")
    path = tmp_path / "duisburg.yaml"
    path.write_text(text[:start] + replacement + text[end:], encoding="utf-8")
    return path


def test_the_duisburg_example_sets_its_notice_period_from_its_geschaeftsordnung() -> None:
    spec, profile = read_municipality_file(example_path("duisburg"))
    assert profile.notice is None
    assert spec.notice is not None
    for rule in (spec.notice.regular, spec.notice.urgent, spec.notice.second_session):
        assert rule is not None
        assert rule.legal_basis == "Geschäftsordnung für den Rat der Stadt Duisburg"
        assert "GO NRW" not in rule.legal_basis  # the second-session period is not § 49 Abs. 2 GO NRW
        assert not rule.text_checked
        assert "nicht eingesehen" in rule.note
    assert (spec.notice.regular.counting, spec.notice.regular.amount) == (NoticeCounting.full_days_between, 8)


def test_an_nrw_file_without_a_notice_period_is_refused_with_a_german_message(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError) as refused:
        read_municipality_file(_duisburg_without_notice(tmp_path))
    message = str(refused.value)
    assert "municipality.profile" in message
    assert "legt keine Ladungsfrist fest" in message
    assert "Bitte unter 'notice' die Fristen der Geschäftsordnung eintragen" in message
    assert "ohne Frist sind: hfa, soziales, schule, rat" in message


def test_an_nrw_file_may_set_the_notice_period_per_body_instead(tmp_path: Path) -> None:
    path = _duisburg_without_notice(tmp_path)
    text = path.read_text(encoding="utf-8")
    per_body = (
        "    settings: {notice: {regular: {reference: dispatch, counting: full_days_between, amount: 8, "
        'legal_basis: "§ 1 GeschO Rat"}}}\n'
    )
    for key in ("hfa", "soziales", "schule", "rat"):
        marker = f"  - key: {key}\n"
        head, tail = text.split(marker, 1)
        first, rest = tail.split("    members:\n", 1)
        text = head + marker + first + per_body + "    members:\n" + rest
    path.write_text(text, encoding="utf-8")
    spec, _ = read_municipality_file(path)
    assert all(b.settings.notice is not None for b in spec.bodies)


def test_a_notice_period_without_its_place_in_the_geschaeftsordnung_is_refused(tmp_path: Path) -> None:
    notice = "notice:\n  regular: {reference: dispatch, counting: full_days_between, amount: 8}\n"
    with pytest.raises(ConfigurationError) as refused:
        read_municipality_file(_duisburg_without_notice(tmp_path, notice))
    assert "notice.regular.legal_basis: Fundstelle fehlt" in str(refused.value)


# --------------------------------------------------------------------------- Hessen § 58 Abs. 3 HGO (profile data)


def test_hessen_elections_and_the_hauptsatzung_have_three_days_notice_without_shortening() -> None:
    rule = load_profile("hessen").matter_notice
    assert rule is not None
    assert rule.matters == (Matter.wahl, Matter.hauptsatzung)
    # Not the Magistrat: § 69 Abs. 2 HGO applies only § 58 Abs. 1 and 2 to it.
    assert rule.body_kinds == (BodyKind.assembly, BodyKind.committee, BodyKind.district)
    assert "§ 69 Abs. 2 HGO" in rule.note
    assert rule.minimum.describe() == "3 volle Tage zwischen Zugang und Sitzungstag"
    assert rule.legal_basis == "§ 58 Abs. 3 HGO"
    assert load_profile("nrw").matter_notice is None
    assert load_profile("niedersachsen").matter_notice is None
