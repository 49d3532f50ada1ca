"""The municipality file: a YAML file that picks a profile and declares departments, factions, persons,
bodies and their members, with per-body overrides of the profile's settings.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from workflow.config_files import Location, parse_yaml, raise_for, validate
from workflow.errors import ConfigurationError
from workflow.profile import PROFILE_NAMES, BodySettingsOverride, NoticeRules, Profile, load_profile
from workflow.vocabulary import BodyKind, MembershipRole

EXAMPLES_DIR = Path(__file__).parent / "municipalities"
EXAMPLES = ("wetzlar", "duisburg", "wilhelmshaven")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class PortalSpec(_Strict):
    """What the municipality publishes on its public portal (the Bürgerinfo) besides the council's record.
    Each is optional; a page whose text is not set says so."""

    impressum: str | None = None  # Anbieterkennzeichnung (§ 5 DDG): who runs the portal, address, contact
    privacy: str | None = None  # Datenschutzerklärung (Art. 13 DSGVO)
    sign_language_url: str | None = None  # a video in Deutscher Gebärdensprache explaining the portal
    sign_language_text: str | None = None  # what the video shows, or where else to find it


class MunicipalitySpec(_Strict):
    key: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]*$")
    name: str
    short_name: str
    profile: str
    website: str | None = None
    portal: PortalSpec = PortalSpec()


class DepartmentSpec(_Strict):
    key: str
    name: str
    short_name: str | None = None
    email: str | None = None


class FactionSpec(_Strict):
    key: str
    name: str
    short_name: str


class PersonSpec(_Strict):
    key: str
    given_name: str
    family_name: str
    title: str | None = None
    function: str | None = None
    email: str | None = None


class MemberSpec(_Strict):
    person: str
    role: MembershipRole = MembershipRole.member
    voting: bool | None = None  # default: members and chairs vote, substitutes stand in, advisory do not
    faction: str | None = None
    substitute_of: str | None = None
    since: dt.date | None = None
    until: dt.date | None = None

    @property
    def voting_right(self) -> bool:
        if self.voting is not None:
            return self.voting
        return self.role in (
            MembershipRole.chair,
            MembershipRole.deputy_chair,
            MembershipRole.member,
            MembershipRole.substitute,
        )


class BodySpec(_Strict):
    key: str
    kind: BodyKind
    name: str
    short_name: str
    statutory_members: int = Field(gt=0, le=10_000)
    tags: tuple[str, ...] = ()
    settings: BodySettingsOverride = BodySettingsOverride()
    members: tuple[MemberSpec, ...] = ()


class MunicipalityFile(_Strict):
    municipality: MunicipalitySpec
    term_start: dt.date  # start of the legislative term: default start of every membership
    # The notice periods of the council's Geschäftsordnung, for every body that does not set its own; required
    # where the state's law sets none (NRW), each rule with its place in the Geschäftsordnung (legal_basis).
    notice: NoticeRules | None = None
    departments: tuple[DepartmentSpec, ...] = Field(min_length=1)
    factions: tuple[FactionSpec, ...] = ()
    persons: tuple[PersonSpec, ...] = ()
    bodies: tuple[BodySpec, ...] = Field(min_length=1)


def _duplicates(keys: list[str]) -> set[str]:
    return {k for k, n in Counter(keys).items() if n > 1}


def _notice_problems(spec: MunicipalityFile, profile: Profile) -> list[tuple[Location, str]]:
    """Where the profile sets no notice period, the file must; every period the file sets names its basis."""
    problems: list[tuple[Location, str]] = []
    places: list[tuple[Location, NoticeRules]] = [(("notice",), spec.notice)] if spec.notice else []
    places += [
        (("bodies", i, "settings", "notice"), b.settings.notice)
        for i, b in enumerate(spec.bodies)
        if b.settings.notice
    ]
    for at, rules in places:
        for name in ("regular", "urgent", "second_session"):
            rule = getattr(rules, name)
            if rule is not None and not rule.legal_basis.strip():
                problems.append(
                    (
                        (*at, name, "legal_basis"),
                        "Fundstelle fehlt: bitte angeben, wo die Geschäftsordnung diese Frist regelt "
                        "(legal_basis, z. B. '§ 1 Abs. 3 GeschO Rat')",
                    )
                )
    if profile.notice is None and spec.notice is None:
        without = [b.key for b in spec.bodies if b.settings.notice is None]
        if without:
            basis = profile.notice_set_by.legal_basis if profile.notice_set_by else "Geschäftsordnung"
            problems.append(
                (
                    ("municipality", "profile"),
                    f"Das Profil {profile.label} legt keine Ladungsfrist fest; maßgeblich ist: {basis}. "
                    "Bitte unter 'notice' die Fristen der Geschäftsordnung eintragen (regular, urgent, "
                    "second_session, jeweils mit legal_basis); ohne Frist sind: " + ", ".join(without),
                )
            )
    return problems


def _cross_check(spec: MunicipalityFile, profile: Profile) -> list[tuple[Location, str]]:
    problems: list[tuple[Location, str]] = _notice_problems(spec, profile)
    sections: dict[str, list[str]] = {
        "departments": [d.key for d in spec.departments],
        "factions": [f.key for f in spec.factions],
        "persons": [p.key for p in spec.persons],
        "bodies": [b.key for b in spec.bodies],
    }
    for section, keys in sections.items():
        dupes = _duplicates(keys)
        for index, key in enumerate(keys):
            if key in dupes:
                problems.append(((section, index, "key"), f"Schlüssel '{key}' ist doppelt vergeben"))
    persons = {p.key for p in spec.persons}
    factions = {f.key for f in spec.factions}
    for b_index, body in enumerate(spec.bodies):
        at: Location = ("bodies", b_index)
        if body.kind not in profile.body_kinds:
            problems.append(
                (
                    (*at, "kind"),
                    f"Gremienart '{body.kind.value}' gibt es im Profil "
                    f"'{profile.name}' nicht; erlaubt: "
                    f"{', '.join(k.value for k in profile.body_kinds)}",
                )
            )
        voting_regular = 0
        seen: list[str] = []
        for m_index, member in enumerate(body.members):
            m_at: Location = (*at, "members", m_index)
            if member.person not in persons:
                problems.append(((*m_at, "person"), f"unbekannte Person '{member.person}'"))
            if member.faction is not None and member.faction not in factions:
                problems.append(((*m_at, "faction"), f"unbekannte Fraktion '{member.faction}'"))
            if member.substitute_of is not None:
                if member.role is not MembershipRole.substitute:
                    problems.append(((*m_at, "substitute_of"), "nur für role: substitute"))
                elif member.substitute_of not in {m.person for m in body.members}:
                    problems.append(
                        (
                            (*m_at, "substitute_of"),
                            f"'{member.substitute_of}' ist nicht Mitglied dieses Gremiums",
                        )
                    )
            if member.substitute_of is not None and member.substitute_of == member.person:
                problems.append(((*m_at, "substitute_of"), "niemand vertritt sich selbst"))
            if member.until and member.until < (member.since or spec.term_start):
                problems.append(((*m_at, "until"), "endet vor dem Beginn"))
            if member.role is not MembershipRole.substitute and member.voting_right and member.until is None:
                voting_regular += 1
            if member.person in seen and member.role is not MembershipRole.substitute:
                problems.append(((*m_at, "person"), f"'{member.person}' ist doppelt Mitglied"))
            seen.append(member.person)
        if voting_regular > body.statutory_members:
            problems.append(
                (
                    (*at, "statutory_members"),
                    f"{voting_regular} stimmberechtigte Mitglieder, aber gesetzliche Mitgliederzahl "
                    f"{body.statutory_members}",
                )
            )
    return problems


def read_municipality_file(path: Path) -> tuple[MunicipalityFile, Profile]:
    """Read and check a municipality file; any problem raises ConfigurationError naming file, line and key."""
    data, lines = parse_yaml(path)
    spec = validate(path, data, lines, MunicipalityFile)
    if spec.municipality.profile not in PROFILE_NAMES:
        raise_for(
            path,
            lines,
            [
                (
                    ("municipality", "profile"),
                    f"unbekanntes Profil '{spec.municipality.profile}'; verfügbar: "
                    f"{', '.join(PROFILE_NAMES)}",
                )
            ],
        )
    profile = load_profile(spec.municipality.profile)
    raise_for(path, lines, _cross_check(spec, profile))
    return spec, profile


def example_path(name: str) -> Path:
    if name not in EXAMPLES:
        raise ConfigurationError(f"Unbekanntes Beispiel '{name}'. Verfügbar: {', '.join(EXAMPLES)}")
    return EXAMPLES_DIR / f"{name}.yaml"
