"""Municipal constitutions as data: the schema of a profile (``workflow/profiles/*.yaml``).

A profile holds the rules of one state's municipal code: body kinds and their defaults, the default
Beratungsfolge per paper kind, notice-period rules, the quorum rule, the tie rule per body kind, the matters
that need a qualified majority or a minimum notice period, and who may attend non-public meetings. A
municipality file picks one and may override the body-level settings per body.

Every rule cites its legal basis (``legal_basis``) and says whether that wording was compared with the
statute's own text (``text_checked``); an unchecked rule is cited as "Wortlaut nicht geprüft" wherever a
message names it, so an assumption is never presented as law.
"""

from __future__ import annotations

import math
from fractions import Fraction
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from workflow.vocabulary import (
    MATTER_LABELS,
    BodyKind,
    Channel,
    ConsultationRole,
    Matter,
    NoticeCounting,
    NoticeReference,
    PaperKind,
    TieRule,
)

PROFILE_DIR = Path(__file__).parent / "profiles"
PROFILE_NAMES = ("hessen", "nrw", "niedersachsen")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _fraction(value: object) -> Fraction | None:
    if value is None or isinstance(value, Fraction):
        return value
    if isinstance(value, int | float | str):
        fraction = Fraction(str(value))
        if not 0 < fraction < 1:
            raise ValueError("must lie between 0 and 1, e.g. 1/2")
        return fraction
    raise ValueError("must be a fraction such as 1/2")


class Cited(_Strict):
    """Where a rule comes from: the paragraph, and whether its wording was checked against the statute."""

    legal_basis: str = ""
    text_checked: bool = False  # False: taken second-hand; cited with "Wortlaut nicht geprüft"
    note: str = ""

    def cite(self) -> str:
        """The legal basis as messages print it, e.g. '§ 53 Abs. 1 HGO'."""
        if not self.legal_basis:
            return ""
        return self.legal_basis if self.text_checked else f"{self.legal_basis} (Wortlaut nicht geprüft)"


class NoticeRule(Cited):
    """One notice period (Ladungsfrist): reference event, counting mode and amount."""

    reference: NoticeReference = NoticeReference.receipt
    counting: NoticeCounting
    amount: int = Field(ge=0)

    def describe(self) -> str:
        event = {
            NoticeReference.receipt: "Zugang",
            NoticeReference.dispatch: "Absendung",
            NoticeReference.posting: "Bereitstellung",
        }[self.reference]
        match self.counting:
            case NoticeCounting.full_days_between:
                return f"{self.amount} volle Tage zwischen {event} und Sitzungstag"
            case NoticeCounting.including_meeting_day:
                return f"{self.amount} Tage ab {event} einschließlich des Sitzungstags"
            case NoticeCounting.hours_before_start:
                return f"{self.amount} Stunden zwischen {event} und Sitzungsbeginn"


class NoticeRules(_Strict):
    regular: NoticeRule
    urgent: NoticeRule | None = None  # None: the period cannot be shortened
    second_session: NoticeRule | None = None  # after a failed quorum
    # Calendar days between dispatch and the reference event, per channel; conservative by default.
    receipt_lag_days: dict[Channel, int] = Field(
        default_factory=lambda: {Channel.email: 1, Channel.post: 3, Channel.portal: 0}
    )
    channel: Channel = Channel.email


