"""The paper page of an urgent decision the Hessen mayor took in place of the Magistrat (§ 70 Abs. 3 HGO): the
public learns that it was decided without a meeting, not what or why; the office reads both."""

from __future__ import annotations

import datetime as dt

from api.web import links
from tests.e2e.conftest import Api
from tests.scenario import Scenario, berlin
from tests.web.conftest import page_login
from workflow import papers, planning, urgent
from workflow.models import Paper
from workflow.vocabulary import PaperKind

REASON = "Die Vergabe muss bis Freitag erteilt sein; der Magistrat tagt erst in zwei Wochen."


def test_the_page_of_a_mayors_urgent_decision(api: Api) -> None:
    sc = Scenario(api.db.sessions, actor="Testvorbereitung")
    now = berlin("2013-09-10 10:00")
    paper = papers.draft_paper(
        sc.sessions,
        actor=sc.actor,
        municipality="wetzlar",
        kind=PaperKind.beschlussvorlage,
        department="kbs",
        subject="Eilvergabe Notunterkunft",
        paper_date=now.date(),
        proposed_resolution="Der Auftrag wird vergeben.",
        now=now,
    )
    planning.plan_consultations(sc.sessions, actor=sc.actor, paper_id=paper.id, urgent_reason=REASON, now=now)
    papers.submit_paper(sc.sessions, actor=sc.actor, paper_id=paper.id, now=now)
    urgent.record_mayor_decision(
        sc.sessions,
        actor=sc.actor,
        paper_id=paper.id,
        mayor=sc.person_id("dette"),
        member=None,
        reason="Der Magistrat ist nicht beschlussfähig zu versammeln.",
        decided_on=dt.date(2013, 9, 11),
        now=berlin("2013-09-11 12:00"),
    )
    with api.db.sessions() as s:
        url = links.paper("wetzlar", s.get_one(Paper, paper.id))
    api.clock.set("2013-09-12 09:00")

    public = api.client.get(url).text
    assert "Ohne Sitzung entschieden (nichtöffentlich)." in public
    assert REASON not in public
    assert "Dette" not in public

    page_login(api.client, "wetzlar-koordination")
    office = api.client.get(url).text
    assert f"Dringlich: {REASON}" in office
    assert (
        "Ohne Sitzung entschieden am 11.09.2013 von Wolfram Dette: beschlossen (Eilentscheidung des Bürgermeisters)."
        in office
    )
