"""Municipality files: the shipped examples, and broken files whose errors name file, line, key and problem."""

from __future__ import annotations

from pathlib import Path

import pytest

from workflow.errors import ConfigurationError
from workflow.municipality import (
    EXAMPLES,
    MemberSpec,
    MunicipalityFile,
    example_path,
    read_municipality_file,
)
from workflow.vocabulary import BodyKind, MembershipRole

# --------------------------------------------------------------------------- the shipped examples

EXPECTED_PROFILE = {"wetzlar": "hessen", "duisburg": "nrw", "wilhelmshaven": "niedersachsen"}


def _regular_voting(members: tuple[MemberSpec, ...]) -> int:
    """Members with a vote of their own: not substitutes, not advisory, membership not ended."""
    return sum(
        1 for m in members if m.role is not MembershipRole.substitute and m.voting_right and m.until is None
    )


@pytest.mark.parametrize("name", EXAMPLES)
def test_each_shipped_example_loads_with_its_states_profile(name: str) -> None:
    spec, profile = read_municipality_file(example_path(name))
    assert spec.municipality.key == name
    assert profile.name == EXPECTED_PROFILE[name]
    assert spec.bodies


@pytest.mark.parametrize("name", EXAMPLES)
def test_each_body_of_the_examples_has_exactly_its_statutory_number_of_voting_members(name: str) -> None:
    spec, _ = read_municipality_file(example_path(name))
    counts = {b.key: (_regular_voting(b.members), b.statutory_members) for b in spec.bodies}
    assert all(voting == statutory for voting, statutory in counts.values()), counts


@pytest.mark.parametrize("name", EXAMPLES)
def test_every_body_kind_of_the_examples_exists_in_its_profile(name: str) -> None:
    spec, profile = read_municipality_file(example_path(name))
    assert {b.kind for b in spec.bodies} <= set(profile.body_kinds)


def test_wetzlar_has_the_bodies_of_the_seed_beratungsfolge() -> None:
    spec, _ = read_municipality_file(example_path("wetzlar"))
    bodies = {b.key: b for b in spec.bodies}
    assert [(b.name, b.kind) for b in spec.bodies] == [
        ("Magistrat", BodyKind.executive),
        ("Sozial-, Jugend- und Sportausschuss", BodyKind.committee),
        ("Kultur-, Freizeit- und Partnerschaftsausschuss", BodyKind.committee),
        ("Finanz- und Wirtschaftsausschuss", BodyKind.committee),
        ("Stadtverordnetenversammlung", BodyKind.assembly),
    ]
    assert bodies["fwa"].tags == ("finance",)
    assert (bodies["magistrat"].statutory_members, bodies["stvv"].statutory_members) == (12, 59)


def test_wilhelmshaven_has_a_verwaltungsausschuss_with_key_va() -> None:
    spec, _ = read_municipality_file(example_path("wilhelmshaven"))
    assert [b.kind for b in spec.bodies if b.key == "va"] == [BodyKind.main_committee]


def test_an_unknown_example_name_is_a_configuration_error() -> None:
    with pytest.raises(ConfigurationError, match="Unbekanntes Beispiel 'marburg'"):
        example_path("marburg")


# --------------------------------------------------------------------------- a small valid file to break

# Line numbers matter: the tests below break one numbered line and expect that number in the message.
LINES: tuple[str, ...] = (
    "municipality: {key: musterstadt, name: Stadt Musterstadt, short_name: Musterstadt, profile: hessen}",  # 1
    "term_start: 2021-04-01",  # 2
    "departments:",  # 3
    "  - {key: hauptamt, name: Hauptamt}",  # 4
    "factions:",  # 5
    "  - {key: spd, name: SPD-Fraktion, short_name: SPD}",  # 6
    "  - {key: cdu, name: CDU-Fraktion, short_name: CDU}",  # 7
    "persons:",  # 8
    "  - {key: anna, given_name: Anna, family_name: Adler}",  # 9
    "  - {key: bernd, given_name: Bernd, family_name: Berg}",  # 10
    "  - {key: clara, given_name: Clara, family_name: Conrad}",  # 11
    "  - {key: dirk, given_name: Dirk, family_name: Dorn}",  # 12
    "  - {key: erik, given_name: Erik, family_name: Eck}",  # 13
    "bodies:",  # 14
    "  - key: magistrat",  # 15
    "    kind: executive",  # 16
    "    name: Magistrat",  # 17
    "    short_name: Mag",  # 18
    "    statutory_members: 3",  # 19
    "    tags: []",  # 20
    "    members:",  # 21
    "      - {person: anna, role: chair}",  # 22
    "      - {person: bernd, faction: spd}",  # 23
    "      - {person: clara, faction: cdu}",  # 24
    "      - {person: dirk, role: substitute, faction: spd, substitute_of: bernd}",  # 25
    "  - key: bau",  # 26
    "    kind: committee",  # 27
    "    name: Bauausschuss",  # 28
    "    short_name: BauA",  # 29
    "    statutory_members: 2",  # 30
    "    members:",  # 31
    "      - {person: bernd, role: chair, faction: spd}",  # 32
    "      - {person: clara, faction: cdu}",  # 33
    "      - {person: erik, role: advisory}",  # 34
)


