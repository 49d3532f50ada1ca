"""Real OParl 1.1 objects (Karlsruhe: papers with their consultations, meetings with agenda items and
results, a deleted paper) imported into an existing municipality, on SQLite and PostgreSQL. The server is
httpx's mock transport; the organizations the objects refer to are the only objects made up here."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import func, select

from tests.conftest import Database
from workers.oparl_import.client import OParlClient
from workers.oparl_import.importer import import_oparl
from workflow.models import AgendaItem, AuditEvent, Body, Consultation, Meeting, Municipality, Paper
from workflow.source_models import SourceRecord

DATA = Path(__file__).resolve().parents[2].parent / "shared/oparl/real-data/karlsruhe-1.1"
ROOT = "https://web1.karlsruhe.de/oparl"
BODY = f"{ROOT}/bodies/0001"
T = "https://schema.oparl.org/1.1/"
ORGANIZATIONS = {
    "32130": "Gemeinderat",
    "28964": "Hauptausschuss",
    "40333": "Ortschaftsrat Durlach",
    "33695": "Ortschaftsrat Grötzingen",
}


def _page(objects: list[dict[str, Any]]) -> dict[str, Any]:
    return {"data": objects, "pagination": {"totalElements": len(objects)}, "links": {}}


def source(extra_papers: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    papers = [json.loads(p.read_text(encoding="utf-8")) for p in sorted((DATA / "papers").glob("*.json"))]
    meetings = [json.loads(p.read_text(encoding="utf-8")) for p in sorted((DATA / "meetings").glob("*.json"))]
    organizations = [
        {
            "id": f"{BODY}/organizations/gr/{key}",
            "type": T + "Organization",
            "name": name,
            "organizationType": "Gremium",
        }
        for key, name in ORGANIZATIONS.items()
    ]
    return {
        f"{ROOT}/system": {
            "id": f"{ROOT}/system",
            "type": T + "System",
            "body": f"{ROOT}/bodies",
            "vendor": "https://www.somacos.de",
        },
        f"{ROOT}/bodies": _page(
            [
                {
                    "id": BODY,
                    "type": T + "Body",
                    "name": "Stadt Karlsruhe",
                    "shortName": "Karlsruhe",
                    "ags": "08212000",
                    "organization": f"{BODY}/organizations",
                    "person": f"{BODY}/people",
                    "meeting": f"{BODY}/meetings",
                    "paper": f"{BODY}/papers",
                }
            ]
        ),
        f"{BODY}/organizations": _page(organizations),
        f"{BODY}/people": _page([]),
        f"{BODY}/meetings": _page(meetings),
        f"{BODY}/papers": _page(papers + (extra_papers or [])),
    }


def client_for(answers: dict[str, Any]) -> OParlClient:
    def handler(request: httpx.Request) -> httpx.Response:
        url = str(request.url).split("?", 1)[0]
        if url not in answers:
            return httpx.Response(404, json={"type": T + "Error"})
        return httpx.Response(200, json=answers[url])

    return OParlClient(httpx.Client(transport=httpx.MockTransport(handler)), sleep=lambda s: None)


def test_oparl_1_1_objects_come_in_with_results_roles_and_open_steps(db: Database) -> None:
    twin = json.loads((DATA / "papers/54773.json").read_text(encoding="utf-8"))
    twin = {**twin, "id": f"{BODY}/papers/99999", "consultation": [], "auxiliaryFile": []}
    report = import_oparl(db.sessions, f"{ROOT}/system", kommune="wetzlar", client=client_for(source([twin])))
    data = report.as_json()
    assert data["kommune"] == "wetzlar"
    assert data["counts"]["Paper"] == {
        "seen": 8,
        "created": 6,
        "updated": 0,
        "unchanged": 0,
        "deleted": 1,
        "quarantined": 1,
    }
    assert data["quarantined"] == [
        {
            "type": "Paper",
            "url": f"{BODY}/papers/99999",
            "reason": "Drucksachen-Nr. 2026/0222/2 ist hier schon vergeben",
        }
    ]
    assert data["counts"]["Meeting"]["created"] == 5
    assert data["counts"]["AgendaItem"]["created"] == 14
    # the papers' meeting 10566 is not in the source's meeting list: reported, the steps stay planned
    assert {p["reason"] for p in data["inconsistent"]} == {
        f"Sitzung {ROOT}/bodies/0001/meetings/10566 unbekannt"
    }
    with db.session() as session:
        town = session.scalars(select(Municipality).where(Municipality.key == "wetzlar")).one()
        kinds = {
            row.name: row.kind
            for row in session.execute(select(Body.name, Body.kind).where(Body.municipality_id == town.id))
        }
        assert kinds["Gemeinderat"] == "assembly"
        assert kinds["Ortschaftsrat Durlach"] == "district"
        paper = session.scalars(select(Paper).where(Paper.reference == "2026/0467/1")).one()
        assert paper.kind == "aenderungsantrag"
        assert paper.state == "submitted"  # still open at the source: continues here
        steps = [(s.role, s.authoritative, s.state, s.stage) for s in paper.consultations]
        assert steps == [("preliminary", False, "planned", 1), ("decision", True, "planned", 2)]
        durlach = session.scalars(select(Meeting).where(Meeting.name.like("Ortschaftsrat Durlach%"))).one()
        assert durlach.state == "held"
        items = durlach.agenda_items
        assert [i.order for i in items] == list(range(14))
        assert items[1].result_wording == "einstimmig beschlossen"
        future = session.scalars(select(Meeting).where(Meeting.name.like("Ortschaftsrat Grötzingen%"))).all()
        assert {m.state for m in future} == {"planned"}
        events = session.scalar(
            select(func.count()).where(
                AuditEvent.actor == f"import:{BODY}", AuditEvent.action == "oparl.imported"
            )
        )
        assert events == session.scalar(select(func.count()).where(SourceRecord.local_id.is_not(None)))
        assert session.scalar(select(func.count()).select_from(Consultation)) == 7

    again = import_oparl(db.sessions, f"{ROOT}/system", client=client_for(source([twin]))).as_json()
    assert again["kommune"] == "wetzlar"
    assert again["counts"]["Paper"] == {
        "seen": 8,
        "created": 0,
        "updated": 0,
        "unchanged": 7,
        "deleted": 0,
        "quarantined": 1,
    }
    with db.session() as session:
        assert session.scalar(select(func.count()).select_from(AgendaItem)) == 14


def test_a_bad_object_and_a_list_that_breaks_off_go_to_quarantine_without_aborting(db: Database) -> None:
    from workflow.source_models import ImportRun, ImportSource

    answers = source()
    meetings = answers[f"{BODY}/meetings"]["data"]
    broken = {k: v for k, v in meetings[0].items() if k != "start"}
    answers[f"{BODY}/meetings"] = _page([broken, *meetings[1:]])
    papers = answers[f"{BODY}/papers"]
    answers[f"{BODY}/papers"] = {**papers, "links": {"next": f"{BODY}/papers?page=2"}}

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.params.get("page") == "2":
            return httpx.Response(500)
        url = str(request.url).split("?", 1)[0]
        return httpx.Response(200, json=answers[url]) if url in answers else httpx.Response(404)

    client = OParlClient(httpx.Client(transport=httpx.MockTransport(handler)), sleep=lambda s: None)
    data = import_oparl(db.sessions, f"{ROOT}/system", kommune="wetzlar", client=client).as_json()
    assert {(q["type"], q["reason"]) for q in data["quarantined"]} == {
        ("Meeting", "Sitzung ohne Beginn"),
        ("Paper", "Liste nicht vollständig lesbar: nach 5 Versuchen: HTTP 500"),
    }
    assert data["counts"]["Meeting"]["created"] == 4
    assert data["counts"]["Paper"]["created"] == 6  # the first page came in
    with db.session() as session:
        assert session.scalars(select(ImportRun.state)).one() == "incomplete"
        assert session.scalars(select(ImportSource.high_water_mark)).one() is None
