"""Which documents each outbox event calls for; every event the domain emits is in the table."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from tests.conftest import Database
from tests.scenario import Scenario, berlin, recorder
from workers.documents import DocumentKind, documents_for_event
from workflow import meetings, papers, results
from workflow.models import OutboxMessage
from workflow.rules import VoteInput
from workflow.vocabulary import Outcome, PaperKind

V, INV, M, X = (
    DocumentKind.VORLAGE,
    DocumentKind.INVITATION,
    DocumentKind.MINUTES,
    DocumentKind.RESOLUTION_EXTRACT,
)
PAPER = {"paper_id": 11, "state": "submitted", "reference": "1562/13"}
RESULT = {"paper_id": 11, "meeting_id": 22, "agenda_item_id": 33, "consultation_id": 44}

# Event type → (a payload as the domain emits it, the documents it calls for).
CIRCULATION = {"paper_id": 11, "consultation_id": 44, "circulation_id": 66}
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
    "MeetingMoved": (
        {
            "meeting_id": 22,
            "invited": True,
            "previous_start": "2013-10-28T16:00:00+00:00",
            "previous_location": "Rathaus",
        },
        [(INV, 22)],
    ),
    "MeetingCancelled": ({"meeting_id": 22}, [(INV, 22)]),
    "AttendanceRecorded": ({"meeting_id": 22}, [(M, 22)]),
    "ResultRecorded": ({**RESULT, "outcome": "adopted"}, [(V, 11), (M, 22), (X, 33)]),
    "ResultCorrected": ({**RESULT, "revision": 2}, [(V, 11), (M, 22), (X, 33)]),
    "PaperDecided": (PAPER, []),  # always emitted together with ResultRecorded
    "PaperNoted": (PAPER, []),  # likewise
    "PaperRevoked": (PAPER, []),  # likewise
    "UrgentDecisionRecorded": ({"paper_id": 11, "consultation_id": 44, "outcome": "adopted"}, [(V, 11)]),
    "PaperWithdrawn": (PAPER, [(V, 11)]),
    "PaperSettled": (PAPER, [(V, 11)]),
    "MinutesApproved": ({"meeting_id": 22}, [(M, 22)]),
    "QuorumRecorded": ({"meeting_id": 22}, [(M, 22)]),
    "PaperDepublished": (PAPER, []),  # taken out of publication (OParl): nothing new to render
    # Decisions without a meeting (Umlaufverfahren): only the decision changes the Vorlage's table.
    "CirculationStarted": ({**CIRCULATION, "body_id": 55}, []),
    "CirculationObjected": (CIRCULATION, []),
    "CirculationDecided": ({**CIRCULATION, "outcome": "adopted"}, [(V, 11)]),
    # A confirmation mail is asked for (e-mail alerts): no document.
    "AlertSubscriptionRequested": ({"subscription_id": 77}, []),
}


def emitted_event_types() -> set[str]:
    """Every event type the domain writes to the outbox, read from its source."""
    found: set[str] = set()
    for path in (Path(__file__).resolve().parents[2] / "workflow").glob("*.py"):
        source = path.read_text()
        found |= set(re.findall(r'emit\(\s*session,\s*"(\w+)"', source))
        found |= set(re.findall(r'\bevent="(\w+)"', source))
        found |= set(re.findall(r'events\.append\("(\w+)"\)', source))
        found |= set(re.findall(r'\bevents = .*?\("(\w+)",\)', source))
        found |= set(
            re.findall(r'\bevents = \(.*? else \("(\w+)",\)', source)
        )  # an outcome's (beratungsfolge.py)
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


# Which payload key names the subject of each kind of document.
SUBJECT_KEY = {V: "paper_id", INV: "meeting_id", M: "meeting_id", X: "agenda_item_id"}


def test_real_outbox_payloads_of_a_scenario_run_call_for_the_documents_of_their_subjects(
    sqlite_db: Database,
) -> None:
    """The payloads as the domain writes them (not written by hand): each event calls for the documents the
    table above names, about the paper, meeting and item its payload carries."""
    run = Scenario(sqlite_db.sessions)
    paper = run.submitted_paper(committees=["sjs"])
    draft = papers.draft_paper(
        sqlite_db.sessions,
        actor="test",
        municipality="wetzlar",
        kind=PaperKind.beschlussvorlage,
        department="kbs",
        subject="Entwurf",
        paper_date=dt.date(2013, 9, 1),
        now=berlin("2013-09-01 10:00"),
    )
    papers.update_draft(
        sqlite_db.sessions, actor="test", paper_id=draft.id, changes={"subject": "Entwurf, geändert"}
    )
    withdrawn = run.submitted_paper(subject="Zurückgezogen")
    papers.withdraw_paper(sqlite_db.sessions, actor="test", paper_id=withdrawn.id, reason="überholt")
    settled = run.submitted_paper(subject="Erledigt")
    papers.settle_paper(sqlite_db.sessions, actor="test", paper_id=settled.id, reason="erledigt")
    item = run.deal_with(paper.id, "magistrat", "2013-09-30 09:00", Outcome.recommended, VoteInput(7, 0, 0))
    results.correct_result(
        sqlite_db.sessions,
        who=recorder(sqlite_db.sessions, "test"),
        agenda_item_id=item.id,
        result=results.ResultInput(Outcome.recommended, votes=[VoteInput(6, 1, 0)]),
        reason="Zählfehler",
        now=berlin("2013-10-01 09:00"),
    )
    meetings.approve_minutes(
        sqlite_db.sessions, actor="test", meeting_id=item.meeting_id, now=berlin("2013-10-02 09:00")
    )
    cancelled = run.new_meeting("sjs", "2013-10-28 17:00")
    run.schedule(paper.id, "sjs", cancelled.id)
    meetings.add_agenda_item(
        sqlite_db.sessions,
        actor="test",
        meeting_id=cancelled.id,
        title="Mitteilungen",
        now=berlin("2013-10-01 09:00"),
    )
    run.invite(cancelled.id)
    meetings.cancel_meeting(
        sqlite_db.sessions,
        actor="test",
        meeting_id=cancelled.id,
        reason="Erkrankung",
        now=berlin("2013-10-27 09:00"),
    )
    with sqlite_db.session() as s:
        messages = [
            (m.event_type, m.payload) for m in s.scalars(select(OutboxMessage).order_by(OutboxMessage.id))
        ]
    seen = {event_type for event_type, _ in messages}
    assert seen >= {
        "PaperDrafted",
        "PaperChanged",
        "BeratungsfolgePlanned",
        "PaperSubmitted",
        "PaperWithdrawn",
        "PaperSettled",
        "MeetingCreated",
        "ConsultationScheduled",
        "AgendaChanged",
        "MeetingInvited",
        "AttendanceRecorded",
        "ResultRecorded",
        "ResultCorrected",
        "MinutesApproved",
        "MeetingCancelled",
    }, seen
    for event_type, payload in messages:
        kinds = [kind for kind, _ in EXPECTED[event_type][1]]
        if event_type == "ConsultationScheduled" and payload["late_addition"]:
            kinds.append(INV)
        expected = [(kind, payload[SUBJECT_KEY[kind]]) for kind in kinds]
        assert documents_for_event(event_type, payload) == expected, (event_type, payload)
        for _kind, subject_id in expected:
            assert isinstance(subject_id, int), (event_type, payload)
            assert subject_id > 0, (event_type, payload)
    # The ids point at what happened: the results name the Magistrat's item and meeting and the paper.
    recorded = [p for t, p in messages if t in ("ResultRecorded", "ResultCorrected")]
    assert [(p["paper_id"], p["meeting_id"], p["agenda_item_id"]) for p in recorded] == [
        (paper.id, item.meeting_id, item.id)
    ] * 2