def _write(tmp_path: Path, changes: dict[int, tuple[str, str]] | None = None) -> Path:
    """Write the file with ``changes`` {line number: (expected old text, new text)} applied."""
    lines = list(LINES)
    for number, (old, new) in (changes or {}).items():
        assert lines[number - 1] == old, f"line {number} is {lines[number - 1]!r}, not {old!r}"
        lines[number - 1] = new
    path = tmp_path / "musterstadt.yaml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _error(path: Path) -> ConfigurationError:
    with pytest.raises(ConfigurationError) as info:
        read_municipality_file(path)
    return info.value


def test_the_small_file_is_valid_and_counts_only_regular_voting_members(tmp_path: Path) -> None:
    spec, profile = read_municipality_file(_write(tmp_path))
    assert isinstance(spec, MunicipalityFile)
    assert profile.name == "hessen"
    # Magistrat: 3 voting + 1 substitute; Bauausschuss: 2 voting + 1 advisory member.
    assert [(_regular_voting(b.members), b.statutory_members) for b in spec.bodies] == [(3, 3), (2, 2)]


def test_a_yaml_syntax_error_names_the_file_and_its_line(tmp_path: Path) -> None:
    path = _write(tmp_path, {17: ("    name: Magistrat", "    name: Magistrat: der Stadt")})
    error = _error(path)
    assert str(error) == f"{path}, Zeile 17: kein gültiges YAML (mapping values are not allowed here)"
    assert error.details == {"file": str(path), "line": 17}


def test_a_tab_in_the_indentation_names_its_line(tmp_path: Path) -> None:
    path = _write(tmp_path, {20: ("    tags: []", "\ttags: []")})
    assert str(_error(path)).startswith(f"{path}, Zeile 20: kein gültiges YAML")


def test_an_unclosed_brace_names_the_line_where_it_was_opened(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        {
            10: (
                "  - {key: bernd, given_name: Bernd, family_name: Berg}",
                "  - {key: bernd, given_name: Bernd, family_name: Berg",
            )
        },
    )
    assert "Zeile 10" in str(_error(path))


def test_an_unknown_key_is_named_as_a_probable_typo(tmp_path: Path) -> None:
    path = _write(tmp_path, {20: ("    tags: []", "    tag: [finance]")})
    error = _error(path)
    assert str(error) == f"{path}, Zeile 20, bodies[0].tag: unbekannter Schlüssel (Tippfehler?)"
    assert error.details["errors"] == [
        {"line": 20, "key": "bodies[0].tag", "message": "unbekannter Schlüssel (Tippfehler?)"}
    ]


def test_a_typo_in_a_required_key_reports_the_unknown_and_the_missing_key(tmp_path: Path) -> None:
    path = _write(tmp_path, {19: ("    statutory_members: 3", "    statutory_member: 3")})
    assert str(_error(path)).splitlines() == [
        f"{path}, Zeile 15, bodies[0].statutory_members: Pflichtangabe fehlt",
        f"{path}, Zeile 19, bodies[0].statutory_member: unbekannter Schlüssel (Tippfehler?)",
    ]


def test_a_missing_required_key_names_the_entry_it_is_missing_from(tmp_path: Path) -> None:
    path = _write(tmp_path, {18: ("    short_name: Mag", "    # no short name")})
    assert str(_error(path)) == f"{path}, Zeile 15, bodies[0].short_name: Pflichtangabe fehlt"


