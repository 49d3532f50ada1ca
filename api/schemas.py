"""Request and response bodies. Field names are English; examples come from the Wetzlar Vorlage 1562/13."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Generic, Literal, TypeVar

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictBool,
    StrictInt,
    StringConstraints,
)

from workflow.vocabulary import CirculationChoice, ConsultationRole, Matter, Outcome, PaperKind, VoteChoice

MAX_ID = 2_147_483_647
MAX_COUNT = 100_000


def _no_nul(value: str) -> str:
    if "\x00" in value:
        raise ValueError("must not contain NUL characters")
    return value


# Text of bounded length without NUL characters (PostgreSQL refuses them in text columns).
Text100 = Annotated[str, StringConstraints(max_length=100), AfterValidator(_no_nul)]
Name100 = Annotated[str, StringConstraints(min_length=1, max_length=100), AfterValidator(_no_nul)]
Secret200 = Annotated[str, StringConstraints(min_length=1, max_length=200), AfterValidator(_no_nul)]
Text300 = Annotated[str, StringConstraints(max_length=300), AfterValidator(_no_nul)]
Short = Annotated[str, StringConstraints(min_length=1, max_length=300), AfterValidator(_no_nul)]
Text2000 = Annotated[str, StringConstraints(max_length=2000), AfterValidator(_no_nul)]
Subject = Annotated[str, StringConstraints(min_length=1, max_length=2000), AfterValidator(_no_nul)]
Text5000 = Annotated[str, StringConstraints(max_length=5000), AfterValidator(_no_nul)]
Reason = Annotated[str, StringConstraints(min_length=1, max_length=5000), AfterValidator(_no_nul)]
Long = Annotated[str, StringConstraints(max_length=200_000), AfterValidator(_no_nul)]
Key = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9_-]{0,63}$")]
# Request values are taken as they are meant: true/false (not 0 or "yes"), whole numbers (not "3" or
# 3.0), dates and times as ISO text (not Unix timestamps).
Flag = StrictBool
Id = Annotated[StrictInt, Field(ge=1, le=MAX_ID)]
Count = Annotated[StrictInt, Field(ge=0, le=MAX_COUNT)]


def _iso_text(value: object) -> object:
    if isinstance(value, str) and len(value) >= 10 and value[4] == "-" and value[7] == "-":
        return value
    raise ValueError("must be ISO text, e.g. 2013-10-28 or 2013-10-28T17:00:00+01:00")


SafeDate = Annotated[
    dt.date, BeforeValidator(_iso_text), Field(ge=dt.date(1900, 1, 1), le=dt.date(2200, 12, 31))
]
SafeDateTime = Annotated[
    AwareDatetime,
    BeforeValidator(_iso_text),
    AfterValidator(
        lambda v: (
            v
            if dt.datetime(1900, 1, 2, tzinfo=dt.UTC) <= v <= dt.datetime(2200, 12, 31, tzinfo=dt.UTC)
            else _raise("must lie between 1900 and 2200")
        )
    ),
]


def _raise(message: str) -> Any:
    raise ValueError(message)


class Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Out(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class ErrorOut(BaseModel):
    """Every error has this shape."""

    error: str = Field(description="Stable code, e.g. version_conflict", examples=["version_conflict"])
    message: str = Field(examples=["The paper was changed in the meantime (version 2, yours 1)"])
    details: dict[str, Any] | list[Any] = Field(default_factory=dict)


T = TypeVar("T")


class Page(BaseModel, Generic[T]):
    """One page of a list; pass ``next_cursor`` as ``cursor`` for the next page (stable keyset order)."""

    items: list[T]
    next_cursor: str | None = Field(description="Cursor of the next page; null on the last page")


# --------------------------------------------------------------------------------------------- auth


class LoginIn(Model):
    username: Name100
    password: Secret200

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"username": "koordination", "password": "geheim-und-lang"}]},
    )


class TokenOut(Out):
    access_token: str
    token_type: str = "bearer"
    expires_at: dt.datetime


class MeOut(Out):
    username: str
    display_name: str
    role: str
    municipality: str
    department: str | None
    bodies: list[str]


# --------------------------------------------------------------------------------------------- papers


class AttachmentIn(Model):
    title: Short
    file_name: Text300 | None = None
    media_type: Text100 | None = None
    size_bytes: Annotated[StrictInt, Field(ge=0, le=MAX_ID)] | None = None
    public: Flag = True


class PaperCreate(Model):
    kind: PaperKind = PaperKind.beschlussvorlage
    department: Key = Field(description="Originating department (Fachamt)")
    subject: Subject
    paper_date: SafeDate
    proposed_resolution: Long = ""
    justification: Long = ""
    file_reference: Text100 | None = Field(default=None, description="Aktenzeichen")
    financial_impact: Flag = False
    public: Flag = True
    attachments: list[AttachmentIn] = Field(default_factory=list, max_length=200)
    cosigners: list[Key] = Field(
        default_factory=list, max_length=50, description="Departments that must co-sign"
    )
    signatory: Key | None = Field(default=None, description="Person who signs (e.g. the mayor)")
    signed_place: Text100 | None = None

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "kind": "beschlussvorlage",
                    "department": "kbs",
                    "subject": "Integriertes Handlungskonzept zur Integration von Menschen mit "
                    "Migrationshintergrund in der Stadt Wetzlar",
                    "paper_date": "2013-07-12",
                    "file_reference": "I/351",
                    "proposed_resolution": "Die Integrationsarbeit der Stadt Wetzlar wird auf der Grundlage "
                    "des beigefügten Handlungskonzepts weiterentwickelt.",
                    "justification": "Wetzlar wurde 2009 als Standort der „Modellregion Integration“ ausgewählt …",
                    "financial_impact": True,
                    "attachments": [{"title": "Handlungskonzept", "file_name": "Handlungskonzept.pdf"}],
                    "cosigners": ["kaemmerei"],
                    "signatory": "dette",
                    "signed_place": "Wetzlar",
                }
            ]
        },
    )


class PaperPatch(Model):
    """Fields of a draft to change; fields left out stay as they are."""

    subject: Subject | None = None
    proposed_resolution: Long | None = None
    justification: Long | None = None
    file_reference: Text100 | None = None
    paper_date: SafeDate | None = None
    financial_impact: Flag | None = None
    public: Flag | None = None
    signed_place: Text100 | None = None
    signed_on: SafeDate | None = None

    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"justification": "Ergänzte Begründung …"}]}
    )


class ReasonIn(Model):
    reason: Reason

    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"reason": "Durch Vorlage 1601/13 überholt"}]}
    )


class SettleIn(ReasonIn):
    superseded_by: Id | None = None


class CosignIn(Model):
    department: Key
    comment: Text5000 | None = None

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"department": "kaemmerei"}]})


class StepIn(Model):
    body: Key
    role: ConsultationRole = ConsultationRole.preliminary


class PlanIn(Model):
    """Either the profile's default (committees, deciding body) or explicit stages of parallel steps."""

    committees: list[Key] = Field(default_factory=list, max_length=50)
    decided_by: Key | None = None
    stages: list[Annotated[list[StepIn], Field(max_length=50)]] | None = Field(default=None, max_length=50)
    urgent_reason: Annotated[str, StringConstraints(max_length=4000), AfterValidator(_no_nul)] | None = Field(
        default=None,
        description="Plan the profile's urgent procedure (Eil-/Dringlichkeitsentscheidung, e.g. § 60 Abs. 1 GO "
        "NRW) instead: why the body that would decide cannot be convened in time",
    )

    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"committees": ["sjs", "kfp"]}]}
    )


