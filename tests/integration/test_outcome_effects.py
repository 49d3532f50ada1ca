"""What every outcome code does to the Beratungsfolge, on SQLite and PostgreSQL (DOMAIN.md, 'Outcomes').

The default Wetzlar paper with ``committees=["sjs"]`` runs Magistrat (stage 1) → Sozial-, Jugend- und
Sportausschuss (stage 2) → Stadtverordnetenversammlung (stage 3, decides).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pytest
from sqlalchemy import select

from tests.conftest import Database
from tests.scenario import Scenario, berlin
from workflow import meetings, papers, planning
from workflow.errors import NotFound, RuleViolation, TransitionNotAllowed
from workflow.models import ItemResult, OutboxMessage, Paper
from workflow.planning import StepInput
from workflow.queries import PaperStatus, paper_status, waiting_for
from workflow.rules import VoteInput
from workflow.vocabulary import (
    ConsultationRole,
    ConsultationState,
    Outcome,
    PaperKind,
    PaperState,
)

SJS = "Sozial-, Jugend- und Sportausschuss"
KFP = "Kultur-, Freizeit- und Partnerschaftsausschuss"
FWA = "Finanz- und Wirtschaftsausschuss"
STVV = "Stadtverordnetenversammlung"


# ---------------------------------------------------------------------------------------------- helpers


def status(db: Database, paper_id: int) -> PaperStatus:
    with db.session() as s:
        return paper_status(s, paper_id)


def outbox(db: Database, event_type: str) -> list[dict[str, Any]]:
    with db.session() as s:
        rows = s.scalars(
            select(OutboxMessage).where(OutboxMessage.event_type == event_type).order_by(OutboxMessage.id)
        )
        return [dict(row.payload) for row in rows]


def waiting(db: Database, sc: Scenario, body: str) -> list[int]:
    with db.session() as s:
        return [step.id for step in waiting_for(s, sc.body_id(body))]


def plan_of(sc: Scenario, paper_id: int) -> list[tuple[str, int, str, str]]:
    return [(key, s.stage, s.state, s.role) for key, s in sc.steps(paper_id).items()]


def paper_with_plan(sc: Scenario, stages: Sequence[Sequence[StepInput]], *, when: str) -> Paper:
    """Draft, plan the explicit ``stages`` and submit a Wetzlar Beschlussvorlage."""
    now = berlin(when)
    paper = papers.draft_paper(
        sc.sessions,
        actor=sc.actor,
        municipality=sc.town,
        kind=PaperKind.beschlussvorlage,
        department="kbs",
        subject="Vorlage mit eigener Beratungsfolge",
        paper_date=now.date(),
        proposed_resolution="Der Beschlussvorschlag.",
        now=now,
    )
    planning.plan_consultations(sc.sessions, actor=sc.actor, paper_id=paper.id, stages=stages, now=now)
    return papers.submit_paper(sc.sessions, actor=sc.actor, paper_id=paper.id, now=now)


def ready_item(sc: Scenario, paper_id: int, body: str, start: str) -> int:
    """A new meeting of ``body``: the paper's step scheduled, invitation sent, everybody present."""
    meeting = sc.new_meeting(body, start)
    item = sc.schedule(paper_id, body, meeting.id)
    sc.invite(meeting.id)
    sc.attend(meeting.id)
    return item.id


def through_magistrat(sc: Scenario, **kwargs: Any) -> Paper:
    paper = sc.submitted_paper(**kwargs)
    sc.deal_with(paper.id, "magistrat", "2013-10-07 09:00", Outcome.recommended, VoteInput(12, 0, 0))
    return paper


# ---------------------------------------------------------------------------------------------- postponed


def test_a_postponed_step_comes_back_to_the_same_body_and_the_table_shows_both_meetings(db: Database) -> None:
    sc = Scenario(db.sessions)
    paper = through_magistrat(sc, committees=["sjs"])
    sc.deal_with(paper.id, "sjs", "2013-10-28 17:00", Outcome.postponed)

    step = sc.steps(paper.id)["sjs"]
    assert (step.state, step.outcome, step.outcome_wording) == ("postponed", "postponed", "vertagt")
    assert sc.paper(paper.id).state == PaperState.in_deliberation
    assert waiting(db, sc, "sjs") == [step.id]
    assert [s.body for s in status(db, paper.id).current] == [SJS]

    sc.deal_with(paper.id, "sjs", "2013-11-11 17:00", Outcome.recommended, VoteInput(9, 2, 2))

    again = sc.steps(paper.id)["sjs"]
    assert (again.id, again.state, again.outcome) == (step.id, "dealt_with", "recommended")
    assert waiting(db, sc, "sjs") == []
    assert status(db, paper.id).table() == [
        ("Magistrat", "07.10.2013", "N 1", "Zustimmung empfohlen (einstimmig)"),
        (SJS, "28.10.2013", "Ö 1", "vertagt"),
        (SJS, "11.11.2013", "Ö 1", "Zustimmung empfohlen (9 Ja / 2 Nein / 2 Enthaltungen)"),
        (STVV, "", "", ""),
    ]


