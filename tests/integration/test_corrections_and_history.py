"""Corrections with a reason, the audit trail as a paper's history, all-or-nothing use cases, optimistic
locking of drafts, and the Drucksachen-Nr. (on SQLite and PostgreSQL)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.exc import DBAPIError

from tests.conftest import Database
from tests.scenario import Scenario, berlin, recorder
from workflow import meetings, papers, planning, references, results
from workflow.errors import (
    Conflict,
    DomainError,
    NotFound,
    NoticePeriodViolation,
    PlanInvalid,
    RuleViolation,
    TransitionNotAllowed,
    VersionConflict,
    VoteInconsistent,
)
from workflow.models import AuditEvent, Base, ItemResult, OutboxMessage, Paper
from workflow.planning import StepInput
from workflow.queries import paper_history, paper_status
from workflow.rules import VoteInput
from workflow.vocabulary import ConsultationRole, Outcome, PaperKind, PaperState

# ---------------------------------------------------------------------------------------------- helpers


def recorded_sjs_result(sc: Scenario) -> tuple[int, int]:
    """(paper id, SJS agenda item id): Magistrat recommended, then the SJS recommended 9 : 2 : 2."""
    paper = sc.submitted_paper(committees=["sjs"])
    sc.deal_with(paper.id, "magistrat", "2013-10-07 09:00", Outcome.recommended, VoteInput(12, 0, 0))
    item = sc.deal_with(paper.id, "sjs", "2013-10-28 17:00", Outcome.recommended, VoteInput(9, 2, 2))
    return paper.id, item.id


def correct(
    db: Database,
    item_id: int,
    outcome: Outcome,
    *votes: VoteInput,
    reason: str = "Zählfehler im Protokoll",
    expected_revision: int | None = None,
    **kwargs: Any,
) -> ItemResult:
    return results.correct_result(
        db.sessions,
        who=recorder(db.sessions, "Schriftführerin"),
        agenda_item_id=item_id,
        result=results.ResultInput(outcome, votes=votes, **kwargs),
        reason=reason,
        expected_revision=expected_revision,
        now=berlin("2013-10-29 09:00"),
    )


def audit(db: Database, action: str, **where: Any) -> list[AuditEvent]:
    with db.session() as s:
        query = select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)
        for column, value in where.items():
            query = query.where(getattr(AuditEvent, column) == value)
        return list(s.scalars(query))


def history(db: Database, paper_id: int) -> list[AuditEvent]:
    with db.session() as s:
        return paper_history(s, paper_id)


def table_contents(db: Database) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table, ordered by primary key."""
    with db.engine.connect() as conn:
        return {
            table.name: [tuple(row) for row in conn.execute(table.select().order_by(*table.primary_key))]
            for table in Base.metadata.sorted_tables
        }


def draft(sc: Scenario, *, subject: str = "Entwurf", when: str = "2013-09-02 10:00") -> Paper:
    return papers.draft_paper(
        sc.sessions,
        actor="Koordinationsbüro",
        municipality=sc.town,
        kind=PaperKind.beschlussvorlage,
        department="kbs",
        subject=subject,
        paper_date=berlin(when).date(),
        proposed_resolution="Der Beschlussvorschlag.",
        now=berlin(when),
    )


# ---------------------------------------------------------------------------------------------- corrections


def test_a_correction_needs_a_reason(db: Database) -> None:
    sc = Scenario(db.sessions)
    _, item = recorded_sjs_result(sc)
    for reason in ("", "   "):
        with pytest.raises(RuleViolation, match="needs a reason"):
            correct(db, item, Outcome.recommended, VoteInput(10, 1, 2), reason=reason)
    with db.session() as s:
        result = s.scalars(select(ItemResult).where(ItemResult.agenda_item_id == item)).one()
        assert (result.revision, [(v.yes, v.no) for v in result.votes]) == (1, [(9, 2)])


