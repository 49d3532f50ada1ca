"""The stored values of the domain and their German display labels.

Stored values are stable lowercase English identifiers; what users read (labels, printed outcome wording)
is German and kept apart, so a label can change without a migration.
"""

from __future__ import annotations

import enum


class BodyKind(enum.StrEnum):
    """What kind of Gremium a body is; the profile says what each kind may do."""

    assembly = "assembly"  # Stadtverordnetenversammlung / Rat
    executive = "executive"  # Magistrat (Hessen)
    main_committee = "main_committee"  # Haupt- und Finanzausschuss (NRW) / Verwaltungsausschuss (Nds.)
    committee = "committee"  # Fachausschuss
    district = "district"  # Ortsbeirat / Bezirksvertretung / Ortsrat
    advisory = "advisory"  # Beirat


class PaperKind(enum.StrEnum):
    beschlussvorlage = "beschlussvorlage"
    mitteilungsvorlage = "mitteilungsvorlage"
    antrag = "antrag"
    anfrage = "anfrage"
    aenderungsantrag = "aenderungsantrag"


PAPER_KIND_LABELS: dict[PaperKind, str] = {
    PaperKind.beschlussvorlage: "Beschlussvorlage",
    PaperKind.mitteilungsvorlage: "Mitteilungsvorlage",
    PaperKind.antrag: "Antrag",
    PaperKind.anfrage: "Anfrage",
    PaperKind.aenderungsantrag: "Änderungsantrag",
}


class PaperState(enum.StrEnum):
    draft = "draft"
    cosigning = "cosigning"
    submitted = "submitted"
    in_deliberation = "in_deliberation"
    adopted = "adopted"
    adopted_amended = "adopted_amended"
    rejected = "rejected"
    noted = "noted"
    withdrawn = "withdrawn"
    settled = "settled"
    revoked = "revoked"  # an urgent decision the Rat revoked (§ 60 Abs. 1 Satz 4 GO NRW)


PAPER_STATE_LABELS: dict[PaperState, str] = {
    PaperState.draft: "Entwurf",
    PaperState.cosigning: "in Mitzeichnung",
    PaperState.submitted: "eingereicht",
    PaperState.in_deliberation: "in Beratung",
    PaperState.adopted: "beschlossen",
    PaperState.adopted_amended: "geändert beschlossen",
    PaperState.rejected: "abgelehnt",
    PaperState.noted: "zur Kenntnis genommen",
    PaperState.withdrawn: "zurückgezogen",
    PaperState.settled: "erledigt",
    PaperState.revoked: "aufgehoben",
}


class ConsultationState(enum.StrEnum):
    planned = "planned"
    scheduled = "scheduled"
    invited = "invited"
    dealt_with = "dealt_with"
    postponed = "postponed"
    deferred = "deferred"
    removed = "removed"
    closed = "closed"
    circulating = "circulating"  # decided in writing, without a meeting (Umlaufverfahren)


CONSULTATION_STATE_LABELS: dict[ConsultationState, str] = {
    ConsultationState.planned: "geplant",
    ConsultationState.scheduled: "terminiert",
    ConsultationState.invited: "eingeladen",
    ConsultationState.dealt_with: "behandelt",
    ConsultationState.postponed: "vertagt",
    ConsultationState.deferred: "zurückgestellt",
    ConsultationState.removed: "abgesetzt",
    ConsultationState.closed: "geschlossen",
    ConsultationState.circulating: "im Umlaufverfahren",
}


class ConsultationRole(enum.StrEnum):
    """The role of a step (OParl Consultation.role)."""

    preliminary = "preliminary"  # Vorberatung
    decision = "decision"  # Entscheidung
    hearing = "hearing"  # Anhörung
    notice = "notice"  # Kenntnisnahme
    approval = (
        "approval"  # Genehmigung einer Eil- oder Dringlichkeitsentscheidung (§ 60 Abs. 1 Satz 3 GO NRW)
    )


CONSULTATION_ROLE_LABELS: dict[ConsultationRole, str] = {
    ConsultationRole.preliminary: "Vorberatung",
    ConsultationRole.decision: "Entscheidung",
    ConsultationRole.hearing: "Anhörung",
    ConsultationRole.notice: "Kenntnisnahme",
    ConsultationRole.approval: "Genehmigung",
}


class Urgency(enum.StrEnum):
    """A step's part in an urgent procedure (Dringlichkeits-/Eilentscheidung, profile ``urgent_decision``)."""

    decision = "decision"  # decides instead of the body that cannot wait
    follow_up = "follow_up"  # approves it or is informed of it afterwards


class MeetingState(enum.StrEnum):
    planned = "planned"
    invited = "invited"
    held = "held"
    minutes_approved = "minutes_approved"
    cancelled = "cancelled"


MEETING_STATE_LABELS: dict[MeetingState, str] = {
    MeetingState.planned: "geplant",
    MeetingState.invited: "eingeladen",
    MeetingState.held: "durchgeführt",
    MeetingState.minutes_approved: "Niederschrift genehmigt",
    MeetingState.cancelled: "abgesagt",
}