# ---------------------------------------------------------------------------------------------- deferred


def test_a_body_without_quorum_defers_the_item_and_its_next_agenda_item_is_a_quorate_second_session(
    db: Database,
) -> None:
    sc = Scenario(db.sessions)
    paper = through_magistrat(sc, committees=["sjs"])
    first = sc.new_meeting("sjs", "2013-10-28 17:00")
    item = sc.schedule(paper.id, "sjs", first.id)
    sc.invite(first.id)
    sc.attend(first.id, present=sc.members("sjs")[:6])  # 6 of 13: at least 7 needed
    sc.record(item.id, Outcome.deferred, quorum_failed=True)

    step = sc.steps(paper.id)["sjs"]
    assert (step.state, step.outcome, step.quorum_failed) == ("deferred", "deferred", True)
    with db.session() as s:
        result = s.scalars(select(ItemResult).where(ItemResult.agenda_item_id == item.id)).one()
        assert result.quorum_failed is True
        assert result.votes == []
    assert waiting(db, sc, "sjs") == [step.id]

    # The next meeting is an ordinary one; only the deferred paper's item is a second session.
    other = through_magistrat(sc, committees=["sjs"], subject="Eine andere Vorlage")
    second = sc.new_meeting("sjs", "2013-11-11 17:00")
    repeated = sc.schedule(paper.id, "sjs", second.id)
    ordinary = sc.schedule(other.id, "sjs", second.id)
    assert sc.item(repeated.id).second_session is True
    assert sc.item(ordinary.id).second_session is False
    assert sc.meeting(second.id).second_session is False
    sc.invite(second.id)
    sc.attend(second.id, present=sc.members("sjs")[:3])

    sc.record(repeated.id, Outcome.recommended, VoteInput(3, 0, 0))  # quorate regardless
    with pytest.raises(RuleViolation, match="was not established at the opening"):
        sc.record(ordinary.id, Outcome.recommended, VoteInput(3, 0, 0))

    done = sc.steps(paper.id)["sjs"]
    assert (done.state, done.quorum_failed) == ("dealt_with", False)
    assert sc.steps(other.id)["sjs"].state == ConsultationState.invited


def test_deferring_for_lack_of_quorum_is_refused_when_the_body_was_quorate(db: Database) -> None:
    sc = Scenario(db.sessions)
    paper = through_magistrat(sc, committees=["sjs"])
    meeting = sc.new_meeting("sjs", "2013-10-28 17:00")
    item = sc.schedule(paper.id, "sjs", meeting.id)
    sc.invite(meeting.id)
    sc.attend(meeting.id, present=sc.members("sjs")[:7], establish_quorum=False)

    with pytest.raises(RuleViolation, match=r"was quorate \(7 voting members present, 7 needed\)"):
        sc.record(item.id, Outcome.deferred, quorum_failed=True)
    assert sc.steps(paper.id)["sjs"].state == ConsultationState.invited

    sc.record(item.id, Outcome.deferred)  # deferred for another reason is fine
    step = sc.steps(paper.id)["sjs"]
    assert (step.state, step.quorum_failed) == ("deferred", False)


def test_lack_of_quorum_is_only_recorded_as_deferred_and_without_votes(db: Database) -> None:
    sc = Scenario(db.sessions)
    paper = through_magistrat(sc, committees=["sjs"])
    meeting = sc.new_meeting("sjs", "2013-10-28 17:00")
    item = sc.schedule(paper.id, "sjs", meeting.id)
    sc.invite(meeting.id)
    sc.attend(meeting.id, present=sc.members("sjs")[:5])

    with pytest.raises(RuleViolation, match="outcome 'deferred'"):
        sc.record(item.id, Outcome.postponed, quorum_failed=True)
    with pytest.raises(RuleViolation, match="not quorate cannot vote"):
        sc.record(item.id, Outcome.deferred, VoteInput(5, 0, 0), quorum_failed=True)
    assert sc.steps(paper.id)["sjs"].state == ConsultationState.invited


# ---------------------------------------------------------------------------------------------- referred


def test_a_referral_inserts_a_stage_for_the_named_body_and_moves_the_later_stages_back(db: Database) -> None:
    sc = Scenario(db.sessions)
    paper = sc.submitted_paper(committees=["sjs"])
    sc.deal_with(paper.id, "magistrat", "2013-10-07 09:00", Outcome.referred, referred_to="kfp")

    assert plan_of(sc, paper.id) == [
        ("magistrat", 1, "dealt_with", "preliminary"),
        ("kfp", 2, "planned", "preliminary"),
        ("sjs", 3, "planned", "preliminary"),
        ("stvv", 4, "planned", "decision"),
    ]
    steps = sc.steps(paper.id)
    assert steps["kfp"].referred_from_id == steps["magistrat"].id
    assert steps["kfp"].authoritative is False
    assert steps["magistrat"].outcome_wording == f"verwiesen an {KFP}"
    assert [s.body for s in status(db, paper.id).current] == [KFP]

    # The new stage joins like any other: the committee after it waits for it.
    kfp_item = ready_item(sc, paper.id, "kfp", "2013-10-21 17:00")
    sjs_item = ready_item(sc, paper.id, "sjs", "2013-10-28 17:00")
    with pytest.raises(RuleViolation, match=KFP) as refused:
        sc.record(sjs_item, Outcome.recommended, VoteInput(13, 0, 0))
    assert refused.value.details["rule"] == "stage_not_joined"

    sc.record(kfp_item, Outcome.recommended, VoteInput(10, 3, 0))
    sc.record(sjs_item, Outcome.recommended, VoteInput(13, 0, 0))
    sc.deal_with(paper.id, "stvv", "2013-11-27 18:00", Outcome.adopted, VoteInput(40, 12, 7))

    assert sc.paper(paper.id).state == PaperState.adopted
    assert [row[0] for row in status(db, paper.id).table()] == ["Magistrat", KFP, SJS, STVV]
    assert status(db, paper.id).table()[0][3] == f"verwiesen an {KFP}"


