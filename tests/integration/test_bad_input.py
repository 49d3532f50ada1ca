"""Whatever a caller passes, bad input is a domain error with a clear message and changes nothing."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlalchemy import func, select

from tests.conftest import Database
from tests.scenario import Scenario, berlin, recorder
from workflow import agenda, meetings, papers, planning, references, results
from workflow.db import transaction
from workflow.errors import PlanInvalid, RuleViolation, TransitionNotAllowed
from workflow.models import Base, Faction, Membership, Municipality
from workflow.rules import FactionCount, VoteInput
from workflow.vocabulary import ConsultationRole, Outcome, PaperKind, PaperState


def _counts(db: Database) -> dict[str, int]:
    with db.session() as s:
        return {
            t.name: s.scalar(select(func.count()).select_from(t)) or 0 for t in Base.metadata.sorted_tables
        }


def _draft(sc: Scenario, **changes: Any) -> None:
    arguments: dict[str, Any] = {
        "actor": "test",
        "municipality": "wetzlar",
        "kind": PaperKind.beschlussvorlage,
        "department": "kbs",
        "subject": "Betreff",
        "paper_date": dt.date(2013, 7, 12),
        "now": berlin("2013-07-12 10:00"),
    } | changes
    papers.draft_paper(sc.sessions, **arguments)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"now": dt.datetime(2013, 7, 12, 10)}, "now needs a time zone"),  # noqa: DTZ001
        ({"kind": "memo"}, "Invalid paper kind 'memo'"),
        ({"paper_date": None}, "The date of the paper must be a date"),
        ({"paper_date": dt.datetime(2013, 7, 12, 10, tzinfo=dt.UTC)}, "must be a date \\(without time\\)"),
        ({"subject": "   "}, "The subject \\(Betreff\\) must not be empty"),
        ({"subject": "a\x00b"}, "must not contain NUL"),
        ({"actor": ""}, "The actor \\(who does this\\) must not be empty"),
        ({"attachments": [papers.AttachmentInput("Plan", size_bytes=-5)]}, "size must lie between 0"),
    ],
)
def test_a_bad_draft_is_refused_and_nothing_is_stored(
    db: Database, changes: dict[str, Any], message: str
) -> None:
    sc = Scenario(db.sessions)
    before = _counts(db)
    with pytest.raises(RuleViolation, match=message):
        _draft(sc, **changes)
    assert _counts(db) == before


def test_bad_ids_and_choices_in_meeting_use_cases_are_refused(db: Database) -> None:
    sc = Scenario(db.sessions)
    meeting = sc.new_meeting("magistrat", "2013-09-30 09:00")
    before = _counts(db)
    with pytest.raises(RuleViolation, match="Invalid channel 'pigeon'"):
        meetings.invite_meeting(
            db.sessions,
            actor="t",
            meeting_id=meeting.id,
            channel="pigeon",  # type: ignore[arg-type]
            now=berlin("2013-09-20 10:00"),
        )
    with pytest.raises(RuleViolation, match="An agenda item's title must be text"):
        meetings.add_agenda_item(
            db.sessions,
            actor="t",
            meeting_id=meeting.id,
            title=None,  # type: ignore[arg-type]
            now=berlin("2013-09-20 10:00"),
        )
    sc.invite(meeting.id)
    with pytest.raises(RuleViolation, match="person id must lie between 1 and 2147483647"):
        meetings.record_attendance(
            db.sessions, actor="t", meeting_id=meeting.id, present=[2**40], now=meeting.start
        )
    with pytest.raises(RuleViolation, match="The year must lie between 1900 and 2200"):
        references.set_reference_counter(
            db.sessions, actor="t", municipality="wetzlar", year=-5, last_number=1
        )
    # Only the invitation in between left its audit and outbox rows.
    assert _counts(db) == before | {"audit_event": before["audit_event"] + 1, "outbox": before["outbox"] + 1}


def _invited_item(sc: Scenario) -> tuple[int, int]:
    paper = sc.submitted_paper(committees=["sjs"])
    meeting = sc.new_meeting("magistrat", "2013-09-30 09:00")
    item = sc.schedule(paper.id, "magistrat", meeting.id)
    sc.invite(meeting.id)
    sc.attend(meeting.id)
    return paper.id, item.id


@pytest.mark.parametrize(
    ("vote", "message"),
    [
        (VoteInput(2.5, 0, 0), "The count 'Ja' must be a whole number"),  # type: ignore[arg-type]
        (VoteInput(True, 0, 0), "The count 'Ja' must be a whole number"),
        (VoteInput(10**9, 0, 0), "must lie between 0 and 100000"),
        (VoteInput(12, 0, 0, casting_vote="abstain"), "A casting vote is yes or no"),  # type: ignore[arg-type]
        (VoteInput(12, 0, 0, named={1: "maybe"}), "Invalid named vote 'maybe'"),  # type: ignore[dict-item]
    ],
)
def test_badly_typed_votes_are_refused(db: Database, vote: VoteInput, message: str) -> None:
    sc = Scenario(db.sessions)
    _, item_id = _invited_item(sc)
    with pytest.raises(RuleViolation, match=message):
        sc.record(item_id, Outcome.recommended, vote)


def test_persons_and_factions_of_another_municipality_are_refused(db: Database) -> None:
    sc = Scenario(db.sessions)
    _, item_id = _invited_item(sc)
    duisburg = Scenario(db.sessions, town="duisburg")
    stranger = duisburg.members("rat")[0]
    with pytest.raises(RuleViolation, match=f"Persons not of this municipality: \\[{stranger}\\]"):
        sc.record(
            item_id, Outcome.recommended, VoteInput(12, 0, 0), present=[*sc.members("magistrat"), stranger]
        )
    with db.session() as s:
        duisburg_faction = s.scalars(
            select(Faction.id).join(Municipality).where(Municipality.key == "duisburg").limit(1)
        ).one()
    with pytest.raises(RuleViolation, match="Factions not of this municipality"):
        sc.record(
            item_id,
            Outcome.recommended,
            VoteInput(12, 0, 0, faction_counts=(FactionCount(duisburg_faction),)),
        )


def _add_membership_of_a_body_that_does_not_exist(db: Database) -> None:
    with transaction(db.sessions) as session:
        session.add(
            Membership(
                body_id=999_999, person_id=1, role="member", voting_right=True, start_date=dt.date(2013, 1, 1)
            )
        )
        session.flush()


def test_a_broken_reference_that_slips_past_the_checks_is_bad_input_not_a_conflict(db: Database) -> None:
    with pytest.raises(RuleViolation, match="refers to something that does not exist"):
        _add_membership_of_a_body_that_does_not_exist(db)


def test_a_referral_to_a_body_already_planned_later_moves_its_step_up(db: Database) -> None:
    sc = Scenario(db.sessions)
    paper = sc.submitted_paper(committees=["sjs"], financial_impact=True)  # Mag → SJS → FWA → StVV
    sc.deal_with(
        paper.id, "magistrat", "2013-09-30 09:00", Outcome.referred, VoteInput(12, 0, 0), referred_to="fwa"
    )
    steps = sc.steps(paper.id)
    assert [(k, s.stage) for k, s in steps.items()] == [("magistrat", 1), ("fwa", 2), ("sjs", 3), ("stvv", 4)]
    assert steps["fwa"].referred_from_id == steps["magistrat"].id


def test_a_referral_to_the_deciding_body_is_refused(db: Database) -> None:
    sc = Scenario(db.sessions)
    paper = sc.submitted_paper(committees=["sjs"])
    meeting = sc.new_meeting("magistrat", "2013-09-30 09:00")
    item = sc.schedule(paper.id, "magistrat", meeting.id)
    sc.invite(meeting.id)
    sc.attend(meeting.id)
    with pytest.raises(RuleViolation, match="decides this paper anyway"):
        sc.record(item.id, Outcome.referred, VoteInput(12, 0, 0), referred_to="stvv")
    assert sc.steps(paper.id)["magistrat"].state == "invited"


def test_a_committee_decides_only_a_delegated_matter(db: Database) -> None:
    sc = Scenario(db.sessions)
    paper = papers.draft_paper(
        db.sessions,
        actor="t",
        municipality="wetzlar",
        kind=PaperKind.beschlussvorlage,
        department="kbs",
        subject="Delegiert",
        paper_date=dt.date(2013, 7, 1),
    )
    with pytest.raises(PlanInvalid, match="decides only matters delegated to it"):
        planning.plan_consultations(
            db.sessions,
            actor="t",
            paper_id=paper.id,
            stages=[[planning.StepInput("sjs", ConsultationRole.decision)]],
        )
    planned = planning.plan_consultations(db.sessions, actor="t", paper_id=paper.id, decided_by="sjs")
    assert [(s.body_id, s.authoritative) for s in planned.consultations][-1] == (sc.body_id("sjs"), True)


def test_a_withdrawal_declared_at_a_meeting_needs_no_quorum_and_keeps_its_wording(db: Database) -> None:
    sc = Scenario(db.sessions)
    paper = sc.submitted_paper(committees=["sjs"])
    meeting = sc.new_meeting("magistrat", "2013-09-30 09:00")
    item = sc.schedule(paper.id, "magistrat", meeting.id)
    sc.invite(meeting.id)
    sc.attend(meeting.id, present=sc.members("magistrat")[:2])
    sc.record(item.id, Outcome.withdrawn, wording="von der Verwaltung zurückgezogen")
    final = sc.paper(paper.id)
    assert final.state == PaperState.withdrawn
    assert final.closing_reason == "von der Verwaltung zurückgezogen"


def test_a_result_cannot_be_corrected_once_the_minutes_are_approved(db: Database) -> None:
    sc = Scenario(db.sessions)
    _, item_id = _invited_item(sc)
    sc.record(item_id, Outcome.recommended, VoteInput(12, 0, 0))
    meeting_id = sc.item(item_id).meeting_id
    meetings.approve_minutes(db.sessions, actor="t", meeting_id=meeting_id, now=berlin("2013-10-30 10:00"))
    with pytest.raises(TransitionNotAllowed, match="minutes of this meeting are approved"):
        results.correct_result(
            db.sessions,
            who=recorder(db.sessions, "t"),
            agenda_item_id=item_id,
            reason="Tippfehler",
            result=results.ResultInput(Outcome.recommended, votes=[VoteInput(11, 0, 1)]),
            now=berlin("2013-10-31 10:00"),
        )


def test_a_heard_body_gives_a_statement_and_the_paper_goes_on(db: Database) -> None:
    sc = Scenario(db.sessions)
    paper = papers.draft_paper(
        db.sessions,
        actor="t",
        municipality="wetzlar",
        kind=PaperKind.beschlussvorlage,
        department="kbs",
        subject="Anhörung",
        paper_date=dt.date(2013, 7, 1),
    )
    planning.plan_consultations(
        db.sessions,
        actor="t",
        paper_id=paper.id,
        stages=[
            [planning.StepInput("kfp", ConsultationRole.hearing)],
            [planning.StepInput("stvv", ConsultationRole.decision)],
        ],
    )
    papers.submit_paper(db.sessions, actor="t", paper_id=paper.id, now=berlin("2013-09-10 10:00"))
    meeting = sc.new_meeting("kfp", "2013-10-28 17:00")
    item = sc.schedule(paper.id, "kfp", meeting.id)
    sc.invite(meeting.id)
    sc.attend(meeting.id)
    with pytest.raises(RuleViolation, match="cannot end with 'recommended'"):
        sc.record(item.id, Outcome.recommended, VoteInput(13, 0, 0))
    sc.record(
        item.id, Outcome.statement, VoteInput(10, 2, 1), resolution_text="Der Ausschuss begrüßt das Konzept."
    )
    steps = sc.steps(paper.id)
    assert (steps["kfp"].state, steps["kfp"].outcome_wording) == ("dealt_with", "Stellungnahme abgegeben")
    assert steps["stvv"].state == "planned"
    assert sc.paper(paper.id).state == PaperState.in_deliberation


def test_the_agenda_is_built_from_every_paper_waiting_for_the_body(db: Database) -> None:
    sc = Scenario(db.sessions)
    sc.submitted_paper(committees=["sjs"], subject="Erste", when="2013-09-02 10:00")
    sc.submitted_paper(committees=["sjs"], subject="Zweite", when="2013-09-03 10:00")
    sc.submitted_paper(committees=["sjs"], subject="Vertraulich", public=False, when="2013-09-04 10:00")
    magistrat = sc.new_meeting("magistrat", "2013-09-30 09:00")
    items = agenda.build_agenda(
        db.sessions, actor="t", meeting_id=magistrat.id, now=berlin("2013-09-10 10:00")
    )
    # The Magistrat meets in private: everything is in the non-public part, oldest submission first.
    assert [(i.number, i.title) for i in items] == [
        ("N 1", "Erste"),
        ("N 2", "Zweite"),
        ("N 3", "Vertraulich"),
    ]
    late = sc.submitted_paper(committees=["sjs"], subject="Noch ohne Magistrat", when="2013-09-11 10:00")
    sjs = sc.new_meeting("sjs", "2013-10-28 17:00")
    built = agenda.build_agenda(db.sessions, actor="t", meeting_id=sjs.id, now=berlin("2013-09-12 10:00"))
    # The three whose Magistrat step meets earlier come on; the public part first.
    assert [(i.number, i.title) for i in built] == [
        ("Ö 1", "Erste"),
        ("Ö 2", "Zweite"),
        ("N 1", "Vertraulich"),
    ]
    assert sc.steps(late.id)["sjs"].state == "planned"  # its earlier stage has no meeting yet
    sc.schedule(late.id, "magistrat", magistrat.id, when="2013-09-12 11:00")
    assert [
        i.title
        for i in agenda.build_agenda(
            db.sessions, actor="t", meeting_id=sjs.id, now=berlin("2013-09-12 12:00")
        )
    ] == ["Noch ohne Magistrat"]
    with pytest.raises(RuleViolation, match="No paper is waiting"):
        agenda.build_agenda(db.sessions, actor="t", meeting_id=sjs.id, now=berlin("2013-09-12 13:00"))