class QuorumRule(Cited):
    """Beschlussfähigkeit: more than ``more_than_fraction`` of the statutory members present and entitled to
    vote, or, where ``at_least_fraction`` is set, at least that fraction (Hessen Magistrat, § 68 Abs. 1 HGO)."""

    more_than_fraction: Fraction = Fraction(1, 2)
    at_least_fraction: Fraction | None = None
    second_session_always_quorate: bool = True

    @field_validator("more_than_fraction", "at_least_fraction", mode="before")
    @classmethod
    def _parse_fraction(cls, value: object) -> Fraction | None:
        return _fraction(value)

    def minimum_present(self, statutory_members: int) -> int:
        """Smallest head count that satisfies the rule for this statutory number of members."""
        if self.at_least_fraction is not None:
            return math.ceil(self.at_least_fraction * statutory_members)
        return int(self.more_than_fraction * statutory_members) + 1

    def describe(self, statutory_members: int) -> tuple[str, str]:
        """(English, German) wording of the rule, e.g. ('more than 1/2 of 59', 'mehr als 1/2 von 59')."""
        if self.at_least_fraction is not None:
            return (
                f"at least {self.at_least_fraction} of {statutory_members}",
                f"mindestens {self.at_least_fraction} von {statutory_members}",
            )
        return (
            f"more than {self.more_than_fraction} of {statutory_members}",
            f"mehr als {self.more_than_fraction} von {statutory_members}",
        )


class RecusalQuorum(Cited):
    """When more than half of the statutory members are excluded by recusal (Befangenheit), the body is quorate
    regardless (§ 53 Abs. 3 HGO, § 65 Abs. 3 NKomVG); ``needs_approval_of``: whose approval the decision then
    needs (Niedersachsen: the Kommunalaufsichtsbehörde), tracked on the paper until recorded."""

    needs_approval_of: str | None = None


class BodySettings(_Strict):
    """Settings a body kind gets from the profile and a single body may override."""

    public: bool = True
    tie_rule: TieRule = TieRule.rejected
    notice: NoticeRules | None = None  # None: the profile's notice rules
    quorum: QuorumRule | None = None  # None: the profile's quorum rule
    reminder_offsets_days: tuple[int, ...] = (7, 1)


class BodySettingsOverride(_Strict):
    public: bool | None = None
    tie_rule: TieRule | None = None
    notice: NoticeRules | None = None
    quorum: QuorumRule | None = None
    reminder_offsets_days: tuple[int, ...] | None = None


LegalBasisKey = Literal["public", "tie_rule", "may_decide"]


class BodyKindSpec(_Strict):
    label: str
    settings: BodySettings = BodySettings()
    may_decide: bool = False  # may hold an authoritative step without delegation
    # The legal basis of each of the kind's rules: 'public' and 'tie_rule' always, 'may_decide' when set.
    legal_basis: dict[LegalBasisKey, Cited] = Field(default_factory=dict)


class QualifiedMajority(Cited):
    """A matter that needs more than the simple majority of the votes cast (e.g. the Hauptsatzung: the
    majority of the statutory members). ``of`` is what the yes votes are counted against."""

    label: str
    of: Literal["statutory_members", "votes_cast"]
    more_than: Fraction | None = None
    at_least: Fraction | None = None

    @field_validator("more_than", "at_least", mode="before")
    @classmethod
    def _parse_fraction(cls, value: object) -> Fraction | None:
        return _fraction(value)

    @model_validator(mode="after")
    def _one_threshold(self) -> QualifiedMajority:
        if (self.more_than is None) == (self.at_least is None):
            raise ValueError("give exactly one of more_than or at_least")
        return self

    def required_yes(self, *, statutory_members: int, votes_cast: int) -> int:
        """The smallest number of yes votes that meets the majority."""
        base = statutory_members if self.of == "statutory_members" else votes_cast
        if self.at_least is not None:
            return math.ceil(self.at_least * base)
        assert self.more_than is not None
        return math.floor(self.more_than * base) + 1

    def describe(self) -> str:
        """German wording, e.g. 'mehr als 1/2 der gesetzlichen Zahl der Mitglieder'."""
        of = (
            "der gesetzlichen Zahl der Mitglieder"
            if self.of == "statutory_members"
            else "der abgegebenen Stimmen"
        )
        if self.at_least is not None:
            return f"mindestens {self.at_least} {of}"
        return f"mehr als {self.more_than} {of}"