def test_a_referral_names_another_body_of_the_municipality(db: Database) -> None:
    sc = Scenario(db.sessions)
    paper = sc.submitted_paper(committees=["sjs"])
    item = ready_item(sc, paper.id, "magistrat", "2013-10-07 09:00")

    with pytest.raises(RuleViolation, match="needs the body"):
        sc.record(item, Outcome.referred)
    with pytest.raises(RuleViolation, match="cannot refer a paper to itself"):
        sc.record(item, Outcome.referred, referred_to="magistrat")
    with pytest.raises(NotFound, match="'hfa'"):  # a Duisburg body
        sc.record(item, Outcome.referred, referred_to="hfa")
    with pytest.raises(RuleViolation, match="only given with the outcome 'referred'"):
        sc.record(item, Outcome.recommended, VoteInput(12, 0, 0), referred_to="kfp")

    assert plan_of(sc, paper.id) == [
        ("magistrat", 1, "invited", "preliminary"),
        ("sjs", 2, "planned", "preliminary"),
        ("stvv", 3, "planned", "decision"),
    ]


def test_a_referral_by_the_deciding_body_brings_the_paper_back_to_it_afterwards(db: Database) -> None:
    sc = Scenario(db.sessions)
    paper = through_magistrat(sc, committees=["sjs"])
    sc.deal_with(paper.id, "sjs", "2013-10-28 17:00", Outcome.recommended, VoteInput(13, 0, 0))
    sc.deal_with(paper.id, "stvv", "2013-11-27 18:00", Outcome.referred, referred_to="fwa")
    sc.deal_with(paper.id, "fwa", "2013-12-02 17:00", Outcome.recommended, VoteInput(13, 0, 0))

    assert sc.paper(paper.id).state == PaperState.in_deliberation
    current = status(db, paper.id).current
    assert [(s.body, s.authoritative) for s in current] == [(STVV, True)]


# ---------------------------------------------------------------------------------------------- recommendations


def test_a_negative_recommendation_still_goes_on_to_the_deciding_body(db: Database) -> None:
    sc = Scenario(db.sessions)
    paper = through_magistrat(sc, committees=["sjs"])
    sc.deal_with(paper.id, "sjs", "2013-10-28 17:00", Outcome.not_recommended, VoteInput(4, 8, 1))

    assert sc.steps(paper.id)["sjs"].outcome == Outcome.not_recommended
    assert sc.paper(paper.id).state == PaperState.in_deliberation
    assert [(s.body, s.state) for s in status(db, paper.id).current] == [(STVV, "planned")]

    sc.deal_with(paper.id, "stvv", "2013-11-27 18:00", Outcome.adopted, VoteInput(35, 20, 4))
    assert sc.paper(paper.id).state == PaperState.adopted
    assert status(db, paper.id).table()[1] == (
        SJS,
        "28.10.2013",
        "Ö 1",
        "Ablehnung empfohlen (4 Ja / 8 Nein / 1 Enthaltung)",
    )


def test_an_amended_recommendation_needs_the_amended_text(db: Database) -> None:
    sc = Scenario(db.sessions)
    paper = through_magistrat(sc, committees=["sjs"])
    item = ready_item(sc, paper.id, "sjs", "2013-10-28 17:00")

    for missing in (None, "", "   "):
        with pytest.raises(RuleViolation, match="needs the amended resolution text"):
            sc.record(item, Outcome.recommended_amended, VoteInput(10, 3, 0), resolution_text=missing)
    assert sc.steps(paper.id)["sjs"].state == ConsultationState.invited

    amended = "Das Handlungskonzept wird mit den Änderungen aus der Anlage 2 beschlossen."
    sc.record(item, Outcome.recommended_amended, VoteInput(10, 3, 0), resolution_text=f"  {amended} ")
    step = sc.steps(paper.id)["sjs"]
    assert (step.outcome, step.outcome_wording, step.resolution_text) == (
        "recommended_amended",
        "mit Änderungen empfohlen",
        amended,
    )
    assert [s.body for s in status(db, paper.id).current] == [STVV]