def test_a_correction_keeps_the_earlier_result_in_the_audit_trail_and_raises_the_revision(
    db: Database,
) -> None:
    sc = Scenario(db.sessions)
    paper_id, item = recorded_sjs_result(sc)

    corrected = correct(db, item, Outcome.recommended, VoteInput(10, 1, 2))
    assert corrected.revision == 2

    (event,) = audit(db, "result.corrected")
    assert (event.actor, event.reason, event.paper_id) == (
        "Schriftführerin (Schriftführung)",
        "Zählfehler im Protokoll",
        paper_id,
    )
    assert event.before is not None
    assert event.after is not None
    assert (event.before["revision"], event.after["revision"]) == (1, 2)
    assert [(v["yes"], v["no"], v["abstain"]) for v in event.before["votes"]] == [(9, 2, 2)]
    assert [(v["yes"], v["no"], v["abstain"]) for v in event.after["votes"]] == [(10, 1, 2)]
    recorded = [e for e in audit(db, "result.recorded") if e.entity_id == event.entity_id]
    assert [[v["yes"] for v in e.after["votes"]] for e in recorded if e.after] == [[9]]

    with db.session() as s:
        assert (
            paper_status(s, paper_id).table()[1][3]
            == "Zustimmung empfohlen (10 Ja / 1 Nein / 2 Enthaltungen)"
        )
        corrections = s.scalars(
            select(OutboxMessage).where(OutboxMessage.event_type == "ResultCorrected")
        ).all()
        assert [(m.payload["agenda_item_id"], m.payload["revision"]) for m in corrections] == [(item, 2)]
    assert [e.action for e in history(db, paper_id)][-1] == "result.corrected"


def test_a_correction_against_a_stale_revision_is_refused(db: Database) -> None:
    sc = Scenario(db.sessions)
    _, item = recorded_sjs_result(sc)
    correct(db, item, Outcome.recommended, VoteInput(10, 1, 2), expected_revision=1)
    with pytest.raises(Conflict, match=r"corrected in the meantime \(revision 2\)"):
        correct(db, item, Outcome.recommended, VoteInput(11, 0, 2), expected_revision=1)
    assert correct(db, item, Outcome.recommended, VoteInput(11, 0, 2), expected_revision=2).revision == 3


@pytest.mark.parametrize(
    ("outcome", "extra"),
    [
        (Outcome.postponed, {}),
        (Outcome.removed, {}),
        (Outcome.referred, {"referred_to": "kfp"}),
        (Outcome.withdrawn, {}),
    ],
)
def test_a_correction_cannot_change_the_outcome_to_one_with_another_effect(
    db: Database, outcome: Outcome, extra: dict[str, Any]
) -> None:
    sc = Scenario(db.sessions)
    paper_id, item = recorded_sjs_result(sc)
    with pytest.raises(RuleViolation, match="effect on the Beratungsfolge differs") as refused:
        correct(db, item, outcome, **extra)
    assert refused.value.details["rule"] == "correction_changes_effect"
    assert sc.steps(paper_id)["sjs"].outcome == Outcome.recommended
    assert sc.paper(paper_id).state == PaperState.in_deliberation


def test_a_decision_cannot_be_corrected_into_another_decision(db: Database) -> None:
    sc = Scenario(db.sessions)
    paper_id, _ = recorded_sjs_result(sc)
    item = sc.deal_with(paper_id, "stvv", "2013-11-27 18:00", Outcome.adopted, VoteInput(40, 12, 7))
    with pytest.raises(RuleViolation, match="cannot turn 'adopted' into 'rejected'"):
        correct(db, item.id, Outcome.rejected, VoteInput(12, 40, 7))
    with pytest.raises(RuleViolation, match="cannot turn 'adopted' into 'adopted_amended'"):
        correct(db, item.id, Outcome.adopted_amended, VoteInput(40, 12, 7), resolution_text="Anders.")
    correct(db, item.id, Outcome.adopted, VoteInput(41, 11, 7))
    assert sc.paper(paper_id).state == PaperState.adopted


def test_a_correction_may_change_the_outcome_to_one_with_the_same_effect(db: Database) -> None:
    sc = Scenario(db.sessions)
    paper_id, item = recorded_sjs_result(sc)
    correct(db, item, Outcome.not_recommended, VoteInput(2, 9, 2), reason="Ergebnis vertauscht")
    step = sc.steps(paper_id)["sjs"]
    assert (step.outcome, step.outcome_wording) == ("not_recommended", "Ablehnung empfohlen")
    with db.session() as s:
        assert (
            paper_status(s, paper_id).table()[1][3] == "Ablehnung empfohlen (2 Ja / 9 Nein / 2 Enthaltungen)"
        )


