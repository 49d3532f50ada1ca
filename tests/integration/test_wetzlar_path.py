"""The Wetzlar paper's path through the Hessen Beratungsfolge, on SQLite and PostgreSQL."""

from __future__ import annotations

from sqlalchemy import func, select

from tests.conftest import Database
from tests.scenario import Scenario
from workflow.models import AuditEvent, OutboxMessage
from workflow.queries import paper_status
from workflow.rules import VoteInput
from workflow.vocabulary import Outcome, PaperState


def test_beschlussvorlage_runs_from_magistrat_through_parallel_committees_to_the_assembly(
    db: Database,
) -> None:
    sc = Scenario(db.sessions)
    paper = sc.submitted_paper(committees=["sjs", "kfp"], financial_impact=True)
    assert paper.reference == "0001/13"
    steps = sc.steps(paper.id)
    assert [(k, s.stage, s.role) for k, s in steps.items()] == [
        ("magistrat", 1, "preliminary"),
        ("sjs", 2, "preliminary"),
        ("kfp", 2, "preliminary"),
        ("fwa", 3, "preliminary"),
        ("stvv", 4, "decision"),
    ]
    sc.deal_with(paper.id, "magistrat", "2013-09-30 09:00", Outcome.recommended, VoteInput(12, 0, 0))
    joint = sc.new_meeting(["sjs", "kfp"], "2013-10-28 17:00")
    sjs_item = sc.schedule(paper.id, "sjs", joint.id)
    kfp_item = sc.schedule(paper.id, "kfp", joint.id)
    sc.invite(joint.id)
    sc.attend(joint.id)
    sc.record(sjs_item.id, Outcome.recommended, VoteInput(9, 2, 2))
    sc.record(kfp_item.id, Outcome.not_recommended, VoteInput(5, 8, 0))
    sc.deal_with(paper.id, "fwa", "2013-11-12 17:00", Outcome.recommended, VoteInput(8, 3, 2))
    sc.deal_with(paper.id, "stvv", "2013-11-27 18:00", Outcome.adopted, VoteInput(40, 12, 7))

    final = sc.paper(paper.id)
    assert final.state == PaperState.adopted
    assert final.resolution_text == "Der Beschlussvorschlag."
    with db.session() as s:
        table = paper_status(s, paper.id).table()
        assert table == [
            ("Magistrat", "30.09.2013", "N 1", "Zustimmung empfohlen (einstimmig)"),
            (
                "Sozial-, Jugend- und Sportausschuss",
                "28.10.2013",
                "Ö 1",
                "Zustimmung empfohlen (9 Ja / 2 Nein / 2 Enthaltungen)",
            ),
            (
                "Kultur-, Freizeit- und Partnerschaftsausschuss",
                "28.10.2013",
                "Ö 2",
                "Ablehnung empfohlen (5 Ja / 8 Nein / 0 Enthaltungen)",
            ),
            (
                "Finanz- und Wirtschaftsausschuss",
                "12.11.2013",
                "Ö 1",
                "Zustimmung empfohlen (8 Ja / 3 Nein / 2 Enthaltungen)",
            ),
            (
                "Stadtverordnetenversammlung",
                "27.11.2013",
                "Ö 1",
                "beschlossen (40 Ja / 12 Nein / 7 Enthaltungen)",
            ),
        ]
        actions = [e.action for e in s.scalars(select(AuditEvent).where(AuditEvent.paper_id == paper.id))]
        assert actions.count("result.recorded") == 5
        assert (
            s.scalar(
                select(func.count())
                .select_from(OutboxMessage)
                .where(OutboxMessage.event_type == "PaperDecided")
            )
            == 1
        )