def test_the_step_after_an_amended_recommendation_carries_the_amended_text(db: Database) -> None:
    sc = Scenario(db.sessions)
    paper = through_magistrat(sc, committees=["sjs"])
    amended = "Das Handlungskonzept wird mit den Änderungen aus der Anlage 2 beschlossen."
    sc.deal_with(
        paper.id,
        "sjs",
        "2013-10-28 17:00",
        Outcome.recommended_amended,
        VoteInput(10, 3, 0),
        resolution_text=amended,
    )
    assert sc.steps(paper.id)["stvv"].resolution_text == amended


def test_an_amended_adoption_needs_the_text_and_that_text_becomes_the_resolution(db: Database) -> None:
    sc = Scenario(db.sessions)
    paper = through_magistrat(sc, committees=["sjs"])
    sc.deal_with(paper.id, "sjs", "2013-10-28 17:00", Outcome.recommended, VoteInput(13, 0, 0))
    item = ready_item(sc, paper.id, "stvv", "2013-11-27 18:00")

    with pytest.raises(RuleViolation, match="needs the amended resolution text"):
        sc.record(item, Outcome.adopted_amended, VoteInput(40, 12, 7))
    assert sc.paper(paper.id).state == PaperState.in_deliberation

    sc.record(item, Outcome.adopted_amended, VoteInput(40, 12, 7), resolution_text="Der geänderte Beschluss.")
    final = sc.paper(paper.id)
    assert final.state == PaperState.adopted_amended
    assert final.resolution_text == "Der geänderte Beschluss."
    assert final.decided_at == berlin("2013-11-27 18:30")
    assert [e["paper_id"] for e in outbox(db, "PaperDecided")] == [paper.id]


# ---------------------------------------------------------------------------------------------- removed


def test_an_item_taken_off_the_agenda_waits_for_its_body_and_can_be_scheduled_again(db: Database) -> None:
    sc = Scenario(db.sessions)
    paper = sc.submitted_paper(committees=["sjs"])
    sc.deal_with(paper.id, "magistrat", "2013-10-07 09:00", Outcome.removed)

    step = sc.steps(paper.id)["magistrat"]
    assert (step.state, step.outcome_wording) == ("removed", "von der Tagesordnung abgesetzt")
    assert sc.paper(paper.id).state == PaperState.in_deliberation
    assert waiting(db, sc, "magistrat") == [step.id]

    sc.deal_with(paper.id, "magistrat", "2013-10-14 09:00", Outcome.recommended, VoteInput(12, 0, 0))
    assert sc.steps(paper.id)["magistrat"].state == ConsultationState.dealt_with
    assert status(db, paper.id).table()[:2] == [
        ("Magistrat", "07.10.2013", "N 1", "von der Tagesordnung abgesetzt"),
        ("Magistrat", "14.10.2013", "N 1", "Zustimmung empfohlen (einstimmig)"),
    ]


# ---------------------------------------------------------------------------------------------- noted, decided


def test_noting_a_mitteilungsvorlage_at_its_last_step_ends_it(db: Database) -> None:
    sc = Scenario(db.sessions)
    paper = sc.submitted_paper(kind=PaperKind.mitteilungsvorlage)
    assert [(k, s.stage, s.role, s.authoritative) for k, s in sc.steps(paper.id).items()] == [
        ("magistrat", 1, "notice", False),
        ("stvv", 2, "notice", False),
    ]
    item = ready_item(sc, paper.id, "magistrat", "2013-10-07 09:00")
    with pytest.raises(RuleViolation) as refused:
        sc.record(item, Outcome.adopted, VoteInput(12, 0, 0))
    assert refused.value.details["rule"] == "outcome_not_allowed_for_role"
    sc.record(item, Outcome.noted)
    assert sc.paper(paper.id).state == PaperState.in_deliberation
    assert outbox(db, "PaperNoted") == []

    sc.deal_with(paper.id, "stvv", "2013-10-30 18:00", Outcome.noted)
    final = sc.paper(paper.id)
    assert final.state == PaperState.noted
    assert final.decided_at == berlin("2013-10-30 18:30")
    assert [e["paper_id"] for e in outbox(db, "PaperNoted")] == [paper.id]
    assert status(db, paper.id).allowed == []


def test_an_adoption_ends_the_paper_and_nothing_more_can_happen_to_it(db: Database) -> None:
    sc = Scenario(db.sessions)
    paper = through_magistrat(sc, committees=["sjs"])
    sc.deal_with(paper.id, "sjs", "2013-10-28 17:00", Outcome.recommended, VoteInput(13, 0, 0))
    sc.deal_with(paper.id, "stvv", "2013-11-27 18:00", Outcome.adopted, VoteInput(40, 12, 7))

    final = sc.paper(paper.id)
    assert final.state == PaperState.adopted
    assert final.resolution_text == "Der Beschlussvorschlag."
    assert final.decided_at == berlin("2013-11-27 18:30")
    assert {s.state for s in sc.steps(paper.id).values()} == {"dealt_with"}
    assert status(db, paper.id).allowed == []
    assert [e["paper_id"] for e in outbox(db, "PaperDecided")] == [paper.id]

    with pytest.raises(TransitionNotAllowed, match="withdraw"):
        papers.withdraw_paper(db.sessions, actor="test", paper_id=paper.id, reason="zu spät")
    with pytest.raises(TransitionNotAllowed, match="settle"):
        papers.settle_paper(db.sessions, actor="test", paper_id=paper.id, reason="zu spät")
    assert sc.paper(paper.id).state == PaperState.adopted