def test_only_a_recorded_result_can_be_corrected_and_the_correction_follows_the_vote_rules(
    db: Database,
) -> None:
    sc = Scenario(db.sessions)
    paper = sc.submitted_paper(committees=["sjs"])
    meeting = sc.new_meeting("magistrat", "2013-10-07 09:00")
    item = sc.schedule(paper.id, "magistrat", meeting.id)
    sc.invite(meeting.id)
    sc.attend(meeting.id)
    with pytest.raises(RuleViolation, match="record it first"):
        correct(db, item.id, Outcome.recommended, VoteInput(12, 0, 0))
    sc.record(item.id, Outcome.recommended, VoteInput(12, 0, 0))
    with pytest.raises(VoteInconsistent, match="> 12 anwesende"):
        correct(db, item.id, Outcome.recommended, VoteInput(13, 0, 0))


def test_correcting_an_earlier_postponement_leaves_the_steps_later_outcome_alone(db: Database) -> None:
    sc = Scenario(db.sessions)
    paper = sc.submitted_paper(committees=["sjs"])
    sc.deal_with(paper.id, "magistrat", "2013-10-07 09:00", Outcome.recommended, VoteInput(12, 0, 0))
    postponed = sc.deal_with(paper.id, "sjs", "2013-10-28 17:00", Outcome.postponed)
    sc.deal_with(paper.id, "sjs", "2013-11-11 17:00", Outcome.recommended, VoteInput(9, 2, 2))

    correct(
        db, postponed.id, Outcome.postponed, wording="vertagt auf Antrag der SPD-Fraktion", reason="Wortlaut"
    )

    step = sc.steps(paper.id)["sjs"]
    assert (step.state, step.outcome, step.outcome_wording) == (
        "dealt_with",
        "recommended",
        "Zustimmung empfohlen",
    )


def test_correcting_a_lack_of_quorum_away_keeps_the_step_and_its_result_in_agreement(db: Database) -> None:
    sc = Scenario(db.sessions)
    paper = sc.submitted_paper(committees=["sjs"])
    sc.deal_with(paper.id, "magistrat", "2013-10-07 09:00", Outcome.recommended, VoteInput(12, 0, 0))
    meeting = sc.new_meeting("sjs", "2013-10-28 17:00")
    item = sc.schedule(paper.id, "sjs", meeting.id)
    sc.invite(meeting.id)
    sc.attend(meeting.id, present=sc.members("sjs")[:6])
    sc.record(item.id, Outcome.deferred, quorum_failed=True)

    # The minutes show seven members were there: the body was quorate and deferred the item.
    correct(db, item.id, Outcome.deferred, present=sc.members("sjs")[:7], reason="Anwesenheit berichtigt")

    with db.session() as s:
        result = s.scalars(select(ItemResult).where(ItemResult.agenda_item_id == item.id)).one()
        assert result.quorum_failed is False
    assert sc.steps(paper.id)["sjs"].quorum_failed is False
    later = sc.new_meeting("sjs", "2013-11-11 17:00")
    assert sc.item(sc.schedule(paper.id, "sjs", later.id).id).second_session is False


# ---------------------------------------------------------------------------------------------- history


def test_the_history_of_a_paper_is_its_complete_timeline_from_draft_to_decision(db: Database) -> None:
    sc = Scenario(db.sessions)
    paper = sc.submitted_paper(committees=["sjs"])
    bystander = sc.submitted_paper(committees=["kfp"], subject="Eine andere Vorlage")
    sc.deal_with(paper.id, "magistrat", "2013-10-07 09:00", Outcome.recommended, VoteInput(12, 0, 0))
    sc.deal_with(bystander.id, "magistrat", "2013-10-07 10:00", Outcome.postponed)
    sc.deal_with(paper.id, "sjs", "2013-10-28 17:00", Outcome.recommended, VoteInput(9, 2, 2))
    sc.deal_with(paper.id, "stvv", "2013-11-27 18:00", Outcome.adopted, VoteInput(40, 12, 7))

    events = history(db, paper.id)
    per_step = [
        "consultation.scheduled",
        "consultation.invited",
        "result.recorded",
        "consultation.dealt_with",
    ]
    assert (
        [e.action for e in events]
        == [
            "paper.drafted",
            "paper.planned",
            "paper.submitted",
            "consultation.scheduled",
            "paper.begin_deliberation",  # the paper's own transitions are in its history too
            *per_step[1:],
            *per_step * 2,
            "paper.adopt",
        ]
    )
    assert all(e.paper_id == paper.id for e in events)
    moments = [e.occurred_at for e in events]
    assert moments == sorted(moments)
    assert moments[0] == berlin("2013-09-10 10:00")
    assert moments[-1] == berlin("2013-11-27 18:30")

    steps = sc.steps(paper.id)
    dealt = [e for e in events if e.action == "consultation.dealt_with"]
    assert [e.entity_id for e in dealt] == [steps[k].id for k in ("magistrat", "sjs", "stvv")]
    assert [(e.before or {}).get("state") for e in dealt] == ["invited"] * 3
    assert [(e.after or {}).get("outcome") for e in dealt] == ["recommended", "recommended", "adopted"]
    decisive = [e for e in events if e.action == "result.recorded"][-1]
    assert decisive.after is not None
    assert [(v["yes"], v["no"], v["abstain"]) for v in decisive.after["votes"]] == [(40, 12, 7)]
    submitted = events[2]
    assert submitted.before is not None
    assert submitted.after is not None
    assert (submitted.before["state"], submitted.after["state"], submitted.after["reference"]) == (
        "draft",
        "submitted",
        "0001/13",
    )


