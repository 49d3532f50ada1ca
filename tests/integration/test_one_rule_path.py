"""Recording and correcting a result check the same rules on the same facts, and both check the caller."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from tests.conftest import Database
from tests.scenario import Scenario, recorder
from workflow import meetings, results
from workflow.access import Forbidden, Principal, Role
from workflow.errors import DomainError, TransitionNotAllowed
from workflow.models import ItemResult
from workflow.rules import FactionCount, VoteInput
from workflow.vocabulary import Outcome

START = "2013-10-28 17:00"


def two_items_at_sjs(sc: Scenario) -> tuple[int, int]:
    """Two papers at one meeting of the social committee: the first with a result, the second without."""
    ids = []
    for _ in range(2):
        paper = sc.submitted_paper(committees=["sjs"])
        sc.deal_with(paper.id, "magistrat", "2013-10-07 09:00", Outcome.recommended, VoteInput(12, 0, 0))
        ids.append(paper.id)
    meeting = sc.new_meeting("sjs", START)
    recorded, waiting = (sc.schedule(paper_id, "sjs", meeting.id).id for paper_id in ids)
    sc.invite(meeting.id)
    sc.attend(meeting.id)
    sc.record(recorded, Outcome.recommended, VoteInput(9, 2, 2))
    return recorded, waiting


#: Broken rules of results whose outcome has the effect of the recorded one (a correction must keep it).
BROKEN: dict[str, dict[str, Any]] = {
    "more votes than members present": {"outcome": Outcome.recommended, "votes": [VoteInput(14, 0, 0)]},
    "a recommendation the votes did not carry": {
        "outcome": Outcome.recommended,
        "votes": [VoteInput(2, 9, 2)],
    },
    "a rejected recommendation the votes carried": {
        "outcome": Outcome.not_recommended,
        "votes": [VoteInput(9, 2, 2)],
    },
    "an outcome the role may not have": {"outcome": Outcome.statement},
    "faction counts that do not add up": {
        "outcome": Outcome.recommended,
        "votes": [VoteInput(9, 2, 2, faction_counts=(FactionCount(1, 20, 0, 0),))],
    },
    "a person not of this municipality": {"outcome": Outcome.recommended, "present": [999_999]},
    "lack of quorum without deferral": {"outcome": Outcome.recommended, "quorum_failed": True},
    "a referral without the outcome referred": {"outcome": Outcome.recommended, "referred_to": "stvv"},
}


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_recording_and_correcting_refuse_the_same_broken_rule_with_the_same_message(
    db: Database, case: str
) -> None:
    sc = Scenario(db.sessions)
    recorded, waiting = two_items_at_sjs(sc)
    given = results.ResultInput(**BROKEN[case])
    secretary = recorder(db.sessions)
    with pytest.raises(DomainError) as by_recording:
        results.record_result(db.sessions, who=secretary, agenda_item_id=waiting, result=given)
    with pytest.raises(DomainError) as by_correcting:
        results.correct_result(
            db.sessions, who=secretary, agenda_item_id=recorded, result=given, reason="Fehler"
        )
    assert (type(by_correcting.value), str(by_correcting.value)) == (
        type(by_recording.value),
        str(by_recording.value),
    )


def test_both_use_cases_refuse_a_caller_who_may_not_record_for_the_body(db: Database) -> None:
    sc = Scenario(db.sessions)
    recorded, waiting = two_items_at_sjs(sc)
    stranger = Principal(
        user_id=0,
        username="fremd",
        role=Role.secretary,
        municipality_id=sc.town_id(),
        department_id=None,
        person_id=None,
        body_ids=frozenset({sc.body_id("stvv")}),
    )
    given = results.ResultInput(Outcome.recommended, votes=[VoteInput(9, 2, 2)])
    with pytest.raises(Forbidden, match="own bodies"):
        results.record_result(db.sessions, who=stranger, agenda_item_id=waiting, result=given)
    with pytest.raises(Forbidden, match="own bodies"):
        results.correct_result(db.sessions, who=stranger, agenda_item_id=recorded, result=given, reason="x")
    with db.sessions() as s:
        assert s.scalars(select(ItemResult).where(ItemResult.agenda_item_id == waiting)).all() == []


def test_a_result_for_a_top_of_a_cancelled_meeting_says_the_meeting_was_cancelled(db: Database) -> None:
    sc = Scenario(db.sessions)
    paper = sc.submitted_paper(committees=["sjs"])
    meeting = sc.new_meeting("magistrat", "2013-10-07 09:00")
    item = sc.schedule(paper.id, "magistrat", meeting.id)
    sc.invite(meeting.id)
    meetings.cancel_meeting(
        db.sessions, actor="test", meeting_id=meeting.id, reason="Sturm", now=meeting.start
    )
    with pytest.raises(TransitionNotAllowed, match="was cancelled") as refused:
        sc.record(item.id, Outcome.recommended, VoteInput(12, 0, 0))
    assert "wurde abgesagt" in refused.value.german