def test_a_rejection_ends_the_paper(db: Database) -> None:
    sc = Scenario(db.sessions)
    paper = through_magistrat(sc, committees=["sjs"])
    sc.deal_with(paper.id, "sjs", "2013-10-28 17:00", Outcome.recommended, VoteInput(13, 0, 0))
    sc.deal_with(paper.id, "stvv", "2013-11-27 18:00", Outcome.rejected, VoteInput(20, 30, 9))

    assert sc.paper(paper.id).state == PaperState.rejected
    assert {s.state for s in sc.steps(paper.id).values()} == {"dealt_with"}
    assert status(db, paper.id).table()[-1] == (
        STVV,
        "27.11.2013",
        "Ö 1",
        "abgelehnt (20 Ja / 30 Nein / 9 Enthaltungen)",
    )
    assert [e["paper_id"] for e in outbox(db, "PaperDecided")] == [paper.id]


def test_a_rejected_paper_has_no_adopted_resolution_text(db: Database) -> None:
    sc = Scenario(db.sessions)
    paper = sc.submitted_paper(committees=["sjs"])
    for body, start in (("magistrat", "2013-10-07 09:00"), ("sjs", "2013-10-28 17:00")):
        sc.deal_with(paper.id, body, start, Outcome.recommended, VoteInput(12, 0, 0))
    sc.deal_with(paper.id, "stvv", "2013-11-27 18:00", Outcome.rejected, VoteInput(20, 30, 9))
    assert sc.paper(paper.id).resolution_text is None


# ---------------------------------------------------------------------------------------------- withdrawn, settled


def test_a_withdrawal_declared_at_a_meeting_closes_every_open_step(db: Database) -> None:
    sc = Scenario(db.sessions)
    paper = through_magistrat(sc, committees=["sjs", "kfp"])
    joint = sc.new_meeting(["sjs", "kfp"], "2013-10-28 17:00")
    sjs_item = sc.schedule(paper.id, "sjs", joint.id)
    kfp_item = sc.schedule(paper.id, "kfp", joint.id)
    sc.invite(joint.id)
    sc.attend(joint.id)
    sc.record(sjs_item.id, Outcome.withdrawn)

    assert sc.paper(paper.id).state == PaperState.withdrawn
    assert [(k, s.state, s.outcome) for k, s in sc.steps(paper.id).items()] == [
        ("magistrat", "dealt_with", "recommended"),
        ("sjs", "closed", "withdrawn"),
        ("kfp", "closed", "withdrawn"),
        ("stvv", "closed", "withdrawn"),
    ]
    assert [e["paper_id"] for e in outbox(db, "PaperWithdrawn")] == [paper.id]
    with pytest.raises(TransitionNotAllowed, match="closed"):
        sc.record(kfp_item.id, Outcome.recommended, VoteInput(13, 0, 0))
    # The meeting can still close its minutes: the closed step's item needs no result.
    meetings.approve_minutes(db.sessions, actor="test", meeting_id=joint.id, now=berlin("2013-11-20 10:00"))


def test_withdrawing_a_paper_closes_every_open_step_and_keeps_the_finished_ones(db: Database) -> None:
    sc = Scenario(db.sessions)
    paper = through_magistrat(sc, committees=["sjs"])
    meeting = sc.new_meeting("sjs", "2013-10-28 17:00")
    item = sc.schedule(paper.id, "sjs", meeting.id)
    sc.invite(meeting.id)

    with pytest.raises(RuleViolation, match="reason"):
        papers.withdraw_paper(db.sessions, actor="test", paper_id=paper.id, reason="  ")
    papers.withdraw_paper(
        db.sessions,
        actor="Koordinationsbüro",
        paper_id=paper.id,
        reason="Eine überarbeitete Vorlage folgt",
        now=berlin("2013-10-20 10:00"),
    )

    final = sc.paper(paper.id)
    assert (final.state, final.closing_reason) == ("withdrawn", "Eine überarbeitete Vorlage folgt")
    assert [(k, s.state, s.outcome, s.outcome_wording) for k, s in sc.steps(paper.id).items()] == [
        ("magistrat", "dealt_with", "recommended", "Zustimmung empfohlen"),
        ("sjs", "closed", "withdrawn", "zurückgezogen"),
        ("stvv", "closed", "withdrawn", "zurückgezogen"),
    ]
    sc.attend(meeting.id)
    with pytest.raises(TransitionNotAllowed):
        sc.record(item.id, Outcome.recommended, VoteInput(13, 0, 0))
    stvv_meeting = sc.new_meeting("stvv", "2013-11-27 18:00")
    with pytest.raises(TransitionNotAllowed, match="withdrawn"):
        sc.schedule(paper.id, "stvv", stvv_meeting.id)