def test_a_missing_top_level_key_is_named(tmp_path: Path) -> None:
    path = _write(tmp_path, {2: ("term_start: 2021-04-01", "# no term start")})
    assert str(_error(path)) == f"{path}, Zeile 1, term_start: Pflichtangabe fehlt"


def test_a_word_where_a_number_belongs_is_refused_in_german(tmp_path: Path) -> None:
    path = _write(tmp_path, {19: ("    statutory_members: 3", "    statutory_members: zwölf")})
    assert str(_error(path)) == f"{path}, Zeile 19, bodies[0].statutory_members: muss eine ganze Zahl sein"


def test_zero_statutory_members_are_refused(tmp_path: Path) -> None:
    path = _write(tmp_path, {30: ("    statutory_members: 2", "    statutory_members: 0")})
    assert str(_error(path)) == f"{path}, Zeile 30, bodies[1].statutory_members: muss größer als 0 sein"


def test_a_word_where_a_yes_or_no_belongs_is_refused_in_german(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        {
            22: (
                "      - {person: anna, role: chair}",
                "      - {person: anna, role: chair, voting: vielleicht}",
            )
        },
    )
    assert str(_error(path)) == f"{path}, Zeile 22, bodies[0].members[0].voting: muss true oder false sein"


def test_a_wrong_date_is_refused_in_german(tmp_path: Path) -> None:
    path = _write(tmp_path, {2: ("term_start: 2021-04-01", "term_start: 1. April 2021")})
    assert str(_error(path)) == f"{path}, Zeile 2, term_start: muss ein Datum JJJJ-MM-TT sein"


def test_a_mapping_where_a_list_belongs_is_refused_in_german(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        {
            5: ("factions:", "factions: {spd: SPD}"),
            6: ("  - {key: spd, name: SPD-Fraktion, short_name: SPD}", "  # none"),
            7: ("  - {key: cdu, name: CDU-Fraktion, short_name: CDU}", "  # none"),
        },
    )
    assert str(_error(path)) == f"{path}, Zeile 5, factions: muss eine Liste sein"


def test_an_invalid_role_lists_the_allowed_roles(tmp_path: Path) -> None:
    path = _write(
        tmp_path, {22: ("      - {person: anna, role: chair}", "      - {person: anna, role: vorsitz}")}
    )
    message = str(_error(path))
    assert message.startswith(
        f"{path}, Zeile 22, bodies[0].members[0].role: ungültiger Wert 'vorsitz'; erlaubt: "
    )
    assert "'chair'" in message
    assert "'substitute'" in message


def test_an_unknown_body_kind_lists_the_allowed_kinds(tmp_path: Path) -> None:
    path = _write(tmp_path, {27: ("    kind: committee", "    kind: ausschuss")})
    assert str(_error(path)).startswith(
        f"{path}, Zeile 27, bodies[1].kind: ungültiger Wert 'ausschuss'; erlaubt: "
    )


def test_a_body_kind_the_profile_does_not_have_is_refused(tmp_path: Path) -> None:
    path = _write(tmp_path, {27: ("    kind: committee", "    kind: main_committee")})
    assert str(_error(path)) == (
        f"{path}, Zeile 27, bodies[1].kind: Gremienart 'main_committee' gibt es im Profil 'hessen' nicht; "
        "erlaubt: assembly, executive, committee, district, advisory"
    )


def test_an_executive_is_refused_under_the_nrw_profile(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        {
            1: (
                LINES[0],
                "municipality: {key: musterstadt, name: Stadt Musterstadt, short_name: Musterstadt, profile: nrw}",
            )
        },
    )
    assert f"{path}, Zeile 16, bodies[0].kind: Gremienart 'executive' gibt es im Profil 'nrw' nicht" in str(
        _error(path)
    )


def test_a_member_who_is_not_a_known_person_is_refused(tmp_path: Path) -> None:
    path = _write(
        tmp_path, {24: ("      - {person: clara, faction: cdu}", "      - {person: claudia, faction: cdu}")}
    )
    assert str(_error(path)) == f"{path}, Zeile 24, bodies[0].members[2].person: unbekannte Person 'claudia'"