class NamedRef(Out):
    key: str
    name: str


class AttachmentOut(Out):
    position: int
    title: str
    file_name: str | None
    media_type: str | None
    size_bytes: int | None


class CosignatureOut(Out):
    department: NamedRef
    required: bool
    signed_at: dt.datetime | None
    signed_by: str | None


class StepOut(Out):
    id: int
    stage: int
    body: NamedRef
    role: str
    authoritative: bool
    state: str
    meeting_id: int | None
    agenda_item_id: int | None
    outcome: str | None
    outcome_wording: str | None
    resolution_text: str | None
    urgency: str | None = Field(
        None,
        description="Part in an urgent procedure: 'decision' (Eil-/Dringlichkeitsentscheidung) or 'follow_up'",
    )
    urgency_reason: str | None = Field(None, description="Why the body that would decide could not wait")


class PaperSummary(Out):
    id: int
    reference: str | None
    kind: str
    state: str | None = Field(
        description="None for the public when the decision was taken in a non-public session"
    )
    subject: str
    department: NamedRef
    paper_date: dt.date
    public: bool
    modified_at: dt.datetime


class PaperOut(PaperSummary):
    version: int
    state_label: str
    file_reference: str | None
    proposed_resolution: str
    justification: str
    financial_impact: bool
    signed_place: str | None
    signed_on: dt.date | None
    submitted_at: dt.datetime | None
    decided_at: dt.datetime | None
    resolution_text: str | None
    closing_reason: str | None
    pending_approval: str | None = Field(
        default=None, description="An approval the decision still needs, e.g. of the Kommunalaufsicht"
    )
    attachments: list[AttachmentOut]
    cosignatures: list[CosignatureOut]
    consultations: list[StepOut]
    allowed_transitions: list[str]
    created_at: dt.datetime