def test_the_history_of_a_paper_shows_the_cancellation_that_sent_its_step_back(db: Database) -> None:
    sc = Scenario(db.sessions)
    paper = sc.submitted_paper(committees=["sjs"])
    meeting = sc.new_meeting("magistrat", "2013-10-07 09:00")
    sc.schedule(paper.id, "magistrat", meeting.id)
    sc.invite(meeting.id)
    meetings.cancel_meeting(
        db.sessions,
        actor="Sitzungsdienst",
        meeting_id=meeting.id,
        reason="Der Oberbürgermeister ist erkrankt",
        now=berlin("2013-10-04 12:00"),
    )
    assert sc.steps(paper.id)["magistrat"].state == "planned"
    assert "Der Oberbürgermeister ist erkrankt" in [e.reason for e in history(db, paper.id)]


def test_the_audit_trail_refuses_update_and_delete_at_the_database(db: Database) -> None:
    sc = Scenario(db.sessions)
    paper = sc.submitted_paper(committees=["sjs"])
    before = table_contents(db)["audit_event"]
    assert len(before) >= 3

    for statement in (
        update(AuditEvent).values(actor="jemand anderes"),
        update(AuditEvent).where(AuditEvent.paper_id == paper.id).values(reason="nachträglich"),
        delete(AuditEvent),
        delete(AuditEvent).where(AuditEvent.action == "paper.submitted"),
    ):
        with pytest.raises(DBAPIError, match="append-only"), db.engine.begin() as conn:
            conn.execute(statement)
    with pytest.raises(DBAPIError, match="append-only"), db.session() as s, s.begin():
        s.delete(s.scalars(select(AuditEvent).order_by(AuditEvent.id.desc()).limit(1)).one())

    assert table_contents(db)["audit_event"] == before
    with db.engine.begin() as conn:  # appending still works
        conn.execute(
            insert(AuditEvent).values(
                occurred_at=dt.datetime(2013, 9, 11, tzinfo=dt.UTC),
                actor="test",
                action="test.appended",
                entity_type="paper",
                entity_id=paper.id,
            )
        )
    assert len(table_contents(db)["audit_event"]) == len(before) + 1


# ---------------------------------------------------------------------------------------------- all or nothing


