"""Municipal constitutions as data: the schema of a profile (``workflow/profiles/*.yaml``).

A profile holds the rules of one state's municipal code: body kinds and their defaults, the default
Beratungsfolge per paper kind, notice-period rules, the quorum rule and the tie rule per body kind. A
municipality file picks one and may override the body-level settings per body.
"""

from __future__ import annotations

import math
from fractions import Fraction
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from workflow.vocabulary import (
    BodyKind,
    Channel,
    ConsultationRole,
    NoticeCounting,
    NoticeReference,
    PaperKind,
    TieRule,
)

PROFILE_DIR = Path(__file__).parent / "profiles"
PROFILE_NAMES = ("hessen", "nrw", "niedersachsen")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class NoticeRule(_Strict):
    """One notice period (Ladungsfrist): reference event, counting mode and amount."""

    reference: NoticeReference = NoticeReference.receipt
    counting: NoticeCounting
    amount: int = Field(ge=0)
    legal_basis: str = ""

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


class QuorumRule(_Strict):
    """Beschlussfähigkeit: more than ``more_than_fraction`` of the statutory members present and entitled to
    vote, or, where ``at_least_fraction`` is set, at least that fraction (Hessen Magistrat, § 68 Abs. 1 HGO)."""

    more_than_fraction: Fraction = Fraction(1, 2)
    at_least_fraction: Fraction | None = None
    second_session_always_quorate: bool = True
    legal_basis: str = ""

    @field_validator("more_than_fraction", "at_least_fraction", mode="before")
    @classmethod
    def _parse_fraction(cls, value: object) -> Fraction | None:
        if value is None or isinstance(value, Fraction):
            return value
        if isinstance(value, int | float | str):
            fraction = Fraction(str(value))
            if not 0 < fraction < 1:
                raise ValueError("must lie between 0 and 1, e.g. 1/2")
            return fraction
        raise ValueError("must be a fraction such as 1/2")

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


class BodyKindSpec(_Strict):
    label: str
    settings: BodySettings = BodySettings()
    may_decide: bool = False  # may hold an authoritative step without delegation


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
    notice: NoticeRules
    quorum: QuorumRule = QuorumRule()
    late_item_fraction_of_statutory: Fraction | None = None
    beratungsfolge: dict[PaperKind, tuple[tuple[StageTemplate, ...], ...]]
    notes: str = ""

    @field_validator("late_item_fraction_of_statutory", mode="before")
    @classmethod
    def _parse_late(cls, value: object) -> Fraction | None:
        if value is None or isinstance(value, Fraction):
            return value
        return Fraction(str(value))

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

    def settings_for(self, kind: BodyKind, override: BodySettingsOverride | None = None) -> BodySettings:
        base = self.body_kinds[kind].settings if kind in self.body_kinds else BodySettings()
        if override is None:
            return base
        # Validate the merge (model_copy would keep nested overrides as plain dicts).
        merged = base.model_dump() | override.model_dump(exclude_none=True)
        return BodySettings.model_validate(merged)

    def notice_for(self, settings: BodySettings) -> NoticeRules:
        return settings.notice or self.notice

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
