"""Results recorded in batches (``results.record_results``, ``api.result_writer``) on SQLite and PostgreSQL.

A batch must leave exactly what the same results recorded one by one leave, give each recording its own
outcome (a broken rule reaches only its own), hold back a recording that shares a meeting or paper with an
earlier one, and fall back to one transaction per recording when the batch fails as a whole.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from typing import Any

import pytest
from sqlalchemy import Connection, select

from api.result_writer import ResultWriter
from tests.conftest import Database
from tests.scenario import Scenario, berlin
from workflow import results
from workflow.bulk import insert_many, update_many
from workflow.errors import Conflict, VoteInconsistent
from workflow.models import (
    AgendaItem,
    AuditEvent,
    Consultation,
    ItemPresence,
    ItemResult,
    Meeting,
    OutboxMessage,
    Paper,
    Vote,
    table,
)
from workflow.rules import VoteInput
from workflow.vocabulary import Outcome, PaperKind

NOW = berlin("2013-10-07 09:30")
MAGISTRAT_VOTE = VoteInput(9, 2, 1)


def _meetings_with_items(sc: Scenario, meetings: int, per_meeting: int) -> list[list[int]]:
    """``meetings`` invited and attended Magistrat meetings, each with ``per_meeting`` papers on its agenda."""
    agendas = []
    for number in range(meetings):
        meeting = sc.new_meeting("magistrat", f"2013-10-0{7 - number} 09:00")
        items = []
        for _ in range(per_meeting):
            paper = sc.submitted_paper(committees=["sjs"])
            items.append(sc.schedule(paper.id, "magistrat", meeting.id).id)
        sc.invite(meeting.id)
        sc.attend(meeting.id)
        agendas.append(items)
    return agendas


def _recording(item_id: int, vote: VoteInput = MAGISTRAT_VOTE, **kw: Any) -> results.Recording:
    return results.Recording(
        item_id, results.ResultInput(Outcome.recommended, votes=[vote], **kw), "Schriftführung Magistrat", NOW
    )


def _written(db: Database, item_id: int) -> dict[str, Any]:
    """What a recorded result left behind, without ids and with the entity's own ids replaced."""
    with db.session() as s:
        item = s.get_one(AgendaItem, item_id)
        row = s.scalars(select(ItemResult).where(ItemResult.agenda_item_id == item_id)).one()
        step = s.get_one(Consultation, item.consultation_id)
        paper = s.get_one(Paper, step.paper_id)
        meeting = s.get_one(Meeting, item.meeting_id)
        audit = s.scalars(
            select(AuditEvent).where(AuditEvent.paper_id == paper.id).order_by(AuditEvent.id)
        ).all()
        outbox = s.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()
        hidden = {"id", "agenda_item_id", "paper_id", "meeting_id", "body_id", "consultation_id"}

        def plain(values: dict[str, Any] | None, *also: str) -> dict[str, Any] | None:
            left_out = hidden | set(also)
            return None if values is None else {k: v for k, v in values.items() if k not in left_out}

        return {
            "result": {c.name: getattr(row, c.name) for c in table(ItemResult).c if c.name not in hidden},
            "present": len(s.scalars(select(ItemPresence).where(ItemPresence.result_id == row.id)).all()),
            "votes": [
                (v.position, v.yes, v.no, v.abstain, v.decisive)
                for v in s.scalars(select(Vote).where(Vote.result_id == row.id))
            ],
            "step": (step.state, step.outcome, step.outcome_wording, step.version, step.modified_at),
            "paper": (paper.state, paper.version, paper.modified_at, paper.resolution_text),
            "meeting": (meeting.state, meeting.modified_at),
            "item": (item.version, item.modified_at),
            "audit": [
                # The steps were planned on different days: their earlier stamps differ, nothing else.
                (a.action, a.entity_type, a.actor, plain(a.before, "modified_at"), plain(a.after))
                for a in audit
                if a.occurred_at == NOW
            ],
            "outbox": [
                (m.event_type, sorted(m.payload))
                for m in outbox
                if m.event_type == "ResultRecorded" and m.payload["agenda_item_id"] == item_id
            ],
        }