def test_a_refused_use_case_leaves_no_trace_in_any_table(db: Database) -> None:
    sc = Scenario(db.sessions)
    # A paper through the Magistrat, on the agenda of an invited SJS meeting that was opened (attendance and
    # quorum) and has no result yet.
    paper = sc.submitted_paper(committees=["sjs"])
    magistrat = sc.deal_with(
        paper.id, "magistrat", "2013-10-07 09:00", Outcome.recommended, VoteInput(12, 0, 0)
    )
    meeting = sc.new_meeting("sjs", "2013-10-28 17:00")
    item = sc.schedule(paper.id, "sjs", meeting.id)
    sc.invite(meeting.id)
    sc.attend(meeting.id)
    stvv = sc.new_meeting("stvv", "2013-11-27 18:00")
    planned = draft(sc)
    planning.plan_consultations(db.sessions, actor="test", paper_id=planned.id, committees=["kfp"])
    sjs_members = sc.members("sjs")
    at = berlin("2013-10-28 17:30")

    def record(outcome: Outcome, *votes: VoteInput, **kwargs: Any) -> Callable[[], object]:
        return lambda: results.record_result(
            db.sessions,
            who=recorder(db.sessions, "test"),
            agenda_item_id=item.id,
            result=results.ResultInput(outcome, votes=votes, present=sjs_members, **kwargs),
            now=at,
        )

    refused: list[tuple[str, Callable[[], object], type[DomainError]]] = [
        ("an impossible vote", record(Outcome.recommended, VoteInput(14, 0, 0)), VoteInconsistent),
        ("a referral to an unknown body", record(Outcome.referred, referred_to="nope"), NotFound),
        ("an adoption by a recommending step", record(Outcome.adopted, VoteInput(13, 0, 0)), RuleViolation),
        (
            "an invitation after the deadline",
            lambda: meetings.invite_meeting(
                db.sessions, actor="test", meeting_id=stvv.id, now=berlin("2013-11-26 10:00")
            ),
            NoticePeriodViolation,
        ),
        (
            "a plan with an unknown body",
            lambda: planning.plan_consultations(
                db.sessions,
                actor="test",
                paper_id=planned.id,
                stages=[[StepInput("sjs")], [StepInput("nope", ConsultationRole.decision)]],
            ),
            PlanInvalid,
        ),
        (
            "a plan naming a body twice",
            lambda: planning.plan_consultations(
                db.sessions,
                actor="test",
                paper_id=planned.id,
                stages=[
                    [StepInput("sjs")],
                    [StepInput("sjs")],
                    [StepInput("stvv", ConsultationRole.decision)],
                ],
            ),
            PlanInvalid,
        ),
        (
            "a settlement superseded by the paper itself",
            lambda: papers.settle_paper(
                db.sessions, actor="test", paper_id=paper.id, reason="erledigt", superseded_by=paper.id
            ),
            RuleViolation,
        ),
        (
            "a correction that changes the effect",
            lambda: results.correct_result(
                db.sessions,
                who=recorder(db.sessions, "test"),
                agenda_item_id=magistrat.id,
                result=results.ResultInput(Outcome.postponed),
                reason="versehentlich",
            ),
            RuleViolation,
        ),
        (
            "cancelling a held meeting",
            lambda: meetings.cancel_meeting(
                db.sessions, actor="test", meeting_id=magistrat.meeting_id, reason="zu spät"
            ),
            TransitionNotAllowed,
        ),
        (
            "attendance of an unknown person",
            lambda: meetings.record_attendance(
                db.sessions, actor="test", meeting_id=meeting.id, present=[*sjs_members, 999_999], now=at
            ),
            RuleViolation,
        ),
        (
            "a stale edit of a draft",
            lambda: papers.update_draft(
                db.sessions, actor="test", paper_id=planned.id, changes={"subject": "x"}, expected_version=0
            ),
            VersionConflict,
        ),
        (
            "a reference counter going back",
            lambda: references.set_reference_counter(
                db.sessions, actor="test", municipality="wetzlar", year=2013, last_number=0
            ),
            RuleViolation,
        ),
        (
            "submitting a paper twice",
            lambda: papers.submit_paper(db.sessions, actor="test", paper_id=paper.id),
            TransitionNotAllowed,
        ),
    ]

    for what, use_case, error in refused:
        before = table_contents(db)
        with pytest.raises(error):
            use_case()
        after = table_contents(db)
        assert {t: len(rows) for t, rows in after.items()} == {t: len(rows) for t, rows in before.items()}, (
            what
        )
        assert after == before, what
    # Nothing was held back: the same meeting still takes the result.
    record(Outcome.recommended, VoteInput(13, 0, 0))()
    assert sc.steps(paper.id)["sjs"].state == "dealt_with"


# ---------------------------------------------------------------------------------------------- drafts


def test_editing_a_draft_with_a_stale_version_is_refused(db: Database) -> None:
    sc = Scenario(db.sessions)
    paper = draft(sc)
    assert paper.version == 1

    edited = papers.update_draft(
        db.sessions,
        actor="Fachamt",
        paper_id=paper.id,
        changes={"subject": "  Integriertes Handlungskonzept  ", "financial_impact": True},
        expected_version=1,
    )
    assert (edited.version, edited.subject, edited.financial_impact) == (
        2,
        "Integriertes Handlungskonzept",
        True,
    )

    with pytest.raises(VersionConflict, match=r"version 2, yours 1") as stale:
        papers.update_draft(
            db.sessions,
            actor="Kollegin",
            paper_id=paper.id,
            changes={"justification": "x"},
            expected_version=1,
        )
    assert stale.value.details == {"current_version": 2}
    unchanged = sc.paper(paper.id)
    assert (unchanged.version, unchanged.justification) == (2, "")
    (event,) = audit(db, "paper.edited")
    assert event.before is not None
    assert event.after is not None
    assert (event.before["subject"], event.after["subject"]) == ("Entwurf", "Integriertes Handlungskonzept")