class AppearanceOut(Out):
    meeting_id: int
    meeting_start: dt.datetime
    meeting_state: str
    agenda_item_id: int
    agenda_number: str
    outcome: str | None
    outcome_wording: str | None
    votes: str | None
    unanimous: bool | None
    result_text: str


class CirculationStatusOut(Out):
    """A decision in writing without a meeting (Umlaufverfahren) on the step."""

    circulation_id: int
    state: str
    state_label: str
    started_at: dt.datetime
    ended_at: dt.datetime | None
    members: int
    answered: int
    outcome: str | None
    outcome_wording: str | None
    votes: str | None
    unanimous: bool | None


class StepStatusOut(Out):
    consultation_id: int
    stage: int
    body: str
    role: str
    authoritative: bool
    state: str
    state_label: str
    outcome: str | None
    outcome_wording: str | None
    appearances: list[AppearanceOut]
    allowed: list[str]
    circulations: list[CirculationStatusOut] = []
    urgency: str | None = Field(
        None,
        description="Part in an urgent procedure: 'decision' (Eil-/Dringlichkeitsentscheidung) or 'follow_up'",
    )
    urgency_reason: str | None = Field(None, description="Why the body that would decide could not wait")
    decided_on: dt.date | None = Field(None, description="Day of an urgent decision taken without a meeting")
    decided_by: str | None = Field(
        None, description="Who took it (the mayor, with the member where required)"
    )


class PaperStatusOut(Out):
    paper_id: int
    reference: str | None
    subject: str
    state: str | None = Field(
        description="None for the public when the decision was taken in a non-public session"
    )
    state_label: str
    allowed: list[str]
    current: list[StepStatusOut]
    steps: list[StepStatusOut]


class HistoryEventOut(Out):
    id: int
    occurred_at: dt.datetime
    actor: str
    action: str
    entity_type: str
    entity_id: int
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    reason: str | None


# ------------------------------------------------------------------------------------------- meetings


class MeetingCreate(Model):
    bodies: list[Key] = Field(
        min_length=1, max_length=10, description="One body, or several for a joint meeting"
    )
    start: SafeDateTime
    end: SafeDateTime | None = None
    location: Text300 | None = None
    name: Text300 | None = None
    second_session: Flag = False

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"bodies": ["sjs", "kfp"], "start": "2013-10-28T17:00:00+01:00", "location": "Neues Rathaus"}
            ]
        },
    )


