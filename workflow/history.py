"""Imported history: what the importer hands the domain, and the rules for what it becomes.

The importer (``workers/oparl_import``) fetches and repairs the old system's OParl objects and maps each
to one of the records below; the use cases in ``workflow/history_import.py`` write them. The rules for new
decisions (quorum, votes, notice periods) are not applied to history: a result is what the old system
recorded. What does not fit together is reported, not refused.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field

from workflow.vocabulary import (
    DECIDING_OUTCOMES,
    OUTCOME_WORDING,
    ConsultationRole,
    ConsultationState,
    Outcome,
    PaperKind,
    PaperState,
)


@dataclass(frozen=True)
class Source:
    """Identity fields every imported record carries: its source URL, a hash of the repaired source object
    (unchanged hash: nothing to write), and the source's ``modified``."""

    url: str
    content_hash: str
    modified: dt.datetime | None = None
    created: dt.datetime | None = None


@dataclass(frozen=True)
class Deleted:
    """An object the source marks deleted (``deleted: true``)."""

    oparl_type: str
    url: str
    modified: dt.datetime | None = None


@dataclass(frozen=True)
class OrganizationIn:
    source: Source
    kind: str  # body, faction, department
    key: str
    name: str
    short_name: str
    body_kind: str | None = None  # a BodyKind value, for bodies
    public: bool = True
    statutory_members: int = 0


@dataclass(frozen=True)
class MembershipIn:
    source: Source
    organization_url: str
    role: str  # a MembershipRole value
    voting_right: bool
    start_date: dt.date | None
    end_date: dt.date | None
    on_behalf_of_url: str | None = None  # the faction the member sits for
    substitute_for_url: str | None = None  # the person a substitute stands in for
    person_url: str | None = None  # from the Body's membership list (embedded ones are their person's)


@dataclass(frozen=True)
class PersonIn:
    source: Source
    key: str
    given_name: str
    family_name: str
    title: str | None
    email: str | None
    function: str | None = None  # e.g. Oberbürgermeister (OParl's status)
    memberships: tuple[MembershipIn, ...] = ()
    membership_refs: tuple[str, ...] = ()  # memberships named by URL only: the membership list brings them


@dataclass(frozen=True)
class FileIn:
    source: Source
    role: str  # the OParl field it came in: mainFile, auxiliaryFile, invitation, resultsProtocol, …
    name: str
    file_name: str | None
    media_type: str | None
    size_bytes: int | None
    file_date: dt.date | None
    access_url: str
    download_url: str | None


@dataclass(frozen=True)
class TermIn:
    """A legislative term (Wahlperiode) of the Body."""

    source: Source
    name: str
    start_date: dt.date | None
    end_date: dt.date | None


@dataclass(frozen=True)
class ListedFileIn:
    """A file record from the Body's file list (one that no object embeds, e.g. an older version), with
    what it belongs to."""

    file: FileIn
    paper_url: str | None
    meeting_url: str | None
    agenda_item_url: str | None


@dataclass(frozen=True)
class LocationIn:
    """A meeting's Location, its address in parts."""

    source: Source
    description: str | None
    street_address: str | None
    room: str | None
    postal_code: str | None
    locality: str | None


@dataclass(frozen=True)
class AgendaItemIn:
    source: Source
    number: str
    title: str
    public: bool
    result_wording: str | None
    files: tuple[FileIn, ...] = ()
    resolution_text: str | None = None
    consultation_url: str | None = None  # the step it deliberates (also a step postponed from it)


@dataclass(frozen=True)
class MeetingIn:
    source: Source
    name: str
    start: dt.datetime
    end: dt.datetime | None
    cancelled: bool
    location: str | None
    organization_urls: tuple[str, ...]
    place: LocationIn | None = None
    place_url: str | None = None  # a Location named by URL only (the Body's location list brings it)
    participant_urls: tuple[str, ...] = ()
    agenda_items: tuple[AgendaItemIn, ...] = ()
    files: tuple[FileIn, ...] = ()


@dataclass(frozen=True)
class ConsultationIn:
    source: Source
    organization_url: str | None
    meeting_url: str | None
    agenda_item_url: str | None
    role: str | None  # a ConsultationRole value when the source says
    authoritative: bool | None
    stage: int | None = None  # the stage of the Beratungsfolge, where the source says (gremienlauf)
    # The source publishes its steps' states (gremienlauf) but not this one's: dealt with in private there.
    state_withheld: bool = False