def test_a_batch_writes_what_the_same_results_write_one_by_one(db: Database) -> None:
    sc = Scenario(db.sessions)
    first, second, third = (agenda[0] for agenda in _meetings_with_items(sc, 3, 1))
    alone = results.record_results(db.sessions, [_recording(first)])
    batch = results.record_results(db.sessions, [_recording(second), _recording(third)])
    assert all(isinstance(outcome, results.RecordedResult) for outcome in [*alone, *batch])
    reference = _written(db, first)
    assert reference["audit"]
    assert reference["outbox"]
    for other in (second, third):
        written = _written(db, other)
        for got, expected in zip(written["audit"], reference["audit"], strict=True):
            assert got[:3] == expected[:3]
            assert got[3] == expected[3]
            assert got[4] == expected[4]
        assert written == reference
    # The answer is what is stored: ids filled in, votes and presence as written.
    recorded = batch[1]
    assert isinstance(recorded, results.RecordedResult)
    with db.session() as s:
        stored = s.get_one(ItemResult, recorded.id)
        assert stored.agenda_item_id == third
        assert [v.id for v in stored.votes] == [v.id for v in recorded.votes]
        assert [p.person_id for p in stored.present] == [p.person_id for p in recorded.present]


def test_a_broken_rule_reaches_only_its_own_recording(db: Database) -> None:
    sc = Scenario(db.sessions)
    good, bad, also_good = (agenda[0] for agenda in _meetings_with_items(sc, 3, 1))
    outcomes = results.record_results(
        db.sessions, [_recording(good), _recording(bad, VoteInput(90, 0, 0)), _recording(also_good)]
    )
    assert isinstance(outcomes[0], results.RecordedResult)
    assert isinstance(outcomes[1], VoteInconsistent)
    assert "anwesende Stimmberechtigte" in str(outcomes[1])
    assert isinstance(outcomes[2], results.RecordedResult)
    with db.session() as s:
        recorded = set(s.scalars(select(ItemResult.agenda_item_id)))
        step = s.get_one(Consultation, s.get_one(AgendaItem, bad).consultation_id)
        assert step.state == "invited"  # nothing of the broken one was written
        assert not s.scalars(
            select(AuditEvent).where(AuditEvent.paper_id == step.paper_id, AuditEvent.occurred_at == NOW)
        ).all()
    assert recorded == {good, also_good}


def test_a_recording_sharing_a_meeting_or_item_waits_for_the_next_batch(db: Database) -> None:
    sc = Scenario(db.sessions)
    [agenda] = _meetings_with_items(sc, 1, 2)
    top1, top2 = agenda
    outcomes = results.record_results(db.sessions, [_recording(top1), _recording(top2), _recording(top1)])
    assert isinstance(outcomes[0], results.RecordedResult)
    assert isinstance(outcomes[1], results.Later)
    assert isinstance(outcomes[2], results.Later)
    [second] = results.record_results(db.sessions, [_recording(top2)])
    assert isinstance(second, results.RecordedResult)
    [again] = results.record_results(db.sessions, [_recording(top1)])
    assert isinstance(again, Conflict)  # the same TOP a second time: already recorded, correct it instead
    assert "already recorded" in str(again)