def test_settling_a_paper_links_the_paper_that_superseded_it_and_closes_its_open_steps(db: Database) -> None:
    sc = Scenario(db.sessions)
    old = through_magistrat(sc, committees=["sjs"])
    new = sc.submitted_paper(committees=["sjs"], subject="Neufassung", when="2013-10-10 10:00")

    papers.settle_paper(
        db.sessions,
        actor="Koordinationsbüro",
        paper_id=old.id,
        reason=f"Durch die Vorlage {new.reference} erledigt",
        superseded_by=new.id,
        now=berlin("2013-10-10 11:00"),
    )

    final = sc.paper(old.id)
    assert (final.state, final.superseded_by_id) == ("settled", new.id)
    assert final.closing_reason == "Durch die Vorlage 0002/13 erledigt"
    assert [(k, s.state, s.outcome, s.outcome_wording) for k, s in sc.steps(old.id).items()] == [
        ("magistrat", "dealt_with", "recommended", "Zustimmung empfohlen"),
        ("sjs", "closed", "settled", "erledigt"),
        ("stvv", "closed", "settled", "erledigt"),
    ]
    assert sc.paper(new.id).state == PaperState.submitted


def test_a_paper_can_only_be_superseded_by_another_paper_of_the_same_municipality(db: Database) -> None:
    sc = Scenario(db.sessions)
    paper = sc.submitted_paper(committees=["sjs"])
    elsewhere = Scenario(db.sessions, town="duisburg").submitted_paper(committees=["soziales"])

    for other in (paper.id, elsewhere.id):
        with pytest.raises(RuleViolation, match="same municipality"):
            papers.settle_paper(
                db.sessions, actor="test", paper_id=paper.id, reason="erledigt", superseded_by=other
            )
    with pytest.raises(NotFound):
        papers.settle_paper(
            db.sessions, actor="test", paper_id=paper.id, reason="erledigt", superseded_by=999_999
        )
    unchanged = sc.paper(paper.id)
    assert (unchanged.state, unchanged.superseded_by_id, unchanged.closing_reason) == (
        "submitted",
        None,
        None,
    )
    assert {s.state for s in sc.steps(paper.id).values()} == {"planned"}


# ---------------------------------------------------------------------------------------------- authority, join


def test_only_the_deciding_step_can_adopt_or_reject_and_it_cannot_recommend(db: Database) -> None:
    sc = Scenario(db.sessions)
    paper = sc.submitted_paper(committees=["sjs"])
    magistrat = ready_item(sc, paper.id, "magistrat", "2013-10-07 09:00")
    for outcome, votes in ((Outcome.adopted, VoteInput(12, 0, 0)), (Outcome.rejected, VoteInput(0, 12, 0))):
        with pytest.raises(RuleViolation, match="role 'preliminary'") as refused:
            sc.record(magistrat, outcome, votes)
        assert refused.value.details["rule"] == "outcome_not_allowed_for_role"
    sc.record(magistrat, Outcome.recommended, VoteInput(12, 0, 0))
    assert sc.paper(paper.id).state == PaperState.in_deliberation

    sc.deal_with(paper.id, "sjs", "2013-10-28 17:00", Outcome.recommended, VoteInput(13, 0, 0))
    stvv = ready_item(sc, paper.id, "stvv", "2013-11-27 18:00")
    with pytest.raises(RuleViolation, match="role 'decision'"):
        sc.record(stvv, Outcome.recommended, VoteInput(40, 12, 7))
    sc.record(stvv, Outcome.adopted, VoteInput(40, 12, 7))
    assert sc.paper(paper.id).state == PaperState.adopted


def test_a_body_planned_as_the_deciding_step_adopts_in_its_own_competence(db: Database) -> None:
    sc = Scenario(db.sessions)
    paper = paper_with_plan(
        sc, [[StepInput("magistrat", ConsultationRole.decision)]], when="2013-09-10 10:00"
    )
    step = sc.steps(paper.id)["magistrat"]
    assert (step.role, step.authoritative) == ("decision", True)
    sc.deal_with(paper.id, "magistrat", "2013-10-07 09:00", Outcome.adopted, VoteInput(10, 1, 1))
    assert sc.paper(paper.id).state == PaperState.adopted


def test_a_later_stage_cannot_record_its_result_while_a_step_of_an_earlier_stage_is_open(
    db: Database,
) -> None:
    sc = Scenario(db.sessions)
    paper = through_magistrat(sc, committees=["sjs", "kfp"])
    joint = sc.new_meeting(["sjs", "kfp"], "2013-10-28 17:00")
    sjs_item = sc.schedule(paper.id, "sjs", joint.id)
    kfp_item = sc.schedule(paper.id, "kfp", joint.id)
    sc.invite(joint.id)
    sc.attend(joint.id)
    stvv_item = ready_item(sc, paper.id, "stvv", "2013-11-27 18:00")
    sc.record(sjs_item.id, Outcome.recommended, VoteInput(9, 2, 2))

    with pytest.raises(RuleViolation, match=rf"{KFP} \(invited\) must deliberate first") as refused:
        sc.record(stvv_item, Outcome.adopted, VoteInput(40, 12, 7))
    assert refused.value.details["rule"] == "stage_not_joined"
    assert sc.steps(paper.id)["stvv"].state == ConsultationState.invited
    assert sc.paper(paper.id).state == PaperState.in_deliberation

    sc.record(kfp_item.id, Outcome.not_recommended, VoteInput(5, 8, 0))
    sc.record(stvv_item, Outcome.adopted, VoteInput(40, 12, 7))
    assert sc.paper(paper.id).state == PaperState.adopted