class MatterNotice(Cited):
    """With one of ``matters`` on the agenda of a meeting of one of ``body_kinds`` the notice period is at least
    ``minimum`` and cannot be shortened (Hessen: elections and the Hauptsatzung, § 58 Abs. 3 HGO)."""

    matters: tuple[Matter, ...] = Field(min_length=1)
    body_kinds: tuple[BodyKind, ...] = Field(min_length=1)
    minimum: NoticeRule

    def labels(self) -> str:
        return " oder ".join(MATTER_LABELS[m] for m in self.matters)


class NonPublicAttendance(Cited):
    """Members of the assembly may attend the non-public meetings of bodies of these kinds even when they do
    not belong to them (Niedersachsen: every Ausschuss of the Vertretung, § 72 Abs. 2 Satz 1 NKomVG), so they
    may read those meetings' non-public agenda items and papers."""

    body_kinds: tuple[BodyKind, ...] = Field(min_length=1)


class CirculationRule(Cited):
    """Decisions without a meeting (Umlaufverfahren): a body of one of ``body_kinds`` may decide a step in
    writing when no member objects (Hessen: the Gemeindevorstand/Magistrat, § 67 Abs. 1 Satz 3 HGO, "in
    einfachen Angelegenheiten"; Niedersachsen: the Hauptausschuss/Verwaltungsausschuss, § 78 Abs. 3 NKomVG).
    No kinds: the state's law provides none (NRW); the note says so in the refusal.
    ``simple_matters_only``: whoever starts it must confirm that the matter is a simple one."""

    body_kinds: tuple[BodyKind, ...] = ()
    simple_matters_only: bool = False
    wording: str = ""  # the statute's condition as it reads, quoted in messages


class UrgentByMayor(Cited):
    """The last resort of an urgent procedure: the mayor (Bürgermeister, Hauptverwaltungsbeamte) decides without
    a meeting when even the deciding body cannot be convened in time, with one member of a body of
    ``with_member_of`` (NRW: a Ratsmitglied, § 60 Abs. 1 Satz 2 GO NRW; Niedersachsen: a deputy of the
    Hauptverwaltungsbeamte, § 89 Satz 2 NKomVG) or alone (None: Hessen, § 70 Abs. 3 HGO). ``informs``: further
    bodies that are informed of the mayor's decision besides the follow-up step (Niedersachsen: the
    Hauptausschuss, § 89 Satz 3 NKomVG)."""

    label: str
    with_member_of: BodyKind | None = None
    member_label: str = ""  # who decides with the mayor, e.g. "einem Ratsmitglied"
    informs: tuple[BodyKind, ...] = ()


class UrgentFollowUp(Cited):
    """What comes after an urgent decision: a step of a body of ``kind`` that approves it or may revoke it
    (role ``approval``: NRW, § 60 Abs. 1 Satz 3 und 4 GO NRW) or is informed of it (role ``notice``)."""

    kind: BodyKind
    role: ConsultationRole
    label: str

    @field_validator("role")
    @classmethod
    def _approval_or_notice(cls, role: ConsultationRole) -> ConsultationRole:
        if role not in (ConsultationRole.approval, ConsultationRole.notice):
            raise ValueError(
                "the follow-up of an urgent decision approves it (approval) or notes it (notice)"
            )
        return role


class UrgentDecision(Cited):
    """The urgent procedure of the state's law (Eil-/Dringlichkeitsentscheidung): when the body that would
    decide (``instead_of``) cannot wait, a body of ``body_kind`` decides in its place at a meeting, or, when
    that cannot be convened either (or ``body_kind`` is None), the mayor (``mayor``); ``follow_up`` is the step
    planned after it. The paper records why the body cannot wait."""

    label: str
    instead_of: BodyKind
    body_kind: BodyKind | None
    mayor: UrgentByMayor
    follow_up: UrgentFollowUp