def test_only_a_draft_can_be_edited_and_only_its_editable_fields(db: Database) -> None:
    sc = Scenario(db.sessions)
    paper = draft(sc)
    with pytest.raises(RuleViolation, match="cannot be edited: reference, state"):
        papers.update_draft(
            db.sessions, actor="x", paper_id=paper.id, changes={"state": "adopted", "reference": "1"}
        )
    for field, value in (("subject", "  "), ("paper_date", "2013-09-02"), ("public", "ja")):
        with pytest.raises(RuleViolation, match=f"Invalid value for '{field}'"):
            papers.update_draft(db.sessions, actor="x", paper_id=paper.id, changes={field: value})

    planning.plan_consultations(db.sessions, actor="x", paper_id=paper.id, committees=["sjs"])
    papers.submit_paper(db.sessions, actor="x", paper_id=paper.id, now=berlin("2013-09-10 10:00"))
    with pytest.raises(
        TransitionNotAllowed, match="Only a draft can be edited; the paper is in state 'submitted'"
    ):
        papers.update_draft(db.sessions, actor="x", paper_id=paper.id, changes={"subject": "Zu spät"})
    assert sc.paper(paper.id).subject == "Entwurf"


# ---------------------------------------------------------------------------------------------- references


def test_reference_numbers_run_per_municipality_and_berlin_year(db: Database) -> None:
    wetzlar, duisburg = Scenario(db.sessions), Scenario(db.sessions, town="duisburg")
    submitted = [
        wetzlar.submitted_paper(when="2013-09-10 10:00"),
        duisburg.submitted_paper(when="2013-10-01 10:00"),
        wetzlar.submitted_paper(when="2013-12-31 23:30"),
        wetzlar.submitted_paper(when="2014-01-01 00:30"),  # still 2013 in UTC
        duisburg.submitted_paper(when="2014-01-02 10:00"),
        wetzlar.submitted_paper(when="2014-02-01 10:00"),
    ]
    assert [p.reference for p in submitted] == [
        "0001/13",
        "0001/13",
        "0002/13",
        "0001/14",
        "0001/14",
        "0002/14",
    ]


def test_the_numbering_of_a_previous_system_is_continued_and_cannot_go_back(db: Database) -> None:
    sc = Scenario(db.sessions)

    def set_counter(last_number: int, *, year: int = 2013) -> None:
        references.set_reference_counter(
            db.sessions, actor="Administration", municipality="wetzlar", year=year, last_number=last_number
        )

    set_counter(1561)
    assert sc.submitted_paper(when="2013-09-10 10:00").reference == "1562/13"  # the Wetzlar Vorlage
    assert sc.submitted_paper(when="2013-09-11 10:00").reference == "1563/13"
    assert sc.submitted_paper(when="2014-01-10 10:00").reference == "0001/14"
    assert (
        Scenario(db.sessions, town="duisburg").submitted_paper(when="2013-09-12 10:00").reference == "0001/13"
    )

    for lower in (1500, 1562):
        with pytest.raises(RuleViolation, match="already at 1563; it cannot go back"):
            set_counter(lower)
    with pytest.raises(RuleViolation, match="must lie between 0 and 9999999, not -1"):
        set_counter(-1, year=2015)
    set_counter(1563)  # unchanged is fine
    set_counter(1600)
    assert sc.submitted_paper(when="2013-09-13 10:00").reference == "1601/13"

    events = audit(db, "reference_counter.set")
    assert [(e.before, e.after) for e in events] == [
        (None, {"year": 2013, "last_number": 1561}),
        ({"year": 2013, "last_number": 1563}, {"year": 2013, "last_number": 1563}),
        ({"year": 2013, "last_number": 1563}, {"year": 2013, "last_number": 1600}),
    ]
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(Paper).where(Paper.reference.like("%/13"))) == 4