def test_a_second_stage_cannot_record_before_the_first_even_without_a_meeting_of_the_first(
    db: Database,
) -> None:
    sc = Scenario(db.sessions)
    paper = sc.submitted_paper(committees=["sjs"])
    item = ready_item(sc, paper.id, "sjs", "2013-10-28 17:00")  # the Magistrat has no meeting yet
    with pytest.raises(RuleViolation, match=r"Magistrat \(planned\)"):
        sc.record(item, Outcome.recommended, VoteInput(13, 0, 0))


@pytest.mark.parametrize(("first", "second"), [("sjs", "kfp"), ("kfp", "sjs")])
def test_the_parallel_steps_of_one_stage_join_in_either_order(db: Database, first: str, second: str) -> None:
    sc = Scenario(db.sessions)
    paper = through_magistrat(sc, committees=["sjs", "kfp"])
    joint = sc.new_meeting(["sjs", "kfp"], "2013-10-28 17:00")
    items = {key: sc.schedule(paper.id, key, joint.id).id for key in ("sjs", "kfp")}
    sc.invite(joint.id)
    sc.attend(joint.id)
    names = {"sjs": SJS, "kfp": KFP}

    assert sorted(s.body for s in status(db, paper.id).current) == sorted(names.values())
    sc.record(items[first], Outcome.recommended, VoteInput(9, 2, 2))
    assert [s.body for s in status(db, paper.id).current] == [names[second]]
    sc.record(items[second], Outcome.recommended, VoteInput(9, 2, 2))
    assert [s.body for s in status(db, paper.id).current] == [STVV]

    sc.deal_with(paper.id, "stvv", "2013-11-27 18:00", Outcome.adopted, VoteInput(40, 12, 7))
    assert sc.paper(paper.id).state == PaperState.adopted


def test_a_stage_cannot_be_scheduled_out_of_order_with_the_meetings_of_other_stages(db: Database) -> None:
    sc = Scenario(db.sessions)
    paper = sc.submitted_paper(committees=["sjs"])
    magistrat = sc.new_meeting("magistrat", "2013-10-07 09:00")
    sc.schedule(paper.id, "magistrat", magistrat.id)

    for start in ("2013-10-01 17:00", "2013-10-07 09:00"):
        too_early = sc.new_meeting("sjs", start)
        with pytest.raises(
            RuleViolation,
            match=r"only deliberate after Magistrat \(an earlier stage\), which meets on 07\.10",
        ):
            sc.schedule(paper.id, "sjs", too_early.id)

    stvv = sc.new_meeting("stvv", "2013-11-27 18:00")
    sc.schedule(paper.id, "stvv", stvv.id)
    too_late = sc.new_meeting("sjs", "2013-12-02 17:00")
    with pytest.raises(RuleViolation, match=r"\(a later stage\) already meets on 27\.11\.2013, 18:00 Uhr"):
        sc.schedule(paper.id, "sjs", too_late.id)

    assert sc.steps(paper.id)["sjs"].state == ConsultationState.planned
    in_between = sc.new_meeting("sjs", "2013-10-28 17:00")
    sc.schedule(paper.id, "sjs", in_between.id)
    assert sc.steps(paper.id)["sjs"].meeting_id == in_between.id


# ---------------------------------------------------------------------------------------------- cancellation


def test_a_cancelled_meeting_sends_its_papers_back_to_planned_and_they_can_be_scheduled_again(
    db: Database,
) -> None:
    sc = Scenario(db.sessions)
    one = sc.submitted_paper(committees=["sjs"])
    two = sc.submitted_paper(committees=["kfp"], subject="Zweite Vorlage")
    cancelled = sc.new_meeting("magistrat", "2013-10-07 09:00")
    for paper in (one, two):
        sc.schedule(paper.id, "magistrat", cancelled.id)
    sc.invite(cancelled.id)

    with pytest.raises(RuleViolation, match="reason"):
        meetings.cancel_meeting(db.sessions, actor="test", meeting_id=cancelled.id, reason=" ")
    meetings.cancel_meeting(
        db.sessions,
        actor="Sitzungsdienst",
        meeting_id=cancelled.id,
        reason="Der Oberbürgermeister ist erkrankt",
        now=berlin("2013-10-04 12:00"),
    )

    meeting = sc.meeting(cancelled.id)
    assert (meeting.state, meeting.cancelled_reason, meeting.sequence) == (
        "cancelled",
        "Der Oberbürgermeister ist erkrankt",
        1,
    )
    for paper in (one, two):
        step = sc.steps(paper.id)["magistrat"]
        assert (step.state, step.meeting_id, step.agenda_item_id) == ("planned", None, None)
        assert sc.paper(paper.id).state == PaperState.in_deliberation
    assert len(waiting(db, sc, "magistrat")) == 2
    with pytest.raises(TransitionNotAllowed, match="cancelled"):
        sc.schedule(one.id, "magistrat", cancelled.id)

    held = sc.deal_with(one.id, "magistrat", "2013-10-14 09:00", Outcome.recommended, VoteInput(12, 0, 0))
    assert status(db, one.id).table()[:2] == [
        ("Magistrat", "07.10.2013", "N 1", "keine Beschlussfassung (Sitzung entfallen)"),
        ("Magistrat", "14.10.2013", "N 1", "Zustimmung empfohlen (einstimmig)"),
    ]
    with pytest.raises(TransitionNotAllowed, match="Cannot 'cancel'"):  # a held meeting stays held
        meetings.cancel_meeting(db.sessions, actor="test", meeting_id=held.meeting_id, reason="zu spät")


