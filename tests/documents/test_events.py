"""Which documents each outbox event calls for; every event the domain emits is in the table."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from workers.documents import DocumentKind, documents_for_event

V, INV, M, X = (
    DocumentKind.VORLAGE,
    DocumentKind.INVITATION,
    DocumentKind.MINUTES,
    DocumentKind.RESOLUTION_EXTRACT,
)
PAPER = {"paper_id": 11, "state": "submitted", "reference": "1562/13"}
RESULT = {"paper_id": 11, "meeting_id": 22, "agenda_item_id": 33, "consultation_id": 44}

# Event type → (a payload as the domain emits it, the documents it calls for).
EXPECTED: dict[str, tuple[dict[str, Any], list[tuple[DocumentKind, int]]]] = {
    "PaperDrafted": ({"paper_id": 11}, [(V, 11)]),
    "PaperChanged": ({"paper_id": 11}, [(V, 11)]),
    "CosigningRequested": (PAPER, []),
    "PaperCosigned": ({"paper_id": 11, "department": "kaemmerei"}, []),
    "PaperReturnedToDraft": (PAPER, [(V, 11)]),
    "PaperSubmitted": (PAPER, [(V, 11)]),
    "BeratungsfolgePlanned": ({"paper_id": 11}, [(V, 11)]),
    "ConsultationScheduled": (
        {
            "paper_id": 11,
            "meeting_id": 22,
            "consultation_id": 44,
            "agenda_item_id": 33,
            "late_addition": False,
        },
        [(V, 11)],
    ),
    "MeetingCreated": ({"meeting_id": 22}, []),
    "AgendaChanged": ({"meeting_id": 22}, [(INV, 22)]),
    "MeetingInvited": ({"meeting_id": 22, "urgent": False}, [(INV, 22)]),
    "MeetingCancelled": ({"meeting_id": 22}, [(INV, 22)]),
    "AttendanceRecorded": ({"meeting_id": 22}, [(M, 22)]),
    "ResultRecorded": ({**RESULT, "outcome": "adopted"}, [(V, 11), (M, 22), (X, 33)]),
    "ResultCorrected": ({**RESULT, "revision": 2}, [(V, 11), (M, 22), (X, 33)]),
    "PaperDecided": (PAPER, []),  # always emitted together with ResultRecorded
    "PaperNoted": (PAPER, []),  # likewise
    "PaperWithdrawn": (PAPER, [(V, 11)]),
    "PaperSettled": (PAPER, [(V, 11)]),
    "MinutesApproved": ({"meeting_id": 22}, [(M, 22)]),
}


def emitted_event_types() -> set[str]:
    """Every event type the domain writes to the outbox, read from its source."""
    found: set[str] = set()
    for path in (Path(__file__).resolve().parents[2] / "workflow").glob("*.py"):
        source = path.read_text()
        found |= set(re.findall(r'emit\(\s*session,\s*"(\w+)"', source))
        found |= set(re.findall(r'\bevent="(\w+)"', source))
        found |= set(re.findall(r'events\.append\("(\w+)"\)', source))
    return found


def test_every_event_the_domain_emits_has_an_expected_answer() -> None:
    assert emitted_event_types() == set(EXPECTED)


@pytest.mark.parametrize("event_type", sorted(EXPECTED))
def test_each_event_calls_for_its_documents(event_type: str) -> None:
    payload, documents = EXPECTED[event_type]
    assert documents_for_event(event_type, payload) == documents


def test_a_paper_scheduled_after_the_invitation_renews_the_invitation() -> None:
    payload = {
        "paper_id": 11,
        "meeting_id": 22,
        "consultation_id": 44,
        "agenda_item_id": 33,
        "late_addition": True,
    }
    assert documents_for_event("ConsultationScheduled", payload) == [(V, 11), (INV, 22)]


def test_unknown_events_and_payloads_without_usable_ids_call_for_nothing() -> None:
    assert documents_for_event("SomethingElse", {"paper_id": 1, "meeting_id": 2}) == []
    assert documents_for_event("PaperChanged", {}) == []
    assert documents_for_event("PaperChanged", {"paper_id": "11"}) == []
    assert documents_for_event("PaperChanged", {"paper_id": True}) == []
    assert documents_for_event(
        "ResultRecorded", {"paper_id": 11, "meeting_id": 0, "agenda_item_id": None}
    ) == [(V, 11)]
