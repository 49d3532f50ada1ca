"""The Wetzlar Vorlage 1562/13, its whole life over HTTP, on SQLite and PostgreSQL.

The coordination office drafts the paper for the Koordinationsbüro (kbs) with its Aktenzeichen, an
attachment and the Kämmerei as co-signer, co-signs in the Kämmerei's place (it has no login of its own),
plans the Beratungsfolge, submits it and runs the meetings. The secretaries of the Magistrat, of the two
committees meeting jointly on 28.10.2013 (SJS and KFP), of the FWA and of the Stadtverordnetenversammlung
record attendance and results. At the end, one call says where the paper stands and another gives its
complete history.

The walk runs once per backend (a module-scoped fixture); the tests look at what it left. Person ids for
attendance, recusals and named votes are looked up in the database: the API has no list of persons.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import pytest
from httpx import Response

from tests.e2e.conftest import Api
from tests.scenario import Scenario

OFFICE = "wetzlar-koordination"
DEPARTMENT = "wetzlar-fachamt"  # the Koordinationsbüro (kbs)
SUBJECT = (
    "Integriertes Handlungskonzept zur Integration von Menschen mit Migrationshintergrund "
    "in der Stadt Wetzlar"
)
RESOLUTION = (
    "Die Integrationsarbeit der Stadt Wetzlar wird auf der Grundlage des beigefügten Integrierten "
    "Handlungskonzepts weiterentwickelt."
)
JUSTIFICATION = (
    "Wetzlar wurde 2009 als einer von sechs hessischen Standorten der „Modellregion Integration“ ausgewählt. "
    "Das Handlungskonzept bündelt die Integrationsarbeit von Verwaltung, Trägern und Migrantenvereinen."
)


def secretary(body: str) -> str:
    return f"wetzlar-schrift-{body}"


@dataclass
class Life:
    """What the walk through the paper's life created, for the assertions at the end."""

    paper_id: int = 0
    meetings: dict[str, int] = field(default_factory=dict)  # body key (or "joint") → meeting id
    items: dict[str, int] = field(default_factory=dict)  # body key → agenda item id
    persons: dict[str, int] = field(default_factory=dict)  # person key → id