@dataclass(frozen=True)
class PaperIn:
    source: Source
    kind: str  # a PaperKind value
    reference: str | None
    subject: str
    paper_date: dt.date
    department_url: str | None
    consultations: tuple[ConsultationIn, ...] = ()
    files: tuple[FileIn, ...] = ()
    file_reference: str | None = None  # Aktenzeichen
    financial_impact: bool = False
    proposed_resolution: str = ""
    resolution_text: str | None = None


@dataclass
class Problem:
    """A quarantined object (not written) or an inconsistency (written, reported)."""

    oparl_type: str
    url: str
    reason: str


@dataclass
class Tally:
    """What one write did, per OParl type."""

    counts: dict[str, dict[str, int]] = field(default_factory=dict)
    quarantined: list[Problem] = field(default_factory=list)
    inconsistent: list[Problem] = field(default_factory=list)
    # Memberships whose substitute-for person comes later in the source: (membership id, person URL).
    pending_substitutes: list[tuple[int, str]] = field(default_factory=list)
    # Agenda items and the step they deliberate, linked once the papers are in: (item id, step URL).
    pending_items: list[tuple[int, str]] = field(default_factory=list)

    def add(self, oparl_type: str, what: str, n: int = 1) -> None:
        per_type = self.counts.setdefault(oparl_type, {})
        per_type[what] = per_type.get(what, 0) + n

    def quarantine(self, oparl_type: str, url: str, reason: str) -> None:
        self.quarantined.append(Problem(oparl_type, url, reason))
        self.add(oparl_type, "quarantined")

    def merge(self, other: Tally) -> None:
        for oparl_type, per_type in other.counts.items():
            for what, n in per_type.items():
                self.add(oparl_type, what, n)
        self.quarantined.extend(other.quarantined)
        self.inconsistent.extend(other.inconsistent)
        self.pending_substitutes.extend(other.pending_substitutes)
        self.pending_items.extend(other.pending_items)


# ------------------------------------------------------------------------------------------------- rules

_PHRASES: dict[str, Outcome] = {
    "beschlossen": Outcome.adopted,
    "einstimmig beschlossen": Outcome.adopted,
    "mehrheitlich beschlossen": Outcome.adopted,
    "zugestimmt": Outcome.adopted,
    "geändert beschlossen": Outcome.adopted_amended,
    "mit änderungen beschlossen": Outcome.adopted_amended,
    "abgelehnt": Outcome.rejected,
    "einstimmig abgelehnt": Outcome.rejected,
    "mehrheitlich abgelehnt": Outcome.rejected,
    "zustimmung empfohlen": Outcome.recommended,
    "empfohlen": Outcome.recommended,
    "einstimmig empfohlen": Outcome.recommended,
    "mit änderungen empfohlen": Outcome.recommended_amended,
    "ablehnung empfohlen": Outcome.not_recommended,
    "zur kenntnis genommen": Outcome.noted,
    "kenntnis genommen": Outcome.noted,
    "kenntnisnahme": Outcome.noted,
    "vertagt": Outcome.postponed,
    "zurückgestellt": Outcome.deferred,
    "zurückgezogen": Outcome.withdrawn,
    "abgesetzt": Outcome.removed,
    "von der tagesordnung abgesetzt": Outcome.removed,
    "erledigt": Outcome.settled,
}


def outcome_of(wording: str | None, *, authoritative: bool) -> Outcome | None:
    """The outcome code of an imported result text, only where it is unambiguous: the whole text (case,
    punctuation and spacing aside) is one of the known phrases, and a deciding outcome only on the deciding
    step. Vote counts alone ("einstimmig, 0 Enthaltungen") do not say what was decided: ``None``, the text
    is kept as wording."""
    if not wording:
        return None
    text = re.sub(r"[\s.;:!]+", " ", wording.lower()).strip()
    outcome = _PHRASES.get(text)
    if outcome in DECIDING_OUTCOMES and not authoritative:
        return None
    if outcome in (Outcome.recommended, Outcome.recommended_amended) and authoritative:
        return None
    return outcome