class AgendaItemIn(Model):
    """A paper's step (``consultation_id``) or a plain item (``title``)."""

    consultation_id: Id | None = None
    title: Text2000 | None = None
    public: Flag | None = None
    matter: Matter | None = Field(
        default=None,
        description="What the item concerns where the law ties a rule to it: 'wahl' (an election) or "
        "'hauptsatzung' (Hessen: notice period at least three days, no shortening, § 58 Abs. 3 HGO; "
        "the Hauptsatzung needs a qualified majority in every profile)",
    )

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"consultation_id": 2}]})


class AgendaPositionIn(Model):
    """Where a TOP goes within its part of the agenda (public or non-public), counted from 0."""

    position: int = Field(ge=0, le=10_000, strict=True)

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"position": 0}]})


class InvitationIn(Model):
    urgent: Flag = False
    urgent_reason: Text5000 | None = None
    channel: str | None = Field(default=None, pattern="^(email|post|portal)$")

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"urgent": False}]})


class MeetingMoveIn(Model):
    """The new start, end or place; a field left out stays as it is (a planned end moves with the start).
    ``urgent`` as for the invitation (an invited meeting's changed invitation is due now)."""

    start: SafeDateTime | None = None
    end: SafeDateTime | None = None
    location: Text300 | None = None
    urgent: Flag = False
    urgent_reason: Text5000 | None = None

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"start": "2013-11-04T17:00:00+01:00", "location": "Altes Rathaus"}]},
    )


class AttendanceIn(Model):
    present: list[Id] = Field(max_length=1000)
    excused: list[Id] = Field(default_factory=list, max_length=1000)


class AgendaItemOut(Out):
    id: int
    number: str
    order: int
    public: bool
    title: str
    consultation_id: int | None
    matter: str | None
    late_addition: bool
    second_session: bool
    has_result: bool


class MeetingSummary(Out):
    id: int
    name: str
    state: str
    start: dt.datetime
    end: dt.datetime | None
    location: str | None
    bodies: list[NamedRef]


class ApprovalIn(Model):
    """The approval a decision was waiting for (e.g. the Kommunalaufsicht's, § 65 Abs. 3 NKomVG)."""

    reference: Reason = Field(description="Who approved, when, file number")


class MayorDecisionIn(Model):
    """An urgent decision the mayor took without a meeting on the paper's urgent step (§ 60 Abs. 1 Satz 2 GO
    NRW: with one Ratsmitglied; § 89 Satz 2 NKomVG: with a deputy; § 70 Abs. 3 HGO: alone)."""

    mayor: Key = Field(description="The mayor (Bürgermeister:in, Hauptverwaltungsbeamte:r), by person key")
    member: Key | None = Field(
        None, description="The member decided with, by person key, where the law needs one"
    )
    reason: Reason = Field(description="Why even the deciding body could not be convened in time")
    decided_on: dt.date
    outcome: Literal["adopted", "adopted_amended"] = "adopted"
    resolution_text: Long | None = None
    wording: Annotated[str, StringConstraints(max_length=2000), AfterValidator(_no_nul)] | None = None


class QuorumIn(Model):
    """The chair established the quorum of this body at the opening."""

    body: Key


class QuorumLackIn(Model):
    """On a member's motion the chair established the lack of quorum, from this agenda item on."""

    body: Key
    from_item_id: Id


class QuorumOut(Out):
    """One body's quorum: present now against the minimum, what the chair established, and a warning."""

    body: str
    present: int
    needed: int
    established_at: dt.datetime | None
    established_present: int | None
    lack_established_at: dt.datetime | None
    warning: str | None = Field(description="Set when fewer voting members are present than the quorum needs")


class MeetingOut(MeetingSummary):
    version: int
    second_session: bool
    invitation_sent_at: dt.datetime | None
    invitation_deadline: dt.datetime
    urgent: bool
    urgent_reason: str | None
    cancelled_reason: str | None
    agenda_items: list[AgendaItemOut]
    allowed_transitions: list[str]
    quorum: list[QuorumOut] = Field(default_factory=list)


