"""The embedded default is safe too: two writers on one SQLite file, one wins, the other gets a conflict."""

from __future__ import annotations

import threading

from sqlalchemy import func, select

from tests.conftest import Database
from tests.scenario import Scenario, recorder
from workflow import results
from workflow.errors import Conflict
from workflow.models import ItemResult, OutboxMessage
from workflow.rules import VoteInput
from workflow.vocabulary import Outcome


def test_two_secretaries_recording_the_same_item_on_sqlite_one_wins(sqlite_db: Database) -> None:
    sc = Scenario(sqlite_db.sessions)
    paper = sc.submitted_paper(committees=["sjs"])
    meeting = sc.new_meeting("magistrat", "2013-09-30 09:00")
    item = sc.schedule(paper.id, "magistrat", meeting.id)
    sc.invite(meeting.id)
    sc.attend(meeting.id)
    barrier = threading.Barrier(2)
    outcomes: list[object] = []

    def secretary(yes: int) -> None:
        barrier.wait()
        try:
            results.record_result(
                sqlite_db.sessions,
                who=recorder(sqlite_db.sessions, f"Schriftführung {yes}"),
                agenda_item_id=item.id,
                result=results.ResultInput(Outcome.recommended, votes=[VoteInput(yes, 0, 0)]),
                now=meeting.start,
            )
            outcomes.append("ok")
        except Conflict as exc:
            outcomes.append(exc)

    threads = [threading.Thread(target=secretary, args=(n,)) for n in (11, 12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert outcomes.count("ok") == 1
    conflict = next(o for o in outcomes if isinstance(o, Conflict))
    assert "already recorded" in conflict.message
    with sqlite_db.session() as s:
        assert s.scalar(select(func.count()).select_from(ItemResult)) == 1
        assert (
            s.scalar(
                select(func.count())
                .select_from(OutboxMessage)
                .where(OutboxMessage.event_type == "ResultRecorded")
            )
            == 1
        )