class Outcome(enum.StrEnum):
    """The fixed outcome code of one consultation step (DOMAIN.md, 'Outcomes')."""

    recommended = "recommended"
    recommended_amended = "recommended_amended"
    not_recommended = "not_recommended"
    adopted = "adopted"
    adopted_amended = "adopted_amended"
    rejected = "rejected"
    noted = "noted"
    statement = "statement"
    postponed = "postponed"
    deferred = "deferred"
    referred = "referred"
    removed = "removed"
    withdrawn = "withdrawn"
    settled = "settled"
    no_result = "no_result"
    approved = "approved"  # the Rat approves an urgent decision (Genehmigung)
    revoked = "revoked"  # the Rat revokes an urgent decision (Aufhebung)


OUTCOME_WORDING: dict[Outcome, str] = {
    Outcome.recommended: "Zustimmung empfohlen",
    Outcome.recommended_amended: "mit Änderungen empfohlen",
    Outcome.not_recommended: "Ablehnung empfohlen",
    Outcome.adopted: "beschlossen",
    Outcome.adopted_amended: "geändert beschlossen",
    Outcome.rejected: "abgelehnt",
    Outcome.noted: "zur Kenntnis genommen",
    Outcome.statement: "Stellungnahme abgegeben",
    Outcome.postponed: "vertagt",
    Outcome.deferred: "zurückgestellt",
    Outcome.referred: "verwiesen an",
    Outcome.removed: "von der Tagesordnung abgesetzt",
    Outcome.withdrawn: "zurückgezogen",
    Outcome.settled: "erledigt",
    Outcome.no_result: "keine Beschlussfassung (Sitzung entfallen)",
    Outcome.approved: "Eil- oder Dringlichkeitsentscheidung genehmigt",
    Outcome.revoked: "Eil- oder Dringlichkeitsentscheidung aufgehoben",
}

#: Outcomes that decide the paper; only an authoritative step may end with them.
DECIDING_OUTCOMES = frozenset({Outcome.adopted, Outcome.adopted_amended, Outcome.rejected})
#: Outcomes of a recommending step.
RECOMMENDING_OUTCOMES = frozenset({Outcome.recommended, Outcome.recommended_amended, Outcome.not_recommended})
#: Outcomes whose motion failed: the main vote must not carry.
FAILED_MOTION_OUTCOMES = frozenset({Outcome.rejected, Outcome.not_recommended})
#: Outcomes of the step that approves an urgent decision or revokes it.
APPROVAL_OUTCOMES = frozenset({Outcome.approved, Outcome.revoked})
#: Outcomes that need at least one recorded vote.
VOTED_OUTCOMES = DECIDING_OUTCOMES | RECOMMENDING_OUTCOMES | APPROVAL_OUTCOMES
#: Outcomes that are a decision of the body on the matter and so need its quorum, as the chair established it
#: at the opening (§ 53 Abs. 1 HGO, § 49 Abs. 1 GO NRW, § 65 Abs. 1 NKomVG): deciding, recommending, the
#: statement of a hearing, approving or revoking an urgent decision, and referring the paper to another body.
#: Not: putting the item off (postponed, deferred, removed), which leaves the matter undecided with the same
#: body; a withdrawal, which the submitter declares; taking note, which decides nothing.
QUORUM_OUTCOMES = VOTED_OUTCOMES | {Outcome.statement, Outcome.referred}
#: Outcomes after which the same body deals with the paper again at a later meeting.
AGAIN_LATER_OUTCOMES = frozenset({Outcome.postponed, Outcome.deferred, Outcome.removed})
#: Outcomes that a secretary may record for an agenda item (the others come from use cases).
RECORDABLE_OUTCOMES = frozenset(Outcome) - {Outcome.settled, Outcome.no_result}


class VoteChoice(enum.StrEnum):
    yes = "yes"
    no = "no"
    abstain = "abstain"


VOTE_CHOICE_LABELS: dict[VoteChoice, str] = {
    VoteChoice.yes: "Ja",
    VoteChoice.no: "Nein",
    VoteChoice.abstain: "Enthaltung",
}


class CirculationState(enum.StrEnum):
    """A decision in writing without a meeting (Umlaufverfahren)."""

    running = "running"  # the members answer
    objected = "objected"  # a member objected to the procedure: the step waits for a meeting
    decided = "decided"  # every member answered; the result is recorded
    cancelled = "cancelled"  # the step was closed meanwhile (e.g. the paper withdrawn)


CIRCULATION_STATE_LABELS: dict[CirculationState, str] = {
    CirculationState.running: "läuft",
    CirculationState.objected: "durch Widerspruch beendet",
    CirculationState.decided: "abgeschlossen",
    CirculationState.cancelled: "abgebrochen (Beratungsschritt geschlossen)",
}


