"""Ordering the agenda and taking a TOP off again: the engine numbers every TOP anew, audits the change, and
refuses what the law leaves to the body after the invitation."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from tests.conftest import Database
from tests.scenario import Scenario, berlin
from workflow import agenda, meetings
from workflow.errors import RuleViolation, TransitionNotAllowed
from workflow.models import AuditEvent, Consultation, Depublication, Meeting
from workflow.profile import load_profile
from workflow.vocabulary import ConsultationState


def _numbers(sc: Scenario, meeting_id: int) -> list[tuple[str, str]]:
    with sc.sessions() as s:
        return [(i.number, i.title) for i in s.get_one(Meeting, meeting_id).agenda_items]


def _meeting_with_three(sc: Scenario) -> tuple[Meeting, list[int]]:
    meeting = sc.new_meeting("sjs", "2013-10-28 17:00")
    papers = [sc.submitted_paper(subject=s, committees=["sjs"]) for s in ("Spielplatz", "Sporthalle")]
    items = [sc.schedule(p.id, "sjs", meeting.id).id for p in papers]
    plain = meetings.add_agenda_item(
        sc.sessions, actor="test", meeting_id=meeting.id, title="Mitteilungen", now=berlin("2013-10-01 10:00")
    )
    secret = meetings.add_agenda_item(
        sc.sessions,
        actor="test",
        meeting_id=meeting.id,
        title="Grundstücksangelegenheit",
        public=False,
        now=berlin("2013-10-01 10:00"),
    )
    return meeting, [*items, plain.id, secret.id]


def test_moving_a_top_numbers_its_part_again_and_is_audited(db: Database) -> None:
    sc = Scenario(db.sessions)
    meeting, (spiel, _sport, plain, secret) = _meeting_with_three(sc)
    assert _numbers(sc, meeting.id) == [
        ("Ö 1", "Spielplatz"),
        ("Ö 2", "Sporthalle"),
        ("Ö 3", "Mitteilungen"),
        ("N 1", "Grundstücksangelegenheit"),
    ]
    agenda.move_agenda_item(
        sc.sessions, actor="Büro", item_id=plain, position=0, now=berlin("2013-10-02 09:00")
    )
    assert _numbers(sc, meeting.id) == [
        ("Ö 1", "Mitteilungen"),
        ("Ö 2", "Spielplatz"),
        ("Ö 3", "Sporthalle"),
        ("N 1", "Grundstücksangelegenheit"),
    ]
    agenda.move_agenda_item(
        sc.sessions, actor="Büro", item_id=spiel, position=2, now=berlin("2013-10-02 09:01")
    )
    assert [n for n, _ in _numbers(sc, meeting.id)] == ["Ö 1", "Ö 2", "Ö 3", "N 1"]
    assert [t for _, t in _numbers(sc, meeting.id)][:3] == ["Mitteilungen", "Sporthalle", "Spielplatz"]
    with db.sessions() as s:
        moved = s.scalars(select(AuditEvent).where(AuditEvent.action == "agenda_item.moved")).all()
        assert next((e.actor, e.before, e.after) for e in moved) == (
            "Büro",
            {"number": "Ö 3", "order": 2},
            {"number": "Ö 1", "order": 0},
        )
    with pytest.raises(RuleViolation, match="outside the part") as outside:
        agenda.move_agenda_item(sc.sessions, actor="Büro", item_id=secret, position=1)
    assert "nichtöffentlichen Teil" in outside.value.german
    assert _numbers(sc, meeting.id)[3] == ("N 1", "Grundstücksangelegenheit")


def test_after_the_invitation_a_move_is_a_changed_invitation(db: Database) -> None:
    sc = Scenario(db.sessions)
    meeting, (spiel, sport, _plain, _secret) = _meeting_with_three(sc)
    sc.invite(meeting.id)
    sequence = sc.meeting(meeting.id).sequence
    agenda.move_agenda_item(
        sc.sessions, actor="Büro", item_id=sport, position=0, now=berlin("2013-10-20 09:00")
    )
    assert sc.meeting(meeting.id).sequence == sequence + 1
    assert _numbers(sc, meeting.id)[0] == ("Ö 1", "Sporthalle")
    with pytest.raises(TransitionNotAllowed, match="only the body") as refused:
        agenda.remove_agenda_item(sc.sessions, actor="Büro", item_id=spiel, now=berlin("2013-10-20 09:00"))
    assert "abgesetzt" in refused.value.german
    assert len(_numbers(sc, meeting.id)) == 4


def test_taking_a_paper_off_the_agenda_lets_its_step_wait_again(db: Database) -> None:
    sc = Scenario(db.sessions)
    meeting, (spiel, _sport, plain, _secret) = _meeting_with_three(sc)
    step_id = sc.item(spiel).consultation_id
    assert step_id is not None
    with db.sessions() as s:
        paper_id = s.get_one(Consultation, step_id).paper_id
    agenda.remove_agenda_item(sc.sessions, actor="Büro", item_id=spiel, now=berlin("2013-10-03 09:00"))
    agenda.remove_agenda_item(sc.sessions, actor="Büro", item_id=plain, now=berlin("2013-10-03 09:01"))
    assert _numbers(sc, meeting.id) == [("Ö 1", "Sporthalle"), ("N 1", "Grundstücksangelegenheit")]
    with db.sessions() as s:
        step = s.get_one(Consultation, step_id)
        assert (step.state, step.meeting_id, step.agenda_item_id) == (ConsultationState.planned, None, None)
        removed = s.scalars(select(AuditEvent).where(AuditEvent.action == "agenda_item.removed")).all()
        assert [e.before["title"] for e in removed if e.before] == ["Spielplatz", "Mitteilungen"]
        # Both were public (a public body, a public paper): OParl clients learn to delete them.
        gone = s.scalars(select(Depublication.object_id).where(Depublication.object_type == "agenda_item"))
        assert sorted(gone) == sorted([spiel, plain])
    # The step can go on the agenda again, now at the end of the public part.
    again = sc.schedule(paper_id, "sjs", meeting.id)
    assert again.number == "Ö 2"


def test_the_late_item_rule_in_german() -> None:
    assert agenda.late_item_rule(load_profile("hessen")) == (
        "Zwei Drittel der gesetzlichen Zahl der Mitglieder müssen in der Sitzung der Behandlung zustimmen "
        "(§ 58 Abs. 2 HGO (Wortlaut nicht geprüft))."
    )
    nrw = agenda.late_item_rule(load_profile("nrw"))
    assert nrw is not None
    assert nrw.startswith("Das Gremium muss in der Sitzung beschließen")