def test_a_member_of_an_unknown_faction_is_refused(tmp_path: Path) -> None:
    path = _write(
        tmp_path, {33: ("      - {person: clara, faction: cdu}", "      - {person: clara, faction: csu}")}
    )
    assert str(_error(path)) == f"{path}, Zeile 33, bodies[1].members[1].faction: unbekannte Fraktion 'csu'"


def test_a_duplicate_key_in_a_section_is_named_at_both_entries(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        {
            7: (
                "  - {key: cdu, name: CDU-Fraktion, short_name: CDU}",
                "  - {key: spd, name: CDU-Fraktion, short_name: CDU}",
            )
        },
    )
    lines = str(_error(path)).splitlines()
    assert f"{path}, Zeile 6, factions[0].key: Schlüssel 'spd' ist doppelt vergeben" in lines
    assert f"{path}, Zeile 7, factions[1].key: Schlüssel 'spd' ist doppelt vergeben" in lines


def test_a_person_who_is_a_member_twice_is_refused(tmp_path: Path) -> None:
    path = _write(
        tmp_path, {33: ("      - {person: clara, faction: cdu}", "      - {person: bernd, faction: spd}")}
    )
    assert str(_error(path)) == f"{path}, Zeile 33, bodies[1].members[1].person: 'bernd' ist doppelt Mitglied"


def test_a_key_written_twice_in_one_mapping_is_refused(tmp_path: Path) -> None:
    path = _write(tmp_path, {20: ("    tags: []", "    name: Magistrat der Stadt")})
    message = str(_error(path))
    assert "Zeile 20" in message
    assert "bodies[0].name" in message


def test_more_voting_members_than_statutory_members_are_refused(tmp_path: Path) -> None:
    path = _write(tmp_path, {19: ("    statutory_members: 3", "    statutory_members: 2")})
    assert str(_error(path)) == (
        f"{path}, Zeile 19, bodies[0].statutory_members: "
        "3 stimmberechtigte Mitglieder, aber gesetzliche Mitgliederzahl 2"
    )


def test_an_advisory_member_without_vote_does_not_count_against_the_statutory_number(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        {
            34: (
                "      - {person: erik, role: advisory}",
                "      - {person: erik, role: advisory, voting: true}",
            )
        },
    )
    assert str(_error(path)) == (
        f"{path}, Zeile 30, bodies[1].statutory_members: "
        "3 stimmberechtigte Mitglieder, aber gesetzliche Mitgliederzahl 2"
    )


def test_a_member_whose_membership_ended_does_not_count_against_the_statutory_number(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        {34: ("      - {person: erik, role: advisory}", "      - {person: erik, until: 2022-06-30}")},
    )
    read_municipality_file(path)


def test_substitute_of_is_only_for_substitutes(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        {
            23: (
                "      - {person: bernd, faction: spd}",
                "      - {person: bernd, faction: spd, substitute_of: clara}",
            )
        },
    )
    assert (
        str(_error(path)) == f"{path}, Zeile 23, bodies[0].members[1].substitute_of: nur für role: substitute"
    )


def test_a_substitute_must_stand_in_for_a_member_of_the_same_body(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        {
            25: (
                "      - {person: dirk, role: substitute, faction: spd, substitute_of: bernd}",
                "      - {person: dirk, role: substitute, faction: spd, substitute_of: erik}",
            )
        },
    )
    assert str(_error(path)) == (
        f"{path}, Zeile 25, bodies[0].members[3].substitute_of: 'erik' ist nicht Mitglied dieses Gremiums"
    )


def test_a_membership_ending_before_it_starts_is_refused(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        {
            22: (
                "      - {person: anna, role: chair}",
                "      - {person: anna, role: chair, since: 2022-01-01, until: 2021-12-31}",
            )
        },
    )
    assert str(_error(path)) == f"{path}, Zeile 22, bodies[0].members[0].until: endet vor dem Beginn"


def test_an_unknown_profile_is_named_with_the_available_ones(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        {
            1: (
                LINES[0],
                "municipality: {key: musterstadt, name: Stadt Musterstadt, short_name: Musterstadt, profile: bayern}",
            )
        },
    )
    assert str(_error(path)) == (
        f"{path}, Zeile 1, municipality.profile: unbekanntes Profil 'bayern'; verfügbar: hessen, nrw, niedersachsen"
    )