def expect(response: Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    return body


def waiting_step(api: Api, body: str, paper_id: int) -> int:
    """The paper's step in the body's waiting list (what the office builds the agenda from)."""
    waiting = api.get(f"/wetzlar/bodies/{body}/waiting", as_=OFFICE)
    assert waiting.status_code == 200, waiting.text
    steps = [w["consultation_id"] for w in waiting.json() if w["paper_id"] == paper_id]
    assert len(steps) == 1, waiting.json()
    return int(steps[0])


def prepare_meeting(
    api: Api, life: Life, key: str, bodies: list[str], start: str, *, plain_item: str | None = None
) -> dict[str, Any]:
    """Create the meeting, put the paper's steps of ``bodies`` on its agenda and invite."""
    meeting = expect(
        api.post(
            "/wetzlar/meetings",
            as_=OFFICE,
            json={"bodies": bodies, "start": start, "location": "Neues Rathaus, Sitzungssaal"},
        ),
        201,
    )
    assert meeting["state"] == "planned"
    life.meetings[key] = meeting["id"]
    if plain_item:
        expect(
            api.post(
                f"/wetzlar/meetings/{meeting['id']}/agenda-items",
                as_=OFFICE,
                json={"title": plain_item, "public": True},
            ),
            201,
        )
    for body in bodies:
        step = waiting_step(api, body, life.paper_id)
        agenda = expect(
            api.post(
                f"/wetzlar/meetings/{meeting['id']}/agenda-items", as_=OFFICE, json={"consultation_id": step}
            ),
            201,
        )
        (item,) = [i for i in agenda["agenda_items"] if i["consultation_id"] == step]
        life.items[body] = item["id"]
    api.clock.advance(dt.timedelta(days=1))  # the invitation goes out the next day
    invited = expect(api.post(f"/wetzlar/meetings/{meeting['id']}/invitation", as_=OFFICE, json={}), 200)
    assert invited["state"] == "invited"
    assert invited["invitation_sent_at"] is not None
    return invited


def attend(api: Api, life: Life, key: str, who: str, present: list[int], excused: list[int]) -> None:
    meeting = expect(
        api.put(
            f"/wetzlar/meetings/{life.meetings[key]}/attendance",
            as_=who,
            json={"present": present, "excused": excused},
        ),
        200,
    )
    assert meeting["state"] == "held"
    path = f"/wetzlar/meetings/{life.meetings[key]}/quorum"
    for body in [q["body"] for q in meeting["quorum"]]:  # the chair establishes each quorum at the opening
        quorum = expect(api.post(path, as_=who, json={"body": body}), 200)["quorum"]
        assert next(q for q in quorum if q["body"] == body)["established_at"] is not None


def record(api: Api, life: Life, body: str, result: dict[str, Any]) -> dict[str, Any]:
    """The body's secretary records the result of the paper's item."""
    return expect(
        api.post(f"/wetzlar/agenda-items/{life.items[body]}/result", as_=secretary(body), json=result), 201
    )


def live_through(api: Api) -> Life:
    """Draft → co-sign → plan → submit → Magistrat → SJS and KFP jointly → FWA → StVV adopts."""
    life = Life()
    sc = Scenario(api.db.sessions)
    members = {body: sc.members(body) for body in ("magistrat", "sjs", "kfp", "fwa", "stvv")}
    names = ("guenther", "klein", "baumann", "berger", "otto", "vogel", "wolff", "schroeder")
    life.persons = {key: sc.person_id(key) for key in names}
    clock = api.clock

    # ---- 12.07.2013: the draft, by the coordination office for the Koordinationsbüro
    clock.set("2013-07-12 10:00")
    draft = expect(
        api.post(
            "/wetzlar/papers",
            as_=OFFICE,
            json={
                "kind": "beschlussvorlage",
                "department": "kbs",
                "subject": SUBJECT,
                "paper_date": "2013-07-12",
                "file_reference": "I/351",
                "proposed_resolution": RESOLUTION,
                "justification": JUSTIFICATION,
                "financial_impact": True,
                "attachments": [
                    {
                        "title": "Integriertes Handlungskonzept der Stadt Wetzlar",
                        "file_name": "Handlungskonzept.pdf",
                        "media_type": "application/pdf",
                        "size_bytes": 2_400_000,
                    }
                ],
                "cosigners": ["kaemmerei"],
                "signatory": "dette",
                "signed_place": "Wetzlar",
            },
        ),
        201,
    )
    life.paper_id = paper = draft["id"]
    assert draft["state"] == "draft"
    assert draft["reference"] is None
    assert draft["file_reference"] == "I/351"
    assert draft["department"]["key"] == "kbs"
    assert [a["title"] for a in draft["attachments"]] == ["Integriertes Handlungskonzept der Stadt Wetzlar"]
    assert [(c["department"]["key"], c["required"], c["signed_at"]) for c in draft["cosignatures"]] == [
        ("kaemmerei", True, None)
    ]
    assert "submit" not in draft["allowed_transitions"]  # the Kämmerei has not co-signed yet
    # Submitting before the Mitzeichnung is an illegal transition.
    refused = api.post(f"/wetzlar/papers/{paper}/submission", as_=OFFICE)
    assert refused.status_code == 409, refused.text
    assert refused.json()["error"] == "transition_not_allowed"

    # ---- August: Mitzeichnung by the Kämmerei; the office signs in its place, the Fachamt may not
    clock.set("2013-08-19 09:00")
    cosigning = expect(api.post(f"/wetzlar/papers/{paper}/cosignature-request", as_=OFFICE), 200)
    assert cosigning["state"] == "cosigning"
    other = api.post(
        f"/wetzlar/papers/{paper}/cosignatures", as_=DEPARTMENT, json={"department": "kaemmerei"}
    )
    assert other.status_code == 403, other.text
    clock.set("2013-08-20 11:30")
    signed = expect(
        api.post(
            f"/wetzlar/papers/{paper}/cosignatures",
            as_=OFFICE,
            json={"department": "kaemmerei", "comment": "Haushaltsmittel stehen zur Verfügung."},
        ),
        200,
    )
    (cosignature,) = signed["cosignatures"]
    assert cosignature["signed_at"] is not None
    assert cosignature["signed_by"].startswith(OFFICE)
    assert "submit" in signed["allowed_transitions"]

    # ---- Beratungsfolge: the profile's default with the two committees; financial impact adds the FWA
    planned = expect(
        api.put(f"/wetzlar/papers/{paper}/beratungsfolge", as_=OFFICE, json={"committees": ["sjs", "kfp"]}),
        200,
    )
    assert [(s["body"]["key"], s["stage"], s["role"], s["state"]) for s in planned["consultations"]] == [
        ("magistrat", 1, "preliminary", "planned"),
        ("sjs", 2, "preliminary", "planned"),
        ("kfp", 2, "preliminary", "planned"),
        ("fwa", 3, "preliminary", "planned"),
        ("stvv", 4, "decision", "planned"),
    ]

    # ---- 10.09.2013: submitted; the demo municipality has no counter preset, so it is the year's first
    clock.set("2013-09-10 10:00")
    submitted = expect(api.post(f"/wetzlar/papers/{paper}/submission", as_=OFFICE), 200)
    assert submitted["state"] == "submitted"
    assert submitted["reference"] == "0001/13"
    assert submitted["signed_on"] == "2013-09-10"
    assert submitted["signed_place"] == "Wetzlar"

    # ---- Magistrat, 30.09.2013 (non-public by default: the paper is TOP N 1)
    clock.set("2013-09-12 09:00")
    magistrat = prepare_meeting(
        api,
        life,
        "magistrat",
        ["magistrat"],
        "2013-09-30T09:00:00+02:00",
        plain_item="Mitteilungen des Oberbürgermeisters",
    )
    assert [(i["number"], i["public"]) for i in magistrat["agenda_items"]] == [("Ö 1", True), ("N 1", False)]
    clock.set("2013-09-30 09:05")
    excused = [life.persons["guenther"]]
    attend(
        api,
        life,
        "magistrat",
        secretary("magistrat"),
        [p for p in members["magistrat"] if p not in excused],
        excused,
    )
    result = record(
        api, life, "magistrat", {"outcome": "recommended", "votes": [{"yes": 10, "no": 0, "abstain": 1}]}
    )
    assert result["outcome_wording"] == "Zustimmung empfohlen"
    assert result["votes"][0]["summary"] == "ohne Gegenstimmen bei 1 Enthaltung"
    assert result["recorded_by"].startswith(secretary("magistrat"))

    # ---- SJS and KFP, jointly on 28.10.2013 (after the change to winter time)
    clock.set("2013-10-01 09:00")
    joint = prepare_meeting(api, life, "joint", ["sjs", "kfp"], "2013-10-28T17:00:00+01:00")
    assert [(i["number"], i["public"]) for i in joint["agenda_items"]] == [("Ö 1", True), ("Ö 2", True)]
    assert {b["key"] for b in joint["bodies"]} == {"sjs", "kfp"}
    clock.set("2013-10-28 17:05")
    attend(api, life, "joint", secretary("sjs"), members["sjs"] + members["kfp"], [])
    # The SJS secretary keeps the minutes of the joint meeting, but records only the SJS's own item.
    not_mine = api.post(
        f"/wetzlar/agenda-items/{life.items['kfp']}/result",
        as_=secretary("sjs"),
        json={"outcome": "not_recommended", "votes": [{"yes": 5, "no": 8}]},
    )
    assert not_mine.status_code == 403, not_mine.text
    sjs = record(
        api,
        life,
        "sjs",
        {
            "outcome": "recommended",
            "votes": [
                {
                    "yes": 9,
                    "no": 2,
                    "abstain": 2,
                    "factions": [
                        {"faction": "spd", "yes": 4},
                        {"faction": "cdu", "yes": 2, "no": 1, "abstain": 1},
                        {"faction": "gruene", "yes": 2},
                        {"faction": "fw", "yes": 1},
                        {"faction": "fdp", "abstain": 1},
                        {"faction": "linke", "no": 1},
                    ],
                }
            ],
        },
    )
    assert sjs["votes"][0]["factions"] == {
        "spd": [4, 0, 0],
        "cdu": [2, 1, 1],
        "gruene": [2, 0, 0],
        "fw": [1, 0, 0],
        "fdp": [0, 0, 1],
        "linke": [0, 1, 0],
    }
    record(
        api,
        life,
        "kfp",
        {
            "outcome": "not_recommended",
            "votes": [
                {
                    "yes": 5,
                    "no": 8,
                    "factions": [
                        {"faction": "spd", "no": 4},
                        {"faction": "cdu", "yes": 4},
                        {"faction": "gruene", "no": 2},
                        {"faction": "fw", "yes": 1},
                        {"faction": "fdp", "no": 1},
                        {"faction": "linke", "no": 1},
                    ],
                }
            ],
        },
    )

    # ---- FWA, 12.11.2013: a substitute sits in, one member has their vote minuted by name
    clock.set("2013-10-29 09:00")
    prepare_meeting(api, life, "fwa", ["fwa"], "2013-11-12T17:00:00+01:00")
    clock.set("2013-11-12 17:05")
    absent, substitute = life.persons["klein"], life.persons["baumann"]
    attend(
        api,
        life,
        "fwa",
        secretary("fwa"),
        [p for p in members["fwa"] if p != absent] + [substitute],
        [absent],
    )
    berger = life.persons["berger"]
    fwa = record(
        api,
        life,
        "fwa",
        {
            "outcome": "recommended",
            "votes": [{"yes": 8, "no": 3, "abstain": 2, "named": {str(berger): "no"}}],
        },
    )
    assert fwa["votes"][0]["named"] == {str(berger): "no"}
    assert substitute in fwa["present"]
    assert absent not in fwa["present"]

    # ---- Stadtverordnetenversammlung, 27.11.2013: an amendment, then the main motion; one recusal
    clock.set("2013-11-13 09:00")
    prepare_meeting(api, life, "stvv", ["stvv"], "2013-11-27T18:00:00+01:00")
    clock.set("2013-11-27 18:05")
    away = [life.persons["vogel"], life.persons["wolff"]]
    attend(api, life, "stvv", secretary("stvv"), [p for p in members["stvv"] if p not in away], away)
    otto, schroeder = life.persons["otto"], life.persons["schroeder"]
    stvv = record(
        api,
        life,
        "stvv",
        {
            "outcome": "adopted",
            "recused": [{"person_id": otto, "reason": "§ 25 HGO: Vorstand eines beteiligten Trägervereins"}],
            "votes": [
                {"subject": "Änderungsantrag der Fraktion Die Linke", "yes": 3, "no": 50, "abstain": 2},
                {
                    "subject": "Beschlussvorschlag",
                    "yes": 40,
                    "no": 12,
                    "abstain": 3,
                    "factions": [
                        {"faction": "spd", "yes": 16},
                        {"faction": "cdu", "yes": 12, "no": 4, "abstain": 2},
                        {"faction": "gruene", "yes": 10},
                        {"faction": "fw", "yes": 2, "no": 3},
                        {"faction": "fdp", "no": 3},
                        {"faction": "linke", "no": 2, "abstain": 1},
                    ],
                    "named": {str(schroeder): "abstain"},
                },
            ],
        },
    )
    assert stvv["outcome"] == "adopted"
    assert stvv["recused"] == [otto]
    assert otto not in stvv["present"]
    assert [(v["position"], v["decisive"], v["summary"]) for v in stvv["votes"]] == [
        (0, False, "3 Ja / 50 Nein / 2 Enthaltungen"),
        (1, True, "40 Ja / 12 Nein / 3 Enthaltungen"),
    ]
    return life


@pytest.fixture(scope="module")
def lived(module_api: Api) -> tuple[Api, Life]:
    """The paper's whole life, walked once per backend; the tests below look at what it left."""
    return module_api, live_through(module_api)


def test_the_wetzlar_paper_lives_from_draft_to_adopted_over_http(lived: tuple[Api, Life]) -> None:
    api, life = lived

    paper = expect(api.get(f"/wetzlar/papers/{life.paper_id}", as_=OFFICE), 200)
    assert paper["state"] == "adopted"
    assert paper["reference"] == "0001/13"
    assert paper["resolution_text"] == RESOLUTION
    assert paper["decided_at"].startswith("2013-11-27")
    assert paper["allowed_transitions"] == []
    assert {s["state"] for s in paper["consultations"]} == {"dealt_with"}

    # The public sees it too: a public paper, submitted.
    public = expect(api.get(f"/wetzlar/papers/{life.paper_id}"), 200)
    assert public["state"] == "adopted"


def test_the_public_status_shows_no_outcome_of_a_step_dealt_with_on_a_non_public_top(
    lived: tuple[Api, Life],
) -> None:
    api, life = lived
    public = expect(api.get(f"/wetzlar/papers/{life.paper_id}/status"), 200)
    magistrat = next(step for step in public["steps"] if step["body"] == "Magistrat")
    assert (magistrat["outcome"], magistrat["outcome_wording"], magistrat["appearances"]) == (None, None, [])
    assert "Zustimmung empfohlen" not in str(magistrat)
    office = expect(api.get(f"/wetzlar/papers/{life.paper_id}/status", as_=OFFICE), 200)
    seen = next(step for step in office["steps"] if step["body"] == "Magistrat")
    assert (seen["outcome"], seen["outcome_wording"]) == ("recommended", "Zustimmung empfohlen")


def test_the_status_shows_every_step_with_its_meeting_top_and_result(lived: tuple[Api, Life]) -> None:
    api, life = lived

    status = expect(api.get(f"/wetzlar/papers/{life.paper_id}/status", as_=OFFICE), 200)
    assert status["reference"] == "0001/13"
    assert status["state"] == "adopted"
    assert status["current"] == []
    rows = [
        (
            step["body"],
            step["stage"],
            step["state"],
            step["outcome"],
            [
                (a["meeting_id"], a["agenda_item_id"], a["agenda_number"], a["result_text"])
                for a in step["appearances"]
            ],
        )
        for step in status["steps"]
    ]
    m, i = life.meetings, life.items
    assert rows == [
        (
            "Magistrat",
            1,
            "dealt_with",
            "recommended",
            [
                (
                    m["magistrat"],
                    i["magistrat"],
                    "N 1",
                    "Zustimmung empfohlen (ohne Gegenstimmen bei 1 Enthaltung)",
                )
            ],
        ),
        (
            "Sozial-, Jugend- und Sportausschuss",
            2,
            "dealt_with",
            "recommended",
            [(m["joint"], i["sjs"], "Ö 1", "Zustimmung empfohlen (9 Ja / 2 Nein / 2 Enthaltungen)")],
        ),
        (
            "Kultur-, Freizeit- und Partnerschaftsausschuss",
            2,
            "dealt_with",
            "not_recommended",
            [(m["joint"], i["kfp"], "Ö 2", "Ablehnung empfohlen (5 Ja / 8 Nein / 0 Enthaltungen)")],
        ),
        (
            "Finanz- und Wirtschaftsausschuss",
            3,
            "dealt_with",
            "recommended",
            [(m["fwa"], i["fwa"], "Ö 1", "Zustimmung empfohlen (8 Ja / 3 Nein / 2 Enthaltungen)")],
        ),
        (
            "Stadtverordnetenversammlung",
            4,
            "dealt_with",
            "adopted",
            [(m["stvv"], i["stvv"], "Ö 1", "beschlossen (40 Ja / 12 Nein / 3 Enthaltungen)")],
        ),
    ]
    starts = [step["appearances"][0]["meeting_start"][:10] for step in status["steps"]]
    assert starts == ["2013-09-30", "2013-10-28", "2013-10-28", "2013-11-12", "2013-11-27"]

    # The public sees the same table without the Magistrat's non-public TOP.
    public = expect(api.get(f"/wetzlar/papers/{life.paper_id}/status"), 200)
    assert [len(step["appearances"]) for step in public["steps"]] == [0, 1, 1, 1, 1]

    # Each result can be read on its own, faction counts by faction key.
    stvv = expect(api.get(f"/wetzlar/agenda-items/{life.items['stvv']}/result"), 200)
    assert stvv["votes"][1]["factions"] == {
        "spd": [16, 0, 0],
        "cdu": [12, 4, 2],
        "gruene": [10, 0, 0],
        "fw": [2, 3, 0],
        "fdp": [0, 3, 0],
        "linke": [0, 2, 1],
    }
    assert stvv["votes"][1]["named"] == {str(life.persons["schroeder"]): "abstain"}
    assert stvv["recused"] == [life.persons["otto"]]


def test_the_history_is_the_complete_timeline_of_the_paper(lived: tuple[Api, Life]) -> None:
    api, life = lived

    history = expect_list(api.get(f"/wetzlar/papers/{life.paper_id}/history", as_=OFFICE))
    actions = [(e["action"], e["actor"].split(" ")[0]) for e in history]
    assert actions == [
        ("paper.drafted", OFFICE),
        ("paper.cosigning_requested", OFFICE),
        ("paper.cosigned", OFFICE),
        ("paper.planned", OFFICE),
        ("paper.submitted", OFFICE),
        ("consultation.scheduled", OFFICE),
        ("paper.begin_deliberation", OFFICE),
        ("consultation.invited", OFFICE),
        ("result.recorded", secretary("magistrat")),
        ("consultation.dealt_with", secretary("magistrat")),
        ("consultation.scheduled", OFFICE),
        ("consultation.scheduled", OFFICE),
        ("consultation.invited", OFFICE),
        ("consultation.invited", OFFICE),
        ("result.recorded", secretary("sjs")),
        ("consultation.dealt_with", secretary("sjs")),
        ("result.recorded", secretary("kfp")),
        ("consultation.dealt_with", secretary("kfp")),
        ("consultation.scheduled", OFFICE),
        ("consultation.invited", OFFICE),
        ("result.recorded", secretary("fwa")),
        ("consultation.dealt_with", secretary("fwa")),
        ("consultation.scheduled", OFFICE),
        ("consultation.invited", OFFICE),
        ("result.recorded", secretary("stvv")),
        ("consultation.dealt_with", secretary("stvv")),
        ("paper.adopt", secretary("stvv")),
    ]
    moments = [e["occurred_at"] for e in history]
    assert moments == sorted(moments)
    assert moments[0].startswith("2013-07-12")
    assert moments[-1].startswith("2013-11-27")
    submitted = next(e for e in history if e["action"] == "paper.submitted")
    assert submitted["before"]["state"] == "cosigning"
    assert submitted["after"]["state"] == "submitted"
    assert submitted["after"]["reference"] == "0001/13"
    decided = [e for e in history if e["action"] == "result.recorded"][-1]
    assert decided["after"]["outcome"] == "adopted"
    assert decided["after"]["recused"] == {
        str(life.persons["otto"]): "§ 25 HGO: Vorstand eines beteiligten Trägervereins"
    }
    assert [v["yes"] for v in decided["after"]["votes"]] == [3, 40]
    # A secretary and a council member may read the history too.
    assert api.get(f"/wetzlar/papers/{life.paper_id}/history", as_=secretary("stvv")).json() == history
    assert api.get(f"/wetzlar/papers/{life.paper_id}/history", as_="wetzlar-mitglied").json() == history


def expect_list(response: Response) -> list[dict[str, Any]]:
    assert response.status_code == 200, response.text
    body: list[dict[str, Any]] = response.json()
    return body


def test_the_history_shows_when_each_step_was_invited(lived: tuple[Api, Life]) -> None:
    api, life = lived
    history = expect_list(api.get(f"/wetzlar/papers/{life.paper_id}/history", as_=OFFICE))
    moments = {e["occurred_at"] for e in history}
    for meeting_id in life.meetings.values():
        meeting = expect(api.get(f"/wetzlar/meetings/{meeting_id}", as_=OFFICE), 200)
        assert meeting["invitation_sent_at"] in moments, meeting["name"]
