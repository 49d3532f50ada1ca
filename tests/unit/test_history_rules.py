"""What imported history becomes: outcome codes only where unambiguous, final states, roles of steps."""

from __future__ import annotations

import datetime as dt

import pytest

from workflow.history import (
    decision_inconsistencies,
    outcome_of,
    paper_state,
    step_inconsistencies,
    step_roles,
    step_state,
)
from workflow.vocabulary import Outcome, PaperState

NOW = dt.datetime(2026, 12, 7, 12, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    ("wording", "authoritative", "expected"),
    [
        ("Beschlossen.", True, Outcome.adopted),
        ("einstimmig beschlossen", True, Outcome.adopted),
        ("Abgelehnt", True, Outcome.rejected),
        ("zur Kenntnis genommen", False, Outcome.noted),
        ("Vertagt", False, Outcome.postponed),
        ("Zustimmung empfohlen", False, Outcome.recommended),
        ("von der Tagesordnung abgesetzt", True, Outcome.removed),
        # a deciding outcome only on the deciding step, a recommendation only before it
        ("beschlossen", False, None),
        ("Zustimmung empfohlen", True, None),
        # vote counts alone do not say what was decided; neither does prose
        ("einstimmig, 0 Enthaltungen", True, None),
        ("13 Ja-Stimmen, 0 Enthaltungen, 0 Nein-Stimmen", True, None),
        ("Der Ausschuss nimmt die Ausführungen zur Kenntnis.", False, None),
        ("ohne", True, None),
        (None, True, None),
    ],
)
def test_result_wording_maps_to_an_outcome_only_where_unambiguous(
    wording: str | None, authoritative: bool, expected: Outcome | None
) -> None:
    assert outcome_of(wording, authoritative=authoritative) is expected


def test_step_state_follows_the_meeting() -> None:
    past, future = NOW - dt.timedelta(days=3), NOW + dt.timedelta(days=3)
    assert step_state(meeting_start=past, meeting_cancelled=False, now=NOW) == "dealt_with"
    assert step_state(meeting_start=future, meeting_cancelled=False, now=NOW) == "scheduled"
    assert step_state(meeting_start=None, meeting_cancelled=False, now=NOW) == "planned"
    assert step_state(meeting_start=past, meeting_cancelled=True, now=NOW) == "planned"


def test_a_step_whose_state_the_source_withheld_is_dealt_with_unless_its_meeting_says_otherwise() -> None:
    past, future = NOW - dt.timedelta(days=3), NOW + dt.timedelta(days=3)
    assert step_state(meeting_start=None, meeting_cancelled=False, now=NOW, withheld=True) == "dealt_with"
    assert step_state(meeting_start=future, meeting_cancelled=False, now=NOW, withheld=True) == "scheduled"
    assert step_state(meeting_start=past, meeting_cancelled=False, now=NOW, withheld=True) == "dealt_with"


def test_a_paper_decided_at_the_source_arrives_in_its_final_state() -> None:
    today = NOW.date()
    old = dt.date(2016, 4, 7)
    decided = [("dealt_with", "recommended", False), ("dealt_with", "adopted", True)]
    assert paper_state("beschlussvorlage", decided, old, today) is PaperState.adopted
    rejected = [("dealt_with", None, False), ("dealt_with", "rejected", True)]
    assert paper_state("beschlussvorlage", rejected, old, today) is PaperState.rejected
    unworded = [("dealt_with", None, False), ("dealt_with", None, True)]
    assert paper_state("beschlussvorlage", unworded, old, today) is PaperState.settled
    assert paper_state("mitteilungsvorlage", unworded, old, today) is PaperState.noted


def test_a_paper_still_open_at_the_source_continues_here() -> None:
    today = NOW.date()
    open_steps = [("dealt_with", "recommended", False), ("planned", None, True)]
    assert paper_state("beschlussvorlage", open_steps, today, today) is PaperState.in_deliberation
    assert paper_state("beschlussvorlage", [("planned", None, True)], today, today) is PaperState.submitted
    assert paper_state("antrag", [], today, today) is PaperState.submitted
    assert paper_state("antrag", [], dt.date(2010, 1, 1), today) is PaperState.settled


def test_roles_of_steps_keep_what_the_source_says_and_otherwise_the_last_step_decides() -> None:
    assert step_roles("beschlussvorlage", [(None, None), (None, None)]) == [
        ("preliminary", False),
        ("decision", True),
    ]
    assert step_roles("mitteilungsvorlage", [(None, None)]) == [("notice", False)]
    assert step_roles("beschlussvorlage", [("decision", True), ("preliminary", None)]) == [
        ("decision", True),
        ("preliminary", False),
    ]


def test_a_step_that_does_not_fit_its_meeting_is_reported() -> None:
    fits = step_inconsistencies(body_id=1, meeting_body_ids={1, 2}, meeting_id=5, item_meeting_id=5)
    assert fits == []
    assert step_inconsistencies(body_id=3, meeting_body_ids={1}, meeting_id=5, item_meeting_id=6) == [
        "Gremium der Beratung tagt nicht in ihrer Sitzung",
        "TOP der Beratung gehört zu einer anderen Sitzung",
    ]
    # without a meeting (or one whose bodies are unknown) there is nothing to compare
    assert step_inconsistencies(body_id=3, meeting_body_ids=set(), meeting_id=None, item_meeting_id=6) == []


def test_different_final_decisions_of_one_paper_are_reported() -> None:
    dealt = "dealt_with"
    assert decision_inconsistencies([(dealt, "postponed", True), (dealt, "adopted", True)]) == []
    assert decision_inconsistencies([(dealt, "rejected", False), (dealt, "adopted", True)]) == []
    (problem,) = decision_inconsistencies([(dealt, "adopted", True), (dealt, "rejected", True)])
    assert problem.startswith("Widersprüchliche Beschlüsse: ")