def test_several_problems_are_reported_together_each_on_its_own_line(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        {
            24: ("      - {person: clara, faction: cdu}", "      - {person: claudia, faction: cdu}"),
            33: ("      - {person: clara, faction: cdu}", "      - {person: clara, faction: csu}"),
        },
    )
    error = _error(path)
    assert str(error).splitlines() == [
        f"{path}, Zeile 24, bodies[0].members[2].person: unbekannte Person 'claudia'",
        f"{path}, Zeile 33, bodies[1].members[1].faction: unbekannte Fraktion 'csu'",
    ]
    assert [e["line"] for e in error.details["errors"]] == [24, 33]


def test_a_missing_file_is_named(tmp_path: Path) -> None:
    path = tmp_path / "gibt-es-nicht.yaml"
    error = _error(path)
    assert str(error) == f"{path}: Datei nicht gefunden"
    assert error.details == {"file": str(path)}


def test_a_file_that_is_not_utf8_is_named_as_unreadable(tmp_path: Path) -> None:
    path = tmp_path / "latin1.yaml"
    path.write_bytes("municipality: {name: Stadt Gießen}\n".encode("latin-1"))
    assert str(_error(path)).startswith(f"{path}: Datei nicht lesbar")


# --------------------------------------------------------------------------- messages that are not German yet


def test_an_impossible_calendar_date_is_a_configuration_error_with_its_line(tmp_path: Path) -> None:
    path = _write(tmp_path, {2: ("term_start: 2021-04-01", "term_start: 2021-02-30")})
    message = str(_error(path))
    assert message.startswith(f"{path}, Zeile 2")


def test_a_municipality_key_with_capitals_and_spaces_is_refused_in_german(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        {
            1: (
                LINES[0],
                "municipality: {key: Muster Stadt, name: Stadt Musterstadt, short_name: Musterstadt, profile: hessen}",
            )
        },
    )
    message = str(_error(path))
    assert message.startswith(f"{path}, Zeile 1, municipality.key: ")
    assert "should" not in message


def test_an_empty_list_of_departments_is_refused_in_german(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        {3: ("departments:", "departments: []"), 4: ("  - {key: hauptamt, name: Hauptamt}", "  # none")},
    )
    message = str(_error(path))
    assert message.startswith(f"{path}, Zeile 3, departments: ")
    assert "should" not in message


@pytest.mark.parametrize("text", ["", "- wetzlar\n- duisburg\n"], ids=["empty", "list"])
def test_a_file_that_is_not_a_mapping_is_refused_in_german(tmp_path: Path, text: str) -> None:
    path = tmp_path / "leer.yaml"
    path.write_text(text, encoding="utf-8")
    message = str(_error(path))
    assert message.startswith(str(path))
    assert "should" not in message


def test_nobody_stands_in_for_themselves(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        {
            25: (
                "      - {person: dirk, role: substitute, faction: spd, substitute_of: bernd}",
                "      - {person: dirk, role: substitute, faction: spd, substitute_of: dirk}",
            )
        },
    )
    assert "Zeile 25, bodies[0].members[3].substitute_of: niemand vertritt sich selbst" in str(_error(path))


def test_a_membership_cannot_end_before_the_term_starts(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        {
            23: (
                "      - {person: bernd, faction: spd}",
                "      - {person: bernd, faction: spd, until: 2020-12-31}",
            )
        },
    )
    assert str(_error(path)) == f"{path}, Zeile 23, bodies[0].members[1].until: endet vor dem Beginn"


def test_an_error_inside_a_list_is_reported_once_not_also_as_an_empty_list(tmp_path: Path) -> None:
    path = _write(tmp_path, {16: ("    kind: executive", "    kind: boss")})
    message = str(_error(path))
    assert message.startswith(f"{path}, Zeile 16, bodies[0].kind: ungültiger Wert 'boss'")
    assert "darf nicht leer sein" not in message
    assert len(message.splitlines()) == 1


def test_an_absurd_statutory_number_is_refused_before_it_reaches_the_database(tmp_path: Path) -> None:
    path = _write(tmp_path, {19: ("    statutory_members: 3", "    statutory_members: 99999999999")})
    assert str(_error(path)) == f"{path}, Zeile 19, bodies[0].statutory_members: darf höchstens 10000 sein"
