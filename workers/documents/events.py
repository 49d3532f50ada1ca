"""Which documents an outbox event calls for: a table, not a bus (see ARCHITECTURE.md, example 5)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from workers.documents.generate import DocumentKind

# Events whose payload carries ``paper_id`` and that change what the Beschlussvorlage shows: its text
# (draft saved), its number and signature (submitted), its Beratungsfolge table (planned, scheduled,
# results as they arrive, an urgent decision taken without a meeting) or the closing of its open steps
# (withdrawn, settled).
VORLAGE_EVENTS = frozenset(
    {
        "PaperDrafted",
        "PaperChanged",
        "PaperSubmitted",
        "PaperReturnedToDraft",
        "BeratungsfolgePlanned",
        "ConsultationScheduled",
        "ResultRecorded",
        "ResultCorrected",
        "CirculationDecided",  # a decision without a meeting fills its row of the table
        "PaperWithdrawn",
        "PaperSettled",
        "UrgentDecisionRecorded",
    }
)
# Events that give the minutes (payload ``meeting_id``) something new: attendance, a result, approval.
MINUTES_EVENTS = frozenset(
    {"AttendanceRecorded", "QuorumRecorded", "ResultRecorded", "ResultCorrected", "MinutesApproved"}
)
# Events after which the item's resolution extract (payload ``agenda_item_id``) is due or changed.
EXTRACT_EVENTS = frozenset({"ResultRecorded", "ResultCorrected"})


def _id(payload: Mapping[str, Any], key: str) -> int | None:
    value = payload.get(key)
    # bool is an int in Python; an id never is one.
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else None


def documents_for_event(event_type: str, payload: Mapping[str, Any]) -> list[tuple[DocumentKind, int]]:
    """Which documents an outbox event calls for, as (kind, subject id) pairs, in a fixed order.

    The invitation is made when it is issued (MeetingInvited) and again whenever the agenda changes after
    that: an item added to an invited meeting (AgendaChanged), a moved meeting (MeetingMoved) or a paper
    scheduled late (ConsultationScheduled with ``late_addition``). AgendaChanged carries no state, so an AgendaChanged
    before the invitation also renders one; that document says "Entwurf" and is not public. A cancelled
    meeting gets its invitation again, saying it is cancelled. (MeetingCancelled carries no paper ids: the
    Vorlagen whose steps it ended are not named here; a task that wants them looks them up.)
    Pure function: it reads only its arguments.
    """
    wanted: list[tuple[DocumentKind, int]] = []
    paper_id = _id(payload, "paper_id")
    meeting_id = _id(payload, "meeting_id")
    item_id = _id(payload, "agenda_item_id")
    if event_type in VORLAGE_EVENTS and paper_id is not None:
        wanted.append((DocumentKind.VORLAGE, paper_id))
    invitation_changed = event_type in (
        "MeetingInvited",
        "AgendaChanged",
        "MeetingMoved",
        "MeetingCancelled",
    ) or (event_type == "ConsultationScheduled" and payload.get("late_addition") is True)
    if invitation_changed and meeting_id is not None:
        wanted.append((DocumentKind.INVITATION, meeting_id))
    if event_type in MINUTES_EVENTS and meeting_id is not None:
        wanted.append((DocumentKind.MINUTES, meeting_id))
    if event_type in EXTRACT_EVENTS and item_id is not None:
        wanted.append((DocumentKind.RESOLUTION_EXTRACT, item_id))
    return wanted