def step_state(
    *, meeting_start: dt.datetime | None, meeting_cancelled: bool, now: dt.datetime, withheld: bool = False
) -> str:
    """Where an imported step stands: dealt with when its meeting lies in the past, scheduled for a meeting
    to come, planned without one (it can be scheduled here). A step the source published without its state
    (dealt with there in private) and without a meeting is dealt with: it is history, not work to schedule
    here, and the stages after it can go on."""
    if withheld and (meeting_start is None or meeting_cancelled):
        return ConsultationState.dealt_with.value
    if meeting_start is None or meeting_cancelled:
        return ConsultationState.planned.value
    if meeting_start <= now:
        return ConsultationState.dealt_with.value
    return ConsultationState.scheduled.value


#: The final state of a paper whose deciding step ended with this outcome.
_FINAL = {
    Outcome.adopted: PaperState.adopted,
    Outcome.adopted_amended: PaperState.adopted_amended,
    Outcome.rejected: PaperState.rejected,
    Outcome.withdrawn: PaperState.withdrawn,
}


def paper_state(
    kind: str, steps: Sequence[tuple[str, str | None, bool]], paper_date: dt.date, today: dt.date
) -> PaperState:
    """The state an imported paper arrives in, from its steps (state, outcome, authoritative).

    Decided at the source: the deciding outcome; a Mitteilungsvorlage dealt with everywhere is noted; any
    other paper dealt with everywhere ended at the source without a recorded decision (erledigt). A paper
    with steps still to come continues here. A paper without any step is open for a year, then erledigt.
    """
    for _state, outcome, authoritative in steps:
        if authoritative and outcome is not None and Outcome(outcome) in _FINAL:
            return _FINAL[Outcome(outcome)]
    if not steps:
        return PaperState.settled if (today - paper_date).days > 365 else PaperState.submitted
    done = [state == ConsultationState.dealt_with.value for state, _, _ in steps]
    if all(done):
        return PaperState.noted if kind == PaperKind.mitteilungsvorlage.value else PaperState.settled
    if any(done) or any(state == ConsultationState.scheduled.value for state, _, _ in steps):
        return PaperState.in_deliberation
    return PaperState.submitted


def step_inconsistencies(
    *, body_id: int, meeting_body_ids: Collection[int], meeting_id: int | None, item_meeting_id: int | None
) -> list[str]:
    """What does not fit together in an imported step: it is written as the source has it, and reported."""
    problems = []
    if meeting_id is not None and meeting_body_ids and body_id not in meeting_body_ids:
        problems.append("Gremium der Beratung tagt nicht in ihrer Sitzung")
    if meeting_id is not None and item_meeting_id is not None and item_meeting_id != meeting_id:
        problems.append("TOP der Beratung gehört zu einer anderen Sitzung")
    return problems


def decision_inconsistencies(steps: Sequence[tuple[str, str | None, bool]]) -> list[str]:
    """A paper whose deciding steps record different final decisions (state, outcome, authoritative)."""
    finals = sorted(
        {Outcome(o) for _, o, authoritative in steps if authoritative and o and Outcome(o) in _FINAL}
    )
    if len(finals) > 1:
        return ["Widersprüchliche Beschlüsse: " + ", ".join(OUTCOME_WORDING[o] for o in finals)]
    return []


def step_roles(kind: str, declared: Sequence[tuple[str | None, bool | None]]) -> list[tuple[str, bool]]:
    """Role and authoritativeness of a paper's steps, in order. What the source says is kept; where it
    says nothing, a Mitteilungsvorlage is for notice everywhere and any other paper is decided by its last
    step (our Beratungsfolge needs one deciding step) and deliberated before."""
    if any(role is not None or authoritative is not None for role, authoritative in declared):
        return [
            (
                role
                or (ConsultationRole.decision.value if authoritative else ConsultationRole.preliminary.value),
                bool(authoritative) if authoritative is not None else role == ConsultationRole.decision.value,
            )
            for role, authoritative in declared
        ]
    if kind == PaperKind.mitteilungsvorlage.value:
        return [(ConsultationRole.notice.value, False) for _ in declared]
    last = len(declared) - 1
    return [
        (ConsultationRole.decision.value, True) if i == last else (ConsultationRole.preliminary.value, False)
        for i in range(len(declared))
    ]