class WaitingStepOut(Out):
    consultation_id: int
    paper_id: int
    reference: str | None
    subject: str
    state: str


# -------------------------------------------------------------------------------------------- results


class FactionCountIn(Model):
    faction: Key
    yes: Count = 0
    no: Count = 0
    abstain: Count = 0


class VoteIn(Model):
    subject: Subject = "Beschlussvorschlag"
    yes: Count
    no: Count
    abstain: Count = 0
    decisive: Flag = False
    casting_vote: VoteChoice | None = None
    factions: list[FactionCountIn] = Field(default_factory=list, max_length=50)
    named: dict[Annotated[str, StringConstraints(pattern=r"^[1-9][0-9]{0,9}$")], VoteChoice] = Field(
        default_factory=dict, max_length=1000, description="Person id → vote, for named votes"
    )


class RecusalIn(Model):
    person_id: Id
    reason: Text2000 | None = None


class ResultIn(Model):
    outcome: Outcome
    votes: list[VoteIn] = Field(default_factory=list, max_length=50)
    present: list[Id] | None = Field(default=None, max_length=1000, description="Default: the attendance")
    recused: list[RecusalIn] = Field(default_factory=list, max_length=200)
    wording: Text2000 | None = None
    resolution_text: Long | None = None
    referred_to: Key | None = None
    quorum_failed: Flag = False
    late_item_approval: Count | None = None
    presided_by: Id | None = Field(
        default=None, description="Who presided for this item; default: the chair, else a deputy present"
    )
    urgency_decided: Flag = Field(
        default=False,
        description="NRW (§ 48 Abs. 1 Satz 5 GO NRW): the body decided that a late item brooks no delay",
    )

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"outcome": "recommended", "votes": [{"yes": 9, "no": 2, "abstain": 1}]}]
        },
    )


class CorrectionIn(ResultIn):
    reason: Reason
    expected_revision: Annotated[StrictInt, Field(ge=1, le=MAX_ID)] | None = None


class VoteOut(Out):
    position: int
    subject: str
    yes: int
    no: int
    abstain: int
    decisive: bool
    casting_vote: str | None
    unanimous: bool
    summary: str
    factions: dict[str, list[int]]
    named: dict[str, str]


class ResultOut(Out):
    agenda_item_id: int | None  # None: decided without a meeting (see circulation_id)
    circulation_id: int | None = None
    outcome: str
    outcome_wording: str
    resolution_text: str | None
    referred_to_body_id: int | None
    quorum_failed: bool
    late_item_approval: int | None
    urgency_decided: bool
    presided_by: int | None
    revision: int
    recorded_by: str
    recorded_at: dt.datetime
    present: list[int]
    recused: list[int]
    votes: list[VoteOut]


# ------------------------------------------------------------------------ decisions without a meeting


class CirculationIn(Model):
    """Start a decision without a meeting (Umlaufverfahren) on a step."""

    resolution_text: Long | None = Field(
        default=None, description="The proposed resolution; default: the text the step carries"
    )
    simple_matter: Flag = Field(
        default=False,
        description="Confirms a simple matter where the law requires one (§ 67 Abs. 1 Satz 3 HGO)",
    )


class CirculationAnswerIn(Model):
    answer: CirculationChoice = Field(description="yes, no, abstain, or object (Widerspruch)")


class CirculationAnswerOut(Out):
    person_id: int
    voting_right: bool
    answer: str | None
    answered_at: dt.datetime | None


class CirculationOut(Out):
    id: int
    paper_id: int
    consultation_id: int
    body_id: int
    state: str
    state_label: str
    resolution_text: str
    simple_matter: bool
    started_by: str
    started_at: dt.datetime
    ended_at: dt.datetime | None
    objected_by: int | None
    answers: list[CirculationAnswerOut]
    result: ResultOut | None
