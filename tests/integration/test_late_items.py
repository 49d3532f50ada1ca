"""Items added after the invitation (Hessen § 58 Abs. 2 HGO): two thirds of the statutory members must agree."""

from __future__ import annotations

import pytest

from tests.conftest import Database
from tests.scenario import Scenario
from workflow.errors import RuleViolation, VoteInconsistent
from workflow.rules import VoteInput
from workflow.vocabulary import Outcome, PaperKind


def _late_item(sc: Scenario) -> int:
    on_time = sc.submitted_paper(kind=PaperKind.aenderungsantrag, subject="Pünktlich")
    late = sc.submitted_paper(kind=PaperKind.aenderungsantrag, subject="Nachzügler")
    meeting = sc.new_meeting("stvv", "2013-11-27 18:00")
    sc.schedule(on_time.id, "stvv", meeting.id)
    sc.invite(meeting.id)
    item = sc.schedule(late.id, "stvv", meeting.id, when="2013-11-26 09:00")
    assert item.late_addition
    sc.attend(meeting.id)
    return item.id


def test_a_late_item_without_the_two_thirds_vote_is_refused(db: Database) -> None:
    sc = Scenario(db.sessions)
    item_id = _late_item(sc)
    with pytest.raises(RuleViolation, match="needs 40 votes") as refused:
        sc.record(item_id, Outcome.adopted, VoteInput(40, 10, 0))
    assert "Zustimmung von 40 Mitgliedern (2/3 von 59)" in refused.value.german
    with pytest.raises(RuleViolation, match="39 votes"):
        sc.record(item_id, Outcome.adopted, VoteInput(40, 10, 0), late_item_approval=39)


def test_a_late_item_taken_up_by_two_thirds_can_be_decided(db: Database) -> None:
    sc = Scenario(db.sessions)
    item_id = _late_item(sc)
    result = sc.record(item_id, Outcome.adopted, VoteInput(40, 10, 0), late_item_approval=40)
    assert result.late_item_approval == 40


def test_more_approvals_than_members_present_are_refused(db: Database) -> None:
    sc = Scenario(db.sessions)
    item_id = _late_item(sc)
    with pytest.raises(VoteInconsistent, match="60 votes for taking up the item > 59"):
        sc.record(item_id, Outcome.adopted, VoteInput(40, 10, 0), late_item_approval=60)