class CirculationChoice(enum.StrEnum):
    """A member's written answer in an Umlaufverfahren."""

    yes = "yes"
    no = "no"
    abstain = "abstain"
    object = "object"  # objects to deciding without a meeting


CIRCULATION_CHOICE_LABELS: dict[CirculationChoice, str] = {
    CirculationChoice.yes: "Zustimmung",
    CirculationChoice.no: "Ablehnung",
    CirculationChoice.abstain: "Enthaltung",
    CirculationChoice.object: "Widerspruch gegen das Umlaufverfahren",
}

# Generated documents (stored_file.kind) and their media types: one definition for the workers that render
# them and the API that serves them.
DOCUMENT_KIND_LABELS: dict[str, str] = {
    "vorlage": "Beschlussvorlage",
    "invitation": "Einladung",
    "minutes": "Niederschrift",
    "resolution_extract": "Beschlussauszug",
}
DOCX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
PDF_MEDIA_TYPE = "application/pdf"


class MembershipRole(enum.StrEnum):
    chair = "chair"  # Vorsitz
    deputy_chair = "deputy_chair"  # stellv. Vorsitz
    member = "member"
    substitute = "substitute"  # Vertreter:in
    advisory = "advisory"  # beratendes Mitglied


class AttendanceStatus(enum.StrEnum):
    present = "present"
    absent = "absent"
    excused = "excused"


class TieRule(enum.StrEnum):
    rejected = "rejected"  # Stimmengleichheit = Ablehnung
    chair_decides = "chair_decides"  # Stimme des Vorsitzes gibt den Ausschlag


class Matter(enum.StrEnum):
    """What an agenda item concerns, where the law ties a rule to it (notice period, qualified majority)."""

    wahl = "wahl"  # eine Wahl (HGO: § 58 Abs. 3)
    hauptsatzung = "hauptsatzung"  # Erlass oder Änderung der Hauptsatzung


MATTER_LABELS = {Matter.wahl: "Wahl", Matter.hauptsatzung: "Hauptsatzung"}


class NoticeCounting(enum.StrEnum):
    full_days_between = "full_days_between"  # N volle Tage zwischen Zugang und Sitzungstag
    including_meeting_day = "including_meeting_day"  # N Tage einschließlich Sitzungstag
    hours_before_start = "hours_before_start"  # N Stunden vor Sitzungsbeginn


class NoticeReference(enum.StrEnum):
    receipt = "receipt"  # Zugang
    posting = "posting"  # Bereitstellung im Portal
    dispatch = "dispatch"  # Absendung


class Channel(enum.StrEnum):
    email = "email"
    post = "post"
    portal = "portal"


#: What an audit event says in a paper's history (the web pages' "Verlauf"); unknown actions show as stored.
AUDIT_ACTION_LABELS: dict[str, str] = {
    "paper.drafted": "Entwurf angelegt",
    "paper.edited": "Entwurf bearbeitet",
    "paper.cosigning_requested": "Mitzeichnung angefordert",
    "paper.cosigned": "mitgezeichnet",
    "paper.returned_to_draft": "zurück in den Entwurf",
    "paper.submitted": "eingereicht",
    "paper.planned": "Beratungsfolge geplant",
    "paper.begin_deliberation": "Beratung begonnen",
    "paper.adopt": "beschlossen",
    "paper.adopt_amended": "geändert beschlossen",
    "paper.reject": "abgelehnt",
    "paper.note": "zur Kenntnis genommen",
    "paper.withdrawn": "zurückgezogen",
    "paper.settled": "für erledigt erklärt",
    "paper.revoke": "Eil- oder Dringlichkeitsentscheidung aufgehoben",
    "consultation.urgent_decision": "Eil- oder Dringlichkeitsentscheidung ohne Sitzung erfasst",
    "paper.depublished": "aus der Veröffentlichung genommen",
    "consultation.scheduled": "auf die Tagesordnung gesetzt",
    "consultation.unscheduled": "von der Tagesordnung genommen",
    "consultation.invited": "eingeladen",
    "consultation.dealt_with": "behandelt",
    "consultation.closed": "Beratungsschritt geschlossen",
    "result.recorded": "Ergebnis erfasst",
    "result.corrected": "Ergebnis berichtigt",
    "circulation.started": "Umlaufverfahren eingeleitet",
    "circulation.answered": "Antwort im Umlaufverfahren",
    "circulation.objected": "Umlaufverfahren durch Widerspruch beendet",
    "circulation.decided": "im Umlaufverfahren beschlossen",
    "circulation.cancelled": "Umlaufverfahren abgebrochen",
    "consultation.circulated": "ins Umlaufverfahren gegeben",
    "consultation.circulation_ended": "zurück in die Planung (Widerspruch im Umlaufverfahren)",
    "agenda_item.added": "Tagesordnungspunkt angelegt",
    "agenda_item.moved": "Tagesordnungspunkt verschoben",
    "agenda_item.removed": "Tagesordnungspunkt von der Tagesordnung genommen",
}