class StageTemplate(_Strict):
    """One stage of a default Beratungsfolge: which bodies, in which role."""

    kind: BodyKind
    role: ConsultationRole
    # 'chosen': the bodies of this kind named for the paper (e.g. the responsible committees);
    # 'all': every body of this kind (with ``tag`` if given); 'one': the single body of this kind.
    select: Literal["chosen", "all", "one"] = "one"
    tag: str | None = None
    when: Literal["always", "financial_impact"] = "always"


class Profile(_Strict):
    name: str
    label: str
    body_kinds: dict[BodyKind, BodyKindSpec]
    # None: the state's law sets no notice period; each municipality file must set its own, with the
    # Geschäftsordnung as legal basis (``notice_set_by`` says where the law leaves it).
    notice: NoticeRules | None = None
    notice_set_by: Cited | None = None
    matter_notice: MatterNotice | None = None
    quorum: QuorumRule = QuorumRule()
    # The chair establishes the quorum when the meeting opens; a decision needs that finding (§ 53 Abs. 1 Satz 2
    # HGO, § 49 Abs. 1 GO NRW, § 65 Abs. 1 NKomVG).
    quorum_at_opening: Cited | None = None
    recusal_quorum: RecusalQuorum | None = None  # None: recusals can cost the quorum (NRW)
    late_item_fraction_of_statutory: Fraction | None = None
    late_item_rule: Cited | None = None  # the legal basis of late_item_fraction_of_statutory
    # Set: an item added after the invitation needs the body's decision at the meeting that it brooks no
    # delay or is of utmost urgency (NRW, § 48 Abs. 1 Satz 5 GO NRW); the result records that decision.
    late_item_urgency: Cited | None = None
    qualified_majorities: dict[Matter, QualifiedMajority] = Field(default_factory=dict)
    non_public_attendance: NonPublicAttendance | None = None
    # Which bodies may decide without a meeting (Umlaufverfahren), or that the state's law provides none.
    circulation: CirculationRule | None = None
    urgent_decision: UrgentDecision | None = None
    beratungsfolge: dict[PaperKind, tuple[tuple[StageTemplate, ...], ...]]
    notes: str = ""

    @field_validator("late_item_fraction_of_statutory", mode="before")
    @classmethod
    def _parse_late(cls, value: object) -> Fraction | None:
        if value is None or isinstance(value, Fraction):
            return value
        return Fraction(str(value))

    def cited_rules(self) -> list[tuple[str, Cited | None]]:
        """Every rule of the profile with where it is written, for the check that each one cites its basis."""
        rules: list[tuple[str, Cited | None]] = []
        for kind, spec in self.body_kinds.items():
            needed: list[LegalBasisKey] = ["public", "tie_rule"]
            if spec.may_decide:
                needed.append("may_decide")
            rules += [(f"body_kinds.{kind}.legal_basis.{key}", spec.legal_basis.get(key)) for key in needed]
            if spec.settings.quorum is not None:
                rules.append((f"body_kinds.{kind}.settings.quorum", spec.settings.quorum))
        if self.notice is None:
            rules.append(("notice_set_by", self.notice_set_by))
        else:
            for name in ("regular", "urgent", "second_session"):
                rule = getattr(self.notice, name)
                if rule is not None:
                    rules.append((f"notice.{name}", rule))
        if self.matter_notice is not None:
            rules += [
                ("matter_notice", self.matter_notice),
                ("matter_notice.minimum", self.matter_notice.minimum),
            ]
        rules.append(("quorum", self.quorum))
        rules.append(("quorum_at_opening", self.quorum_at_opening))
        if self.recusal_quorum is not None:
            rules.append(("recusal_quorum", self.recusal_quorum))
        if self.late_item_fraction_of_statutory is not None:
            rules.append(("late_item_rule", self.late_item_rule))
        if self.late_item_urgency is not None:
            rules.append(("late_item_urgency", self.late_item_urgency))
        rules += [(f"qualified_majorities.{m}", q) for m, q in self.qualified_majorities.items()]
        if self.non_public_attendance is not None:
            rules.append(("non_public_attendance", self.non_public_attendance))
        rules.append(("circulation", self.circulation))
        if self.urgent_decision is not None:
            rules += [
                ("urgent_decision", self.urgent_decision),
                ("urgent_decision.mayor", self.urgent_decision.mayor),
                ("urgent_decision.follow_up", self.urgent_decision.follow_up),
            ]
        return rules

    @model_validator(mode="after")
    def _every_rule_cites_its_basis(self) -> Profile:
        missing = [
            where for where, rule in self.cited_rules() if rule is None or not rule.legal_basis.strip()
        ]
        if missing:
            raise ValueError(f"these rules do not name their legal basis (legal_basis): {', '.join(missing)}")
        return self

    @model_validator(mode="after")
    def _templates_use_declared_kinds(self) -> Profile:
        for paper_kind, stages in self.beratungsfolge.items():
            if not stages:
                raise ValueError(f"beratungsfolge.{paper_kind}: needs at least one stage")
            for stage in stages:
                for step in stage:
                    if step.kind not in self.body_kinds:
                        raise ValueError(
                            f"beratungsfolge.{paper_kind}: body kind '{step.kind}' is not declared in body_kinds"
                        )
        return self

    @model_validator(mode="after")
    def _urgent_procedure_uses_declared_kinds(self) -> Profile:
        urgent = self.urgent_decision
        if urgent is None:
            return self
        kinds = [urgent.instead_of, urgent.body_kind, urgent.follow_up.kind, urgent.mayor.with_member_of]
        unknown = [
            str(k) for k in [*kinds, *urgent.mayor.informs] if k is not None and k not in self.body_kinds
        ]
        if unknown:
            raise ValueError(f"urgent_decision: body kinds not declared in body_kinds: {', '.join(unknown)}")
        if urgent.mayor.with_member_of is not None and not urgent.mayor.member_label:
            raise ValueError(
                "urgent_decision.mayor: with_member_of needs member_label (who decides with the mayor)"
            )
        return self

    def settings_for(self, kind: BodyKind, override: BodySettingsOverride | None = None) -> BodySettings:
        base = self.body_kinds[kind].settings if kind in self.body_kinds else BodySettings()
        if override is None:
            return base
        # Validate the merge (model_copy would keep nested overrides as plain dicts).
        merged = base.model_dump() | override.model_dump(exclude_none=True)
        return BodySettings.model_validate(merged)

    def notice_for(self, settings: BodySettings) -> NoticeRules:
        notice = settings.notice or self.notice
        if notice is None:
            from workflow.errors import ConfigurationError

            basis = self.notice_set_by.legal_basis if self.notice_set_by else "Geschäftsordnung"
            raise ConfigurationError(
                f"No notice period (Ladungsfrist) is set for this body: the profile {self.label} sets none "
                f"(it is set by: {basis}); the municipality file must set it with its Geschäftsordnung as "
                "legal basis",
                german=f"Für dieses Gremium ist keine Ladungsfrist festgelegt: Das Profil {self.label} bestimmt "
                f"keine (maßgeblich ist: {basis}). Die Kommunaldatei muss sie unter 'notice' mit der "
                "Fundstelle in der Geschäftsordnung (legal_basis) festlegen.",
                profile=self.name,
            )
        return notice

    def quorum_for(self, settings: BodySettings) -> QuorumRule:
        return settings.quorum or self.quorum


def load_profile(name: str) -> Profile:
    """Load a shipped profile by name (``hessen``, ``nrw``, ``niedersachsen``)."""
    from workflow.config_files import load_yaml_model

    if name not in PROFILE_NAMES:
        from workflow.errors import ConfigurationError

        raise ConfigurationError(
            f"Unbekanntes Profil '{name}'. Verfügbar: {', '.join(PROFILE_NAMES)}", profile=name
        )
    return load_yaml_model(PROFILE_DIR / f"{name}.yaml", Profile)
