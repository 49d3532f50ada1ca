"""A decision of the Wetzlar Magistrat without a meeting (Umlaufverfahren, § 67 Abs. 1 Satz 3 HGO) over HTTP:
the office starts it, every member answers with their own login, and the outcome shows where results show —
to those who may see the Magistrat's non-public matters; the public and OParl see no outcome, as for a
Magistrat meeting."""

from __future__ import annotations

from typing import Any

from httpx import Response

from gremienlauf.demo_users import DEMO_PASSWORD
from tests.e2e.conftest import Api
from tests.scenario import Scenario, berlin
from workflow.access import Role, add_user
from workflow.models import Person

OFFICE = "wetzlar-koordination"


def expect(response: Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    return body


def expect_list(response: Response, status: int) -> list[dict[str, Any]]:
    assert response.status_code == status, response.text
    body: list[dict[str, Any]] = response.json()
    return body


def test_the_magistrat_decides_in_writing_over_http(api: Api) -> None:
    sc = Scenario(api.db.sessions)
    paper = sc.submitted_paper(decided_by="magistrat", subject="Umlauf über HTTP")
    step = sc.steps(paper.id)["magistrat"].id
    members = sc.members("magistrat")
    with api.db.sessions() as s:
        keys = {p: s.get_one(Person, p).key for p in members}
    for key in keys.values():
        add_user(
            api.db.sessions,
            municipality="wetzlar",
            username=f"mag-{key}",
            password=DEMO_PASSWORD,
            role=Role.council_member,
            person=key,
            now=berlin("2013-07-01 10:00"),
        )
    api.clock.set("2013-09-11 09:00")
    path = f"/wetzlar/consultations/{step}/circulation"
    assert api.post(path, json={"simple_matter": True}).status_code == 401
    assert api.post(path, as_="wetzlar-fachamt", json={"simple_matter": True}).status_code == 403
    refused = expect(api.post(path, as_=OFFICE, json={}), 422)
    assert refused["details"]["rule"] == "circulation_simple_matters_only"
    assert "§ 67 Abs. 1 Satz 3 HGO" in refused["details"]["german"]
    started = expect(api.post(path, as_=OFFICE, json={"simple_matter": True}), 201)
    assert (started["state"], started["resolution_text"]) == ("running", "Der Beschlussvorschlag.")
    assert sorted(a["person_id"] for a in started["answers"]) == sorted(members)
    answers = f"/wetzlar/circulations/{started['id']}/answers"

    assert api.post(answers, as_="wetzlar-mitglied", json={"answer": "yes"}).status_code == 403
    assert api.post(answers, json={"answer": "yes"}).status_code == 401
    assert api.post(answers, as_=OFFICE, json={"answer": "yes"}).status_code == 403
    first = f"mag-{keys[members[0]]}"
    waiting = expect_list(api.get("/wetzlar/circulations/awaiting", as_=first), 200)
    assert [c["id"] for c in waiting] == [started["id"]]
    assert expect_list(api.get("/wetzlar/circulations/awaiting", as_="wetzlar-mitglied"), 200) == []
    assert api.get("/wetzlar/circulations/awaiting", as_=OFFICE).status_code == 403
    assert api.post(answers, as_=first, json={"answer": "perhaps"}).status_code == 422
    expect(api.post(answers, as_=first, json={"answer": "yes"}), 200)
    assert expect_list(api.get("/wetzlar/circulations/awaiting", as_=first), 200) == []
    twice = expect(api.post(answers, as_=first, json={"answer": "no"}), 409)
    assert twice["details"]["rule"] == "circulation_answered_twice"
    for person in members[1:]:
        api.clock.advance(berlin("2013-09-11 10:00") - berlin("2013-09-11 09:00"))
        last = expect(api.post(answers, as_=f"mag-{keys[person]}", json={"answer": "yes"}), 200)
    assert last["state"] == "decided"
    assert (last["result"]["outcome"], last["result"]["agenda_item_id"]) == ("adopted", None)
    assert last["result"]["votes"][0]["unanimous"] is True

    office = expect(api.get(f"/wetzlar/papers/{paper.id}/status", as_=OFFICE), 200)
    assert office["state"] == "adopted"
    magistrat = office["steps"][0]
    assert (magistrat["outcome"], magistrat["circulations"][0]["votes"]) == ("adopted", "einstimmig")
    member = expect(api.get(f"/wetzlar/papers/{paper.id}/status", as_=first), 200)
    assert member["steps"][0]["outcome"] == "adopted"
    # The public: the paper's state is public as for a meeting's decision, the Magistrat's private
    # deliberation (its outcome, the votes, the answers) is not.
    public = expect(api.get(f"/wetzlar/papers/{paper.id}/status"), 200)
    assert (public["steps"][0]["outcome"], public["steps"][0]["circulations"]) == (None, [])
    assert api.get(f"/wetzlar/circulations/{started['id']}").status_code == 404
    assert api.get(f"/wetzlar/circulations/{started['id']}", as_="wetzlar-mitglied").status_code == 404
    assert expect(api.get(f"/wetzlar/circulations/{started['id']}", as_=first), 200)["state"] == "decided"

    oparl = api.client.get(f"/oparl/v1/paper/{paper.id}").json()
    consultation = oparl["consultation"][0]
    assert "gremienlauf:outcome" not in consultation
    assert "gremienlauf:withoutMeeting" not in consultation
    assert "gremienlauf:resolutionText" not in oparl
    assert "Der Beschlussvorschlag." not in str(consultation)


def test_nrw_refuses_over_http_naming_the_go_nrw(api: Api) -> None:
    sc = Scenario(api.db.sessions, town="duisburg")
    paper = sc.submitted_paper(decided_by="hfa", when="2007-01-15 10:00")
    step = sc.steps(paper.id)["hfa"].id
    api.clock.set("2007-01-16 10:00")
    refused = expect(
        api.post(
            f"/duisburg/consultations/{step}/circulation",
            as_="duisburg-koordination",
            json={"simple_matter": True},
        ),
        422,
    )
    assert refused["details"]["rule"] == "circulation_not_provided"
    assert "GO NRW" in refused["details"]["german"]