# ---------------------------------------------------------------------------------------------- other states


def test_duisburg_runs_committees_then_the_main_committee_then_the_council(db: Database) -> None:
    sc = Scenario(db.sessions, town="duisburg")
    paper = sc.submitted_paper(committees=["soziales", "schule"], when="2007-01-15 10:00")
    assert paper.reference == "0001/07"
    assert plan_of(sc, paper.id) == [
        ("soziales", 1, "planned", "preliminary"),
        ("schule", 1, "planned", "preliminary"),
        ("hfa", 2, "planned", "preliminary"),
        ("rat", 3, "planned", "decision"),
    ]
    joint = sc.new_meeting(["soziales", "schule"], "2007-02-01 16:00")
    items = [sc.schedule(paper.id, key, joint.id).id for key in ("soziales", "schule")]
    sc.invite(joint.id)
    sc.attend(joint.id)
    sc.record(items[0], Outcome.recommended, VoteInput(12, 3, 2))
    sc.record(items[1], Outcome.recommended, VoteInput(10, 5, 0))
    sc.deal_with(paper.id, "hfa", "2007-02-20 15:00", Outcome.recommended, VoteInput(15, 4, 0))
    sc.deal_with(paper.id, "rat", "2007-03-12 15:00", Outcome.adopted, VoteInput(50, 20, 5))

    final = sc.paper(paper.id)
    assert (final.state, final.decided_at) == ("adopted", berlin("2007-03-12 15:30"))
    assert [row[1:3] for row in status(db, paper.id).table()] == [
        ("01.02.2007", "Ö 1"),
        ("01.02.2007", "Ö 2"),
        ("20.02.2007", "Ö 1"),
        ("12.03.2007", "Ö 1"),
    ]


def test_wilhelmshaven_runs_the_committee_then_the_verwaltungsausschuss_then_the_council(
    db: Database,
) -> None:
    sc = Scenario(db.sessions, town="wilhelmshaven")
    paper = sc.submitted_paper(committees=["soziales"], when="2023-05-02 10:00")
    assert plan_of(sc, paper.id) == [
        ("soziales", 1, "planned", "preliminary"),
        ("va", 2, "planned", "preliminary"),
        ("rat", 3, "planned", "decision"),
    ]
    sc.deal_with(paper.id, "soziales", "2023-05-22 16:00", Outcome.recommended, VoteInput(9, 4, 0))
    sc.deal_with(paper.id, "va", "2023-06-05 16:00", Outcome.recommended, VoteInput(8, 3, 0))
    sc.deal_with(paper.id, "rat", "2023-06-21 16:00", Outcome.adopted, VoteInput(30, 10, 5))

    assert sc.paper(paper.id).state == PaperState.adopted
    assert [row[2] for row in status(db, paper.id).table()] == ["Ö 1", "N 1", "Ö 1"]  # the VA is not public


def test_in_wilhelmshaven_the_verwaltungsausschuss_can_be_the_deciding_step(db: Database) -> None:
    sc = Scenario(db.sessions, town="wilhelmshaven")
    paper = sc.submitted_paper(committees=["soziales"], decided_by="va", when="2023-05-02 10:00")
    assert [(k, s.stage, s.role, s.authoritative) for k, s in sc.steps(paper.id).items()] == [
        ("soziales", 1, "preliminary", False),
        ("va", 2, "decision", True),
    ]
    sc.deal_with(paper.id, "soziales", "2023-05-22 16:00", Outcome.not_recommended, VoteInput(4, 9, 0))
    item = ready_item(sc, paper.id, "va", "2023-06-05 16:00")
    with pytest.raises(RuleViolation, match="role 'decision'"):
        sc.record(item, Outcome.recommended, VoteInput(8, 3, 0))
    sc.record(item, Outcome.adopted, VoteInput(8, 3, 0))

    final = sc.paper(paper.id)
    assert (final.state, final.decided_at) == ("adopted", berlin("2023-06-05 16:30"))
    assert [row[0] for row in status(db, paper.id).table()] == [
        "Ausschuss für Soziales, Integration und Gesundheit",
        "Verwaltungsausschuss",
    ]
