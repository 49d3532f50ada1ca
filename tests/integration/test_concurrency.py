"""Concurrent use cases on the real PostgreSQL: two threads, two connections, real row locks.

A ``threading.Barrier`` releases both threads at once. Where a test needs a fixed order, a statement hook
lets the second thread ask for its row lock only after the first thread holds it, so the second really waits
on the lock in the database (no sleeps).
"""

from __future__ import annotations

import datetime as dt
import functools
import re
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import Engine, event, func, select

from tests.conftest import Database
from tests.scenario import Scenario, berlin, recorder
from workflow import meetings, papers, planning, results
from workflow.errors import Conflict, DomainError, TransitionNotAllowed
from workflow.models import (
    AgendaItem,
    AuditEvent,
    ItemResult,
    Meeting,
    OutboxMessage,
    Paper,
    ReferenceCounter,
)
from workflow.planning import StepInput
from workflow.rules import VoteInput
from workflow.vocabulary import ConsultationRole, Outcome, PaperKind, PaperState

pytestmark = pytest.mark.postgres

# ---------------------------------------------------------------------------------------------- helpers


def race(**calls: Callable[[], Any]) -> dict[str, Any]:
    """Run the calls in threads named after their keys, released together; the value or the exception."""
    barrier = threading.Barrier(len(calls))
    outcome: dict[str, Any] = {}

    def run(name: str, call: Callable[[], Any]) -> None:
        barrier.wait(timeout=30)
        try:
            outcome[name] = call()
        except Exception as exc:
            outcome[name] = exc

    threads = [threading.Thread(target=run, args=item, name=item[0]) for item in calls.items()]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads), "a racing use case hangs"
    return outcome


def _locks(statement: str, table: str) -> bool:
    return "FOR UPDATE" in statement and re.search(rf"\bFROM {table}\b", statement) is not None


