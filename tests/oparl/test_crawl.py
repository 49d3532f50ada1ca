"""OParl 1.1 as a client sees it: a crawl from the System through every link of the demo municipalities.

Every object (embedded ones included) is checked against the official 1.1.1 schemas and the spec's prose;
nothing non-public may appear anywhere, in any list, link or embedded object.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import select

from tests.oparl.conftest import BASE, Published
from tests.oparl.crawler import Crawl, type_name
from tests.oparl.schemas import OparlSchemas
from tests.oparl.world import hidden_paths
from workflow.models import Consultation


@pytest.fixture(scope="module")
def crawl(published: Published) -> Crawl:
    return Crawl(published.client, None, BASE).run(f"{BASE}/system")


def test_the_crawl_from_the_system_reaches_every_kind_of_object(crawl: Crawl) -> None:
    kinds = {type_name(obj) for obj in crawl.objects.values()}
    assert kinds == {
        "System",
        "Body",
        "Organization",
        "Person",
        "Membership",
        "Meeting",
        "AgendaItem",
        "Paper",
        "Consultation",
        "File",
        "Location",
        "LegislativeTerm",
    }
    bodies = [obj for obj in crawl.objects.values() if type_name(obj) == "Body"]
    assert sorted(b["shortName"] for b in bodies) == ["Duisburg", "Wetzlar", "Wilhelmshaven"]


def test_every_object_keeps_the_rules_of_the_spec_and_its_copies_agree(crawl: Crawl) -> None:
    assert crawl.problems == []


def test_every_object_matches_the_oparl_schemas_embedded_ones_included(
    published: Published, schemas: OparlSchemas
) -> None:
    checked = Crawl(published.client, schemas, BASE).run(f"{BASE}/system")
    assert checked.problems == []
    assert len(checked.objects) > 300


def test_the_schema_check_itself_catches_broken_objects(crawl: Crawl, schemas: OparlSchemas) -> None:
    meeting = next(
        obj for obj in crawl.objects.values() if type_name(obj) == "Meeting" and "agendaItem" in obj
    )
    broken = json.loads(json.dumps(meeting))
    broken["agendaItem"][0]["order"] = "eins"  # inside an embedded object
    broken["start"] = broken["start"][:19] + "Z"  # a 'Z' instead of the offset
    errors = schemas.errors(broken)
    assert any("agendaItem/0/order" in e for e in errors), errors
    assert any(e.startswith("start:") for e in errors), errors


def test_nothing_non_public_appears_anywhere(published: Published, crawl: Crawl) -> None:
    hidden = hidden_paths(published.db.sessions)
    world = published.world
    assert world.secret_paper in hidden["paper"]
    assert world.secret_item in hidden["agendaitem"]
    assert set(world.secret_files) <= hidden["file"]
    assert hidden["meeting"], "the demo has meetings of the non-public Magistrat"
    everything = "\n".join(crawl.texts)
    leaks = [
        f"{BASE}/{segment}/{object_id}"
        for segment, ids in hidden.items()
        for object_id in ids
        if object_id != world.depublished_paper or segment != "paper"
        if re.search(re.escape(f'"{BASE}/{segment}/{object_id}') + r'["/]', everything)
    ]
    assert leaks == []
    assert "vertraulich" not in everything
    assert "Grundstück" not in everything


def _all_objects(value: Any) -> Iterator[dict[str, Any]]:
    if isinstance(value, dict):
        yield value
        for inner in value.values():
            yield from _all_objects(inner)
    elif isinstance(value, list):
        for inner in value:
            yield from _all_objects(inner)


def test_steps_dealt_with_in_private_show_neither_state_nor_outcome_anywhere(
    published: Published, crawl: Crawl
) -> None:
    hidden = hidden_paths(published.db.sessions)
    with published.db.sessions() as s:
        steps = {c.id: c for c in s.scalars(select(Consultation))}
    private = {
        c.id
        for c in steps.values()
        if c.agenda_item_id in hidden["agendaitem"] or c.meeting_id in hidden["meeting"]
    }
    decided_in_private = {c.paper_id for c in steps.values() if c.authoritative and c.id in private}
    seen_steps: set[int] = set()
    seen_papers: set[int] = set()
    for text in crawl.texts:
        for obj in _all_objects(json.loads(text)):
            if obj.get("deleted") or not isinstance(obj.get("id"), str):
                continue
            object_id = int(obj["id"].rsplit("/", 1)[1]) if obj["id"].rsplit("/", 1)[1].isdigit() else 0
            if type_name(obj) == "Consultation" and object_id in private:
                seen_steps.add(object_id)
                leaked = {"gremienlauf:state", "gremienlauf:outcome", "gremienlauf:outcomeWording"} & set(obj)
                assert not leaked, (obj["id"], leaked)
            if type_name(obj) == "Paper" and object_id in decided_in_private:
                seen_papers.add(object_id)
                assert "gremienlauf:resolutionText" not in obj, obj["id"]
                assert obj.get("gremienlauf:state") not in {
                    "beschlossen",
                    "geändert beschlossen",
                    "abgelehnt",
                }
    # the Magistrat's and Wilhelmshaven's Verwaltungsausschuss' private steps, with results recorded
    assert any(steps[i].outcome for i in seen_steps)
    assert seen_papers, "a paper decided in private is published"


def test_non_public_objects_answer_404_with_the_error_object(published: Published) -> None:
    hidden = hidden_paths(published.db.sessions)
    depublished = {
        ("paper", published.world.depublished_paper),
        ("agendaitem", published.world.depublished_item),
        *(("file", f) for f in published.world.depublished_files),
    }
    for segment, ids in hidden.items():
        for object_id in sorted(ids):
            if (segment, object_id) in depublished or (
                segment == "consultation" and _of_depublished(published, object_id)
            ):
                continue
            response = published.client.get(f"{BASE}/{segment}/{object_id}")
            assert response.status_code == 404, (segment, object_id, response.text)
            body = response.json()
            assert body["type"] == "https://schema.oparl.org/1.1/Error"
            assert body["message"]
            assert body["debug"]
            assert response.headers["access-control-allow-origin"] == "*"


def _of_depublished(published: Published, consultation_id: int) -> bool:
    response = published.client.get(f"{BASE}/consultation/{consultation_id}")
    return response.status_code == 200 and response.json().get("deleted") is True


def test_the_meeting_shows_only_its_public_part_numbered_from_zero(published: Published) -> None:
    meeting = published.client.get(f"{BASE}/meeting/{published.world.meeting}").json()
    items = meeting["agendaItem"]
    assert [i["id"] for i in items] == [f"{BASE}/agendaitem/{published.world.public_item}"]
    assert [i["order"] for i in items] == [0]
    item = items[0]
    assert item["result"] == "Zustimmung empfohlen"
    assert item["gremienlauf:votes"][0]["yes"] == 9
    assert item["resolutionFile"]["name"] == "Beschlussauszug Spielplatz"
    assert meeting["invitation"]["mimeType"] == "application/pdf"
    alone = published.client.get(item["id"]).json()
    assert alone == item


def test_the_beratungsfolge_maps_to_one_consultation_per_step(published: Published) -> None:
    papers = published.client.get(f"{BASE}/body/1/papers").json()["data"]
    paper = next(p for p in papers if p["reference"] == "1562/13")
    department = published.client.get(paper["underDirectionOf"][0]).json()
    assert department["name"].startswith("Koordinationsbüro")
    assert department["classification"] == "Fachamt"
    steps = paper["consultation"]
    assert len(steps) >= 4
    assert [s["authoritative"] for s in steps].count(True) == 1
    decisive = next(s for s in steps if s["authoritative"])
    assert decisive["role"] == "Entscheidung"
    assert decisive["organization"][0].startswith(f"{BASE}/organization/")
    assert all(s["role"] in {"Vorberatung", "Entscheidung", "Anhörung", "Kenntnisnahme"} for s in steps)
    for step in steps:
        if "agendaItem" in step:
            item = published.client.get(step["agendaItem"]).json()
            assert item["consultation"] == step["id"]
            assert item["meeting"] == step["meeting"]
    magistrat = [s for s in steps if s["organization"] == [f"{BASE}/organization/1"]]
    assert magistrat
    assert all("meeting" not in s for s in magistrat), "the Magistrat meets in private"


def test_the_cancelled_meeting_says_so(published: Published) -> None:
    meeting = published.client.get(f"{BASE}/meeting/{published.world.cancelled_meeting}").json()
    assert meeting["cancelled"] is True
    assert meeting["meetingState"] == "abgesagt"


def test_the_rule_checks_themselves_catch_the_mistakes_real_servers_make(published: Published) -> None:
    checker = Crawl(published.client, None, BASE)
    url = f"{BASE}/meeting/1"
    checker.check_object(
        url,
        {
            "id": f"{BASE}/meeting/2",  # not the URL it was fetched at
            "type": "https://schema.oparl.org/1.1/Meeting",
            "name": "",  # an empty string instead of leaving it out
            "created": "2014-01-01T10:00:00+01:00",
            "modified": "2014-01-01T10:00:00+01:00",
            "agendaItem": [
                {  # order counted from 1, no created/modified
                    "id": f"{BASE}/agendaitem/1",
                    "type": "https://schema.oparl.org/1.1/AgendaItem",
                    "meeting": f"{BASE}/meeting/2",
                    "order": 1,
                }
            ],
        },
        top=True,
    )
    checker.check_list(
        f"{BASE}/body/1/papers",
        {
            "data": [
                {"id": f"{BASE}/paper/9", "type": "https://schema.oparl.org/1.1/Paper", "deleted": True}
            ],
            "pagination": {},
            "links": {},
        },
    )
    problems = "\n".join(checker.problems)
    assert "differs from the URL" in problems
    assert "name: empty value" in problems
    assert "orders [1]" in problems
    assert "has no created" in problems
    assert "deleted object" in problems
