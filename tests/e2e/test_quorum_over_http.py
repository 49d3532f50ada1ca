"""The quorum of a meeting over HTTP: the chair's finding at the opening and the formal finding of its lack are
recorded, the meeting's answer shows both and warns the secretary when fewer are present than it needs."""

from __future__ import annotations

from typing import Any

from httpx import Response

from tests.e2e.conftest import Api
from tests.scenario import Scenario
from workflow.rules import VoteInput
from workflow.vocabulary import Outcome, PaperKind

SECRETARY = "wetzlar-schrift-stvv"


def expect(response: Response, status: int) -> Any:
    assert response.status_code == status, response.text
    return response.json()


def test_the_quorum_is_established_then_its_lack_and_the_secretary_is_warned(api: Api) -> None:
    sc = Scenario(api.db.sessions, actor="Testvorbereitung")
    meeting = sc.new_meeting("stvv", "2013-11-27 18:00")
    items = [
        sc.schedule(sc.submitted_paper(kind=PaperKind.aenderungsantrag, subject=s).id, "stvv", meeting.id).id
        for s in ("Erste", "Zweite")
    ]
    sc.invite(meeting.id)
    members = sc.members("stvv")
    api.clock.set("2013-11-27 18:05")
    path = f"/wetzlar/meetings/{meeting.id}"
    expect(api.put(f"{path}/attendance", as_=SECRETARY, json={"present": members[:20]}), 200)
    refused = expect(api.post(f"{path}/quorum", as_=SECRETARY, json={"body": "stvv"}), 422)
    assert refused["error"] == "quorum_not_met"
    shown = expect(api.get(path, as_=SECRETARY), 200)["quorum"]
    assert shown[0]["warning"] == (
        "Stadtverordnetenversammlung: nur 20 stimmberechtigte Mitglieder anwesend, für die "
        "Beschlussfähigkeit nötig sind 30"
    )

    expect(api.put(f"{path}/attendance", as_=SECRETARY, json={"present": members}), 200)
    # Everyone is there, but without the chair's finding at the opening no decision is recorded.
    adopted = {"outcome": "adopted", "votes": [{"yes": 50, "no": 9}]}
    refused = expect(api.post(f"/wetzlar/agenda-items/{items[0]}/result", as_=SECRETARY, json=adopted), 422)
    assert (refused["error"], refused["details"]["rule"]) == ("quorum_not_met", "quorum_not_established")
    assert "(§ 53 Abs. 1 Satz 2 HGO)" in refused["message"]
    assert f"POST /api/v1/wetzlar/meetings/{meeting.id}/quorum" in refused["message"]
    (quorum,) = expect(api.post(f"{path}/quorum", as_=SECRETARY, json={"body": "stvv"}), 200)["quorum"]
    assert (quorum["established_present"], quorum["needed"], quorum["warning"]) == (59, 30, None)
    expect(api.post(f"{path}/quorum", as_=SECRETARY, json={"body": "stvv"}), 409)

    expect(api.put(f"{path}/attendance", as_=SECRETARY, json={"present": members[:20]}), 200)
    sc.record(items[0], Outcome.adopted, VoteInput(15, 5, 0))  # presumed quorate
    lack = {"body": "stvv", "from_item_id": items[1]}
    (quorum,) = expect(api.post(f"{path}/quorum/lack", as_=SECRETARY, json=lack), 200)["quorum"]
    assert quorum["lack_established_at"] is not None
    assert "gilt bis zur Feststellung der Beschlussunfähigkeit" in quorum["warning"]


def test_niedersachsen_a_decision_with_most_members_recused_waits_for_the_approval(api: Api) -> None:
    """§ 65 Abs. 3 NKomVG: the paper shows the pending approval until the office records it."""
    sc = Scenario(api.db.sessions, town="wilhelmshaven", actor="Testvorbereitung")
    paper = sc.submitted_paper(kind=PaperKind.aenderungsantrag, when="2023-05-02 10:00")
    meeting = sc.new_meeting("rat", "2023-06-21 16:00")
    item = sc.schedule(paper.id, "rat", meeting.id).id
    sc.invite(meeting.id)
    members = sc.attend(meeting.id)
    sc.record(item, Outcome.adopted, VoteInput(15, 5, 0), recused=dict.fromkeys(members[:23]))
    office, path = "wilhelmshaven-koordination", f"/wilhelmshaven/papers/{paper.id}"
    api.clock.set("2023-07-03 10:00")
    assert expect(api.get(path, as_=office), 200)["pending_approval"] == (
        "Genehmigung der Kommunalaufsichtsbehörde nach § 65 Abs. 3 NKomVG (Wortlaut nicht geprüft)"
    )
    reference = {"reference": "Genehmigung des Innenministeriums vom 30.06.2023, Az. 32.11"}
    assert expect(api.post(f"{path}/approval", as_=office, json=reference), 200)["pending_approval"] is None
    assert expect(api.post(f"{path}/approval", as_=office, json=reference), 422)["error"] == "rule_violation"