@contextmanager
def lock_order(engine: Engine, first: str, then: str, table: str = "paper") -> Iterator[None]:
    """Force ``first`` to win the race for a row of ``table``, with ``then`` truly waiting on the lock.

    ``then`` asks for its first ``FOR UPDATE`` lock on ``table`` only once ``first`` holds one, and ``first``
    commits only once ``then`` is about to ask: everything ``then`` read before its lock it read before
    ``first`` committed.
    """
    held, asking = threading.Event(), threading.Event()

    def before(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if threading.current_thread().name == then and _locks(statement, table) and not asking.is_set():
            assert held.wait(timeout=30), f"{first} never locked {table}"
            asking.set()

    def after(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if threading.current_thread().name == first and _locks(statement, table):
            held.set()

    def commit(_conn: Any) -> None:
        if threading.current_thread().name == first:
            assert asking.wait(timeout=30), f"{then} never asked for its lock on {table}"

    hooks: list[tuple[str, Callable[..., None]]] = [
        ("before_cursor_execute", before),
        ("after_cursor_execute", after),
        ("commit", commit),
    ]
    for name, hook in hooks:
        event.listen(engine, name, hook)
    try:
        yield
    finally:
        for name, hook in hooks:
            event.remove(engine, name, hook)


def magistrat_items(sc: Scenario, count: int) -> tuple[Meeting, list[tuple[int, int]]]:
    """``count`` papers on the agenda of one opened Magistrat meeting (attendance and quorum recorded): (paper
    id, agenda item id) each."""
    meeting = sc.new_meeting("magistrat", "2013-10-07 09:00")
    items = []
    for number in range(count):
        paper = sc.submitted_paper(committees=["sjs"], subject=f"Vorlage {number + 1}")
        items.append((paper.id, sc.schedule(paper.id, "magistrat", meeting.id).id))
    sc.invite(meeting.id)
    sc.attend(meeting.id)
    return meeting, items


def record(
    db: Database,
    item_id: int,
    actor: str,
    vote: VoteInput,
    *,
    outcome: Outcome = Outcome.recommended,
    **kw: Any,
) -> Callable[[], ItemResult]:
    return lambda: results.record_result(
        db.sessions,
        who=recorder(db.sessions, actor),
        agenda_item_id=item_id,
        result=results.ResultInput(outcome, votes=[vote], **kw),
        now=berlin("2013-10-07 09:30"),
    )


def withdraw(db: Database, paper_id: int) -> Callable[[], Paper]:
    return lambda: papers.withdraw_paper(
        db.sessions,
        actor="Koordinationsbüro",
        paper_id=paper_id,
        reason="Die Vorlage wird überarbeitet",
        now=berlin("2013-10-07 09:30"),
    )


def written_for(db: Database, paper_id: int, item_id: int) -> dict[str, int]:
    """What a recorded result leaves behind: result rows, audit events and outbox rows of the item."""
    with db.session() as s:
        recorded = s.scalars(select(OutboxMessage).where(OutboxMessage.event_type == "ResultRecorded")).all()
        return {
            "item_result": s.scalar(
                select(func.count()).select_from(ItemResult).where(ItemResult.agenda_item_id == item_id)
            )
            or 0,
            "result.recorded": s.scalar(
                select(func.count())
                .select_from(AuditEvent)
                .where(AuditEvent.action == "result.recorded", AuditEvent.paper_id == paper_id)
            )
            or 0,
            "consultation.dealt_with": s.scalar(
                select(func.count())
                .select_from(AuditEvent)
                .where(AuditEvent.action == "consultation.dealt_with", AuditEvent.paper_id == paper_id)
            )
            or 0,
            "ResultRecorded": sum(1 for m in recorded if m.payload["agenda_item_id"] == item_id),
        }


def assert_no_open_step(sc: Scenario, paper_id: int) -> None:
    assert {s.state for s in sc.steps(paper_id).values()} <= {"dealt_with", "closed"}


# ---------------------------------------------------------------------------------------------- results


def test_two_secretaries_recording_the_same_item_at_once_get_one_result_and_one_conflict(
    pg: Database,
) -> None:
    sc = Scenario(pg.sessions)
    meeting, items = magistrat_items(sc, 5)
    present = sc.members("magistrat")
    actors = {"a": "Schriftführerin A", "b": "Schriftführer B"}
    votes = {"a": VoteInput(12, 0, 0), "b": VoteInput(11, 0, 1)}

    for paper_id, item_id in items:
        outcome = race(
            **{key: record(pg, item_id, actors[key], votes[key], present=present) for key in actors}
        )
        winners = [key for key, value in outcome.items() if isinstance(value, ItemResult)]
        assert len(winners) == 1, outcome
        (loser,) = set(outcome) - set(winners)
        assert type(outcome[loser]) is Conflict, repr(outcome[loser])  # 409, not a stale-version 412
        # Names who won and tells the secretary what to do.
        assert f"already recorded by {actors[winners[0]]} (Schriftführung); correct it with a reason" in str(
            outcome[loser]
        )

        assert written_for(pg, paper_id, item_id) == {
            "item_result": 1,
            "result.recorded": 1,
            "consultation.dealt_with": 1,
            "ResultRecorded": 1,
        }
        with pg.session() as s:
            stored = s.scalars(select(ItemResult).where(ItemResult.agenda_item_id == item_id)).one()
            vote = votes[winners[0]]
            assert (stored.recorded_by, [(v.yes, v.no, v.abstain) for v in stored.votes]) == (
                f"{actors[winners[0]]} (Schriftführung)",
                [(vote.yes, vote.no, vote.abstain)],
            )
        assert sc.steps(paper_id)["magistrat"].state == "dealt_with"
    assert sc.meeting(meeting.id).state == "held"


def test_the_secretary_who_loses_the_race_is_told_who_recorded_the_item(pg: Database) -> None:
    sc = Scenario(pg.sessions)
    _, items = magistrat_items(sc, 1)
    ((_, item_id),) = items
    with lock_order(pg.engine, first="a", then="b"):
        outcome = race(
            a=record(pg, item_id, "Schriftführerin A", VoteInput(12, 0, 0)),
            b=record(pg, item_id, "Schriftführer B", VoteInput(11, 0, 1)),
        )
    assert isinstance(outcome["a"], ItemResult), outcome
    error = outcome["b"]
    assert type(error) is Conflict, repr(error)
    assert str(error).startswith("A result for TOP N 1 was already recorded by Schriftführerin A")


# ---------------------------------------------------------------------------------------------- references


def test_concurrent_submissions_get_different_reference_numbers_without_gaps(pg: Database) -> None:
    sc = Scenario(pg.sessions)
    drafts = []
    for number in range(10):
        paper = papers.draft_paper(
            pg.sessions,
            actor="Fachamt",
            municipality="wetzlar",
            kind=PaperKind.beschlussvorlage,
            department="kbs",
            subject=f"Vorlage {number + 1}",
            paper_date=berlin("2013-09-02 10:00").date(),
        )
        planning.plan_consultations(pg.sessions, actor="Fachamt", paper_id=paper.id, committees=["sjs"])
        drafts.append(paper.id)

    def submit(paper_id: int) -> Callable[[], Paper]:
        return lambda: papers.submit_paper(
            pg.sessions, actor="Koordinationsbüro", paper_id=paper_id, now=berlin("2013-09-10 10:00")
        )

    references: list[str] = []
    for one, two in zip(drafts[::2], drafts[1::2], strict=True):  # the first pair also creates the counter
        outcome = race(one=submit(one), two=submit(two))
        assert all(isinstance(value, Paper) for value in outcome.values()), outcome
        references.extend(str(value.reference) for value in outcome.values())

    assert sorted(references) == [f"{n:04d}/13" for n in range(1, 11)]
    assert {sc.paper(paper_id).reference for paper_id in drafts} == set(references)
    with pg.session() as s:
        counter = s.get_one(ReferenceCounter, (sc.town_id(), 2013))
        assert counter.last_number == 10


# ---------------------------------------------------------------------------------------------- withdrawal


@pytest.mark.parametrize("first", ["withdraw", "record"])
def test_a_withdrawal_racing_a_result_ends_consistent_in_either_order(pg: Database, first: str) -> None:
    sc = Scenario(pg.sessions)
    _, items = magistrat_items(sc, 1)
    ((paper_id, item_id),) = items
    then = "record" if first == "withdraw" else "withdraw"

    with lock_order(pg.engine, first=first, then=then):
        outcome = race(
            withdraw=withdraw(pg, paper_id),
            record=record(pg, item_id, "Schriftführerin", VoteInput(12, 0, 0)),
        )

    assert isinstance(outcome["withdraw"], Paper), outcome
    final = sc.paper(paper_id)
    assert (final.state, final.closing_reason) == ("withdrawn", "Die Vorlage wird überarbeitet")
    assert_no_open_step(sc, paper_id)
    step = sc.steps(paper_id)["magistrat"]
    if first == "record":
        assert isinstance(outcome["record"], ItemResult), outcome
        assert (step.state, step.outcome) == ("dealt_with", "recommended")
        expected = 1
    else:
        # Refused as a domain error: the step was closed (or changed under the secretary's hands).
        assert isinstance(outcome["record"], TransitionNotAllowed | Conflict), outcome
        assert (step.state, step.outcome) == ("closed", "withdrawn")
        expected = 0
    assert written_for(pg, paper_id, item_id) == {
        "item_result": expected,
        "result.recorded": expected,
        "consultation.dealt_with": expected,
        "ResultRecorded": expected,
    }
    assert [(s.state, s.outcome) for k, s in sc.steps(paper_id).items() if k != "magistrat"] == [
        ("closed", "withdrawn"),
        ("closed", "withdrawn"),
    ]


def test_withdrawals_racing_results_never_surface_anything_but_domain_errors(pg: Database) -> None:
    sc = Scenario(pg.sessions)
    _, items = magistrat_items(sc, 5)
    for paper_id, item_id in items:
        outcome = race(
            withdraw=withdraw(pg, paper_id),
            record=record(pg, item_id, "Schriftführerin", VoteInput(12, 0, 0)),
        )
        errors = [value for value in outcome.values() if isinstance(value, Exception)]
        assert all(isinstance(error, DomainError) for error in errors), errors
        assert isinstance(outcome["withdraw"], Paper), outcome
        recorded = isinstance(outcome["record"], ItemResult)
        assert sc.paper(paper_id).state == PaperState.withdrawn
        assert_no_open_step(sc, paper_id)
        assert set(written_for(pg, paper_id, item_id).values()) == {1 if recorded else 0}


@pytest.mark.parametrize("first", ["withdraw", "adopt"])
def test_a_decision_racing_a_withdrawal_lets_exactly_one_of_them_win(pg: Database, first: str) -> None:
    sc = Scenario(pg.sessions)
    now = berlin("2013-09-10 10:00")
    paper = papers.draft_paper(
        pg.sessions,
        actor="Fraktion",
        municipality="wetzlar",
        kind=PaperKind.antrag,
        department="hauptamt",
        subject="Antrag der Fraktion",
        paper_date=now.date(),
        now=now,
    )
    planning.plan_consultations(
        pg.sessions, actor="x", paper_id=paper.id, stages=[[StepInput("stvv", ConsultationRole.decision)]]
    )
    papers.submit_paper(pg.sessions, actor="x", paper_id=paper.id, now=now)
    meeting = sc.new_meeting("stvv", "2013-10-07 18:00")
    item = sc.schedule(paper.id, "stvv", meeting.id)
    sc.invite(meeting.id)
    sc.attend(meeting.id)
    then = "adopt" if first == "withdraw" else "withdraw"

    with lock_order(pg.engine, first=first, then=then):
        outcome = race(
            withdraw=withdraw(pg, paper.id),
            adopt=record(pg, item.id, "Schriftführer", VoteInput(40, 12, 7), outcome=Outcome.adopted),
        )

    assert isinstance(outcome[then], TransitionNotAllowed | Conflict), outcome
    assert not isinstance(outcome[first], Exception), outcome
    final = sc.paper(paper.id)
    assert final.state == {"withdraw": PaperState.withdrawn, "adopt": PaperState.adopted}[first]
    assert_no_open_step(sc, paper.id)
    assert set(written_for(pg, paper.id, item.id).values()) == {1 if first == "adopt" else 0}


# ---------------------------------------------------------------------------------------------- meetings


def test_two_papers_put_on_one_agenda_at_once_get_their_own_agenda_numbers(pg: Database) -> None:
    sc = Scenario(pg.sessions)
    meeting = sc.new_meeting("magistrat", "2013-10-07 09:00")
    submitted = [sc.submitted_paper(committees=["sjs"], subject=f"Vorlage {n}").id for n in range(6)]

    def schedule(paper_id: int) -> Callable[[], Any]:
        step_id = sc.steps(paper_id)["magistrat"].id
        return lambda: meetings.schedule_consultation(
            pg.sessions,
            actor="Sitzungsdienst",
            consultation_id=step_id,
            meeting_id=meeting.id,
            now=berlin("2013-09-20 10:00"),
        )

    for one, two in zip(submitted[::2], submitted[1::2], strict=True):
        outcome = race(one=schedule(one), two=schedule(two))
        assert not any(isinstance(value, Exception) for value in outcome.values()), outcome

    with pg.session() as s:
        agenda = s.execute(
            select(AgendaItem.order, AgendaItem.number).where(AgendaItem.meeting_id == meeting.id)
        ).all()
    assert sorted(agenda) == [(n, f"N {n + 1}") for n in range(6)]


def test_cancelling_a_meeting_while_a_result_is_recorded_ends_consistent_either_way(pg: Database) -> None:
    # Both use cases lock paper → step → meeting, so they queue instead of deadlocking: whichever gets the
    # paper first wins, the other then fails with a domain error (or the cancellation finds a held meeting).
    for round_ in range(4):
        sc = Scenario(pg.sessions)
        start = f"2013-10-{7 + round_:02d} 09:00"
        meeting = sc.new_meeting("magistrat", start)
        paper = sc.submitted_paper(committees=["sjs"], subject=f"Runde {round_}")
        item = sc.schedule(paper.id, "magistrat", meeting.id)
        sc.invite(meeting.id)
        outcome = race(
            record=record(
                pg, item.id, "Schriftführerin", VoteInput(12, 0, 0), present=sc.members("magistrat")
            ),
            cancel=functools.partial(
                meetings.cancel_meeting,
                pg.sessions,
                actor="Sitzungsdienst",
                meeting_id=meeting.id,
                reason="Der Oberbürgermeister ist erkrankt",
                now=berlin(start) + dt.timedelta(hours=2),
            ),
        )
        errors = [value for value in outcome.values() if isinstance(value, Exception)]
        assert len(errors) == 1, outcome
        assert isinstance(errors[0], DomainError), repr(errors[0])
        step = sc.steps(paper.id)["magistrat"]
        if isinstance(outcome["cancel"], Exception):
            assert (sc.meeting(meeting.id).state, step.state) == ("held", "dealt_with")
            assert set(written_for(pg, paper.id, item.id).values()) == {1}
        else:
            assert (sc.meeting(meeting.id).state, step.state) == ("cancelled", "planned")
            assert set(written_for(pg, paper.id, item.id).values()) == {0}