def test_when_the_batch_fails_as_a_whole_each_recording_is_tried_alone(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    sc = Scenario(db.sessions)
    first, second = (agenda[0] for agenda in _meetings_with_items(sc, 2, 1))
    write = results._write
    calls: list[int] = []

    def failing_for_batches(session: Any, plans: list[Any]) -> None:
        calls.append(len(plans))
        if len(plans) > 1:
            raise Conflict("simulated: someone else wrote the same rows")
        write(session, plans)

    monkeypatch.setattr(results, "_write", failing_for_batches)
    outcomes = results.record_results(db.sessions, [_recording(first), _recording(second)])
    assert calls == [2, 1, 1]
    assert all(isinstance(outcome, results.RecordedResult) for outcome in outcomes)
    with db.session() as s:
        assert set(s.scalars(select(ItemResult.agenda_item_id))) == {first, second}
        assert (
            len(s.scalars(select(OutboxMessage).where(OutboxMessage.event_type == "ResultRecorded")).all())
            == 2
        )


def test_the_writer_gathers_concurrent_results_and_answers_each_caller(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    sc = Scenario(db.sessions)
    agendas = _meetings_with_items(sc, 6, 2)
    sizes: list[int] = []
    record_results = results.record_results
    gate = threading.Event()

    def counted(sessions: Any, recordings: Any) -> Any:
        gate.wait(10)  # the first batch waits until every caller has queued its result
        sizes.append(len(recordings))
        return record_results(sessions, recordings)

    monkeypatch.setattr(results, "record_results", counted)
    writer = ResultWriter(db.sessions, max_batch=64)
    answers: dict[int, Any] = {}

    def secretary(items: list[int], broken: bool) -> None:
        for item in items:
            vote = VoteInput(90, 0, 0) if broken and item == items[-1] else MAGISTRAT_VOTE
            try:
                answers[item] = writer.record(_recording(item, vote))
            except Exception as exc:
                answers[item] = exc

    threads = [
        threading.Thread(target=secretary, args=(agenda, number == 0))
        for number, agenda in enumerate(agendas)
    ]
    for thread in threads:
        thread.start()
    deadline = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=10)
    while writer._queue.qsize() < len(agendas) - 1 and dt.datetime.now(dt.UTC) < deadline:
        threading.Event().wait(0.01)
    gate.set()
    for thread in threads:
        thread.join(30)
    writer.stop()
    assert max(sizes) > 1, sizes  # results that arrived together were recorded together
    assert sum(sizes) >= 12
    broken = agendas[0][-1]
    assert isinstance(answers[broken], VoteInconsistent)
    recorded = {item for item, answer in answers.items() if isinstance(answer, results.RecordedResult)}
    assert recorded == {item for agenda in agendas for item in agenda} - {broken}
    with db.session() as s:
        assert set(s.scalars(select(ItemResult.agenda_item_id))) == recorded
        for item in recorded:
            assert (
                s.scalars(select(ItemResult.id).where(ItemResult.agenda_item_id == item)).one()
                == answers[item].id
            )


def test_the_writer_records_what_waits_when_stopped_and_starts_again_after(db: Database) -> None:
    sc = Scenario(db.sessions)
    (a,), (b,) = _meetings_with_items(sc, 2, 1)
    writer = ResultWriter(db.sessions)
    assert writer.record(_recording(a)).agenda_item_id == a
    writer.stop()
    writer.stop()  # twice is harmless
    assert writer.record(_recording(b)).agenda_item_id == b  # a new thread
    writer.stop()


def test_bulk_writes_convert_types_and_raise_versions(db: Database) -> None:
    sc = Scenario(db.sessions)
    [agenda] = _meetings_with_items(sc, 1, 2)
    stamp = dt.datetime(2013, 10, 7, 7, 45, 12, tzinfo=dt.UTC)
    with db.engine.begin() as conn:
        assert isinstance(conn, Connection)
        before = dict(
            conn.execute(select(AgendaItem.id, AgendaItem.version).where(AgendaItem.id.in_(agenda))).all()
        )
        update_many(
            conn, table(AgendaItem), [{"id": i, "modified_at": stamp} for i in agenda], bump_version=True
        )
        insert_many(
            conn,
            table(OutboxMessage),
            [
                {"created_at": stamp, "event_type": "Probe", "payload": {"ä": [1, "ß"]}, "attempts": 0},
                {"created_at": stamp, "event_type": "Probe", "payload": {}, "attempts": 2},
            ],
        )
        insert_many(conn, table(OutboxMessage), [])  # nothing to write is no statement
    with db.session() as s:
        for item_id in agenda:
            item = s.get_one(AgendaItem, item_id)
            assert item.version == before[item_id] + 1
            assert item.modified_at == stamp
        probes = s.scalars(select(OutboxMessage).where(OutboxMessage.event_type == "Probe")).all()
        assert [(m.payload, m.attempts, m.created_at) for m in probes] == [
            ({"ä": [1, "ß"]}, 0, stamp),
            ({}, 2, stamp),
        ]
    with pytest.raises(ValueError, match="id"), db.engine.begin() as conn:
        update_many(conn, table(AgendaItem), [{"modified_at": stamp}], bump_version=False)


def test_an_idle_writer_thread_ends_and_the_next_result_starts_another(db: Database) -> None:
    sc = Scenario(db.sessions)
    (a,), (b,) = _meetings_with_items(sc, 2, 1)
    writer = ResultWriter(db.sessions, idle_seconds=0.05)
    assert writer.record(_recording(a)).agenda_item_id == a
    [first] = writer._threads
    first.join(5)
    assert not first.is_alive()
    assert writer._threads == []
    assert writer.record(_recording(b)).agenda_item_id == b
    writer.stop()
    assert writer._threads == []


def _last_step(
    sc: Scenario, paper_id: int, body: str, start: str, outcome: Outcome, *votes: VoteInput
) -> tuple[int, dt.datetime]:
    """Deal with the paper in ``body``; returns the paper's version and stamp just before the result."""
    meeting = sc.new_meeting(body, start)
    item = sc.schedule(paper_id, body, meeting.id)
    sc.invite(meeting.id)
    sc.attend(meeting.id)
    paper = sc.paper(paper_id)
    version, stamp = paper.version, paper.modified_at
    sc.record(item.id, outcome, *votes)
    return version, stamp


@pytest.mark.parametrize(("case", "writes"), [("rejected", 2), ("withdrawn", 1), ("noted", 2)])
def test_a_result_that_moves_the_paper_writes_it_as_the_orm_use_case_did_and_audits_it_as_it_was(
    db: Database, case: str, writes: int
) -> None:
    """The paper is written by its transition (and, for a decision, once more for ``decided_at``), as the
    ORM use case did; not once more beforehand (review of b271157: rejected, withdrawn and noted raised the
    version one too many and audited a 'before' that was never committed)."""
    sc = Scenario(db.sessions)
    if case == "rejected":
        paper = sc.submitted_paper(committees=["sjs"])
        sc.deal_with(paper.id, "magistrat", "2013-10-07 09:00", Outcome.recommended, VoteInput(9, 2, 1))
        sc.deal_with(paper.id, "sjs", "2013-10-28 17:00", Outcome.recommended, VoteInput(13, 0, 0))
        version, stamp = _last_step(
            sc, paper.id, "stvv", "2013-11-27 18:00", Outcome.rejected, VoteInput(20, 30, 9)
        )
        action = "paper.reject"
    elif case == "withdrawn":
        paper = sc.submitted_paper(committees=["sjs"])
        version, stamp = _last_step(sc, paper.id, "magistrat", "2013-10-07 09:00", Outcome.withdrawn)
        action = "paper.withdraw"
    else:
        paper = sc.submitted_paper(kind=PaperKind.mitteilungsvorlage)
        sc.deal_with(paper.id, "magistrat", "2013-10-07 09:00", Outcome.noted)
        version, stamp = _last_step(sc, paper.id, "stvv", "2013-10-30 18:00", Outcome.noted)
        action = "paper.note"
    with db.session() as s:
        after = s.get_one(Paper, paper.id)
        [event] = s.scalars(select(AuditEvent).where(AuditEvent.action == action)).all()
    assert after.version == version + writes
    assert event.before is not None
    assert event.before["version"] == version
    assert event.before["modified_at"] == stamp.isoformat()
    assert event.after is not None
    assert event.after["version"] == version + 1  # the transition itself


@pytest.mark.postgres
def test_a_row_locked_elsewhere_holds_up_the_writer_for_the_lock_timeout_at_most(pg: Database) -> None:
    """Review of b271157: with one writer thread, a result waiting for a row lock another transaction keeps
    held stopped every other result of the process, without end. Now the batch waits at most
    ``LOCK_TIMEOUT_SECONDS``; the result whose paper is locked ends with a Conflict (409, try again)."""
    sc = Scenario(pg.sessions)
    (a,), (b,) = _meetings_with_items(sc, 2, 1)
    with pg.session() as s:
        paper_a = s.get_one(Consultation, s.get_one(AgendaItem, a).consultation_id).paper_id
    writer = ResultWriter(pg.sessions)
    answers: dict[str, Any] = {}
    finished: dict[str, float] = {}

    def secretary(name: str, item: int) -> None:
        try:
            answers[name] = writer.record(_recording(item))
        except Exception as exc:
            answers[name] = exc
        finished[name] = time.monotonic()

    with pg.engine.connect() as blocker, blocker.begin():
        blocker.execute(select(Paper.id).where(Paper.id == paper_a).with_for_update())
        start = time.monotonic()
        first = threading.Thread(target=secretary, args=("a", a))
        first.start()
        deadline = time.monotonic() + 10
        while writer._queue.qsize() and time.monotonic() < deadline:  # a's batch has begun
            time.sleep(0.01)
        second = threading.Thread(target=secretary, args=("b", b))
        second.start()
        second.join(results.LOCK_TIMEOUT_SECONDS + 10)
        first.join(10)
    writer.stop()
    assert isinstance(answers["b"], results.RecordedResult)
    assert finished["b"] - start < results.LOCK_TIMEOUT_SECONDS + 5
    assert isinstance(answers["a"], Conflict)
    assert "try again" in str(answers["a"])
