"""Urgent decisions over HTTP (§ 60 Abs. 1 GO NRW, Duisburg): the office plans the urgent procedure with its
reason, records the mayor's decision with a Ratsmitglied, and the paper's status shows who decided, why and
that the Rat's approval is planned; bad input gets a German message naming the rule."""

from __future__ import annotations

from typing import Any

from httpx import Response

from tests.e2e.conftest import Api
from tests.scenario import Scenario, berlin
from workflow import papers
from workflow.vocabulary import PaperKind

OFFICE = "duisburg-koordination"
REASON = "Der Zuwendungsbescheid verfällt am 05.02.; Rat und Hauptausschuss tagen erst im März."


def expect(response: Response, status: int) -> Any:
    assert response.status_code == status, response.text
    return response.json()


def test_the_mayor_decides_urgently_and_the_status_shows_it(api: Api) -> None:
    sc = Scenario(api.db.sessions, town="duisburg", actor="Testvorbereitung")
    now = berlin("2007-02-01 10:00")
    paper = papers.draft_paper(
        sc.sessions,
        actor=sc.actor,
        municipality="duisburg",
        kind=PaperKind.beschlussvorlage,
        department="integration",
        subject="Zuwendung Sprachkurse",
        paper_date=now.date(),
        proposed_resolution="Die Zuwendung wird angenommen.",
        now=now,
    ).id
    api.clock.set("2007-02-01 10:05")
    path = f"/duisburg/papers/{paper}"
    hfa_decides = {"stages": [[{"body": "hfa", "role": "decision"}]]}
    refused = expect(api.put(f"{path}/beratungsfolge", as_=OFFICE, json=hfa_decides), 422)
    assert "§ 60 Abs. 1 Satz 1 GO NRW" in refused["details"]["german"]
    planned = expect(api.put(f"{path}/beratungsfolge", as_=OFFICE, json={"urgent_reason": REASON}), 200)
    assert [(s["body"]["key"], s["role"], s["urgency"]) for s in planned["consultations"]] == [
        ("hfa", "decision", "decision"),
        ("rat", "approval", "follow_up"),
    ]
    assert planned["consultations"][0]["urgency_reason"] == REASON
    expect(api.post(f"{path}/submission", as_=OFFICE), 200)

    decision = {
        "mayor": "richter",
        "reason": "Auch der HFA kann nicht rechtzeitig tagen.",
        "decided_on": "2007-02-02",
    }
    alone = expect(api.post(f"{path}/urgent-decision", as_=OFFICE, json=decision), 422)
    assert "§ 60 Abs. 1 Satz 2 GO NRW" in alone["details"]["german"]
    assert "Ratsmitglied" in alone["details"]["german"]
    expect(api.post(f"{path}/urgent-decision", as_=OFFICE, json={**decision, "member": "niemand"}), 404)
    expect(
        api.post(f"{path}/urgent-decision", as_="duisburg-fachamt", json={**decision, "member": "beck"}), 403
    )
    decided = expect(
        api.post(f"{path}/urgent-decision", as_=OFFICE, json={**decision, "member": "beck"}), 200
    )
    assert decided["state"] == "adopted"

    status = expect(api.get(f"{path}/status", as_=OFFICE), 200)
    hfa, rat = status["steps"]
    assert (hfa["urgency"], hfa["urgency_reason"], hfa["decided_on"], hfa["decided_by"]) == (
        "decision",
        REASON,
        "2007-02-02",
        "Stefan Richter mit Dr. Günter Beck",
    )
    assert (rat["role"], rat["state"], rat["urgency"]) == ("Genehmigung", "planned", "follow_up")
    assert [s["body"] for s in status["current"]] == ["Rat der Stadt Duisburg"]
