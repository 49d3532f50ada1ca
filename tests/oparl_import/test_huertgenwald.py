"""The complete OParl 1.0 output of a real SD.NET server (Hürtgenwald), served from 127.0.0.1: every object
comes in, the report's counts are what the dump holds, a second run changes nothing, and what the source
deletes leaves the public record. The import runs once per module (it takes tens of seconds)."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from api.app import create_app
from api.web import links
from tests.oparl_import.dump_server import ORIGIN, DumpServer, dump_dir, serve_dump
from workers.oparl_import.importer import Report, import_oparl
from workflow.db import make_engine, make_session_factory, upgrade
from workflow.models import (
    AgendaItem,
    AuditEvent,
    Consultation,
    Depublication,
    Location,
    Meeting,
    Membership,
    Municipality,
    Paper,
)
from workflow.publication import imported_file_is_public
from workflow.source_models import ImportedFile, ImportRun, ImportSource, SourceRecord

PUBLIC_URL = "http://testserver"


def _objects(pattern: str) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for path in sorted((dump_dir() / "body/1").glob(pattern)):
        out.extend(json.loads(path.read_text(encoding="utf-8"))["data"])
    return out


def expected_counts() -> dict[str, Counter[str]]:
    """What the dump holds, counted from its files: seen, and live (to be created) or deleted."""
    expected: dict[str, Counter[str]] = {}

    def count(oparl_type: str, objects: list[dict[str, Any]]) -> None:
        c = expected.setdefault(oparl_type, Counter())
        for obj in objects:
            c["seen"] += 1
            c["deleted" if obj.get("deleted") else "created"] += 1

    papers, meetings = _objects("paper*.json"), _objects("meeting*.json")
    persons = _objects("person*.json")
    live_papers = [p for p in papers if not p.get("deleted")]
    live_meetings = [m for m in meetings if not m.get("deleted")]
    items = [i for m in live_meetings for i in m.get("agendaItem", [])]
    files = [
        f
        for obj, fields in [
            *((p, ("mainFile", "auxiliaryFile")) for p in live_papers),
            *((m, ("invitation", "resultsProtocol", "auxiliaryFile")) for m in live_meetings),
            *((i, ("resolutionFile", "auxiliaryFile")) for i in items),
        ]
        for field in fields
        for f in (obj.get(field) if isinstance(obj.get(field), list) else [obj.get(field)])
        if isinstance(f, dict)
    ]
    body = json.loads((dump_dir() / "body.json").read_text(encoding="utf-8"))["data"][0]
    # Each place once, however many meetings name it; the Body's own place (its administration) too.
    places = {
        m["location"]["id"]: m["location"] for m in live_meetings if isinstance(m.get("location"), dict)
    }
    if isinstance(body.get("location"), dict):
        places[body["location"]["id"]] = body["location"]
    count("Location", list(places.values()))
    count("LegislativeTerm", body.get("legislativeTerm", []))
    count("Organization", _objects("organization*.json"))
    count("Person", persons)
    count("Membership", [m for p in persons for m in p.get("membership", [])])
    count("Meeting", meetings)
    count("AgendaItem", items)
    count("Paper", papers)
    count("Consultation", [c for p in live_papers for c in p.get("consultation", [])])
    count("File", files)
    return expected


@dataclass
class Imported:
    sessions: sessionmaker[Session]
    url: str
    server: DumpServer
    first: Report
    second: Report


@pytest.fixture(scope="module")
def imported(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Imported]:
    url = f"sqlite:///{tmp_path_factory.mktemp('huertgenwald') / 'import.sqlite3'}"
    upgrade(url)
    engine = make_engine(url)
    sessions = make_session_factory(engine)
    with serve_dump() as server:
        first = import_oparl(sessions, server.system_url)
        second = import_oparl(sessions, server.system_url)
        yield Imported(sessions, url, server, first, second)
    engine.dispose()


def _count(session: Session, model: Any) -> int:
    return int(session.scalar(select(func.count()).select_from(model)) or 0)


def test_every_object_of_the_dump_comes_in_with_the_counts_it_holds(imported: Imported) -> None:
    report = imported.first.as_json()
    expected = expected_counts()
    assert set(report["counts"]) == set(expected)
    for oparl_type, counts in expected.items():
        assert report["counts"][oparl_type] == {
            "seen": counts["seen"],
            "created": counts["created"],
            "updated": 0,
            "unchanged": 0,
            "deleted": counts["deleted"],
            "quarantined": 0,
        }, oparl_type
    assert report["quarantined"] == []
    assert expected["Location"]["seen"] == 5  # four places of meetings and the town hall of the Body
    assert expected["LegislativeTerm"]["seen"] == 0  # SD.NET publishes no terms
    assert expected["Paper"]["created"] == 2097
    assert expected["File"]["created"] > 6900
    with imported.sessions() as session:
        town = session.scalars(select(Municipality)).one()
        assert (town.key, town.name, town.profile) == ("gemeinde-huertgenwald", "Gemeinde Hürtgenwald", "nrw")
        assert _count(session, Paper) == expected["Paper"]["created"]
        assert _count(session, Meeting) == expected["Meeting"]["created"]
        assert _count(session, AgendaItem) == expected["AgendaItem"]["created"]
        assert _count(session, Consultation) == expected["Consultation"]["created"]
        assert _count(session, Membership) == sum(
            1 for r in session.scalars(select(SourceRecord.local_type)) if r == "membership"
        )
        assert _count(session, ImportedFile) == expected["File"]["created"]
        source = session.scalars(select(ImportSource)).one()
        assert source.vendor == "https://www.sitzungsdienst.net/"
        assert source.high_water_mark is not None
        imported_events = session.scalar(
            select(func.count()).where(
                AuditEvent.action == "oparl.imported", AuditEvent.actor == f"import:{source.body_url}"
            )
        )
        local_types = Counter(session.scalars(select(SourceRecord.local_type)))
        faction_memberships = sum(n for t, n in local_types.items() if t.endswith("_membership"))
        assert _count(session, Location) == expected["Location"]["created"]
        assert imported_events == sum(c["created"] for c in expected.values()) - faction_memberships


def test_imported_papers_carry_their_beratungsfolge_and_are_published(imported: Imported) -> None:
    with imported.sessions() as session:
        papers = session.scalars(select(Paper).where(Paper.reference.is_not(None))).all()
        states = Counter(p.state for p in papers)
        assert set(states) <= {"settled", "noted", "adopted", "rejected", "in_deliberation", "submitted"}
        assert states["settled"] + states["noted"] > 1500  # history: dealt with at the source
        linked = session.scalar(select(func.count()).where(Consultation.agenda_item_id.is_not(None)))
        assert linked == session.scalar(select(func.count()).where(AgendaItem.consultation_id.is_not(None)))
        assert linked
        assert linked > 2000
        worded = session.scalar(select(func.count()).where(Consultation.outcome_wording.is_not(None)))
        assert worded
        assert worded > 1000
        paper = session.scalars(select(Paper).where(Paper.reference == "45/2016")).one()
        paper_id = paper.id
        page = links.paper(session.get_one(Municipality, paper.municipality_id).key, paper)
    client = TestClient(create_app(imported.url, public_url=PUBLIC_URL))
    assert page.endswith("/vorlagen/45-2016")
    shown_page = client.get(page)  # a Drucksachen-Nr. with a four-digit year has its page too
    assert shown_page.status_code == 200
    assert "45/2016" in shown_page.text
    shown = client.get(f"/oparl/v1/paper/{paper_id}").json()
    assert shown["reference"] == "45/2016"
    assert shown["consultation"], shown
    assert all("gremienlauf:outcomeWording" in c or "gremienlauf:state" in c for c in shown["consultation"])


def assert_counts_add_up(report: dict[str, Any]) -> None:
    """Each object seen is created, updated, unchanged, deleted or quarantined: nothing else."""
    for oparl_type, counts in report["counts"].items():
        assert counts["seen"] == sum(n for key, n in counts.items() if key != "seen"), (oparl_type, counts)


def test_a_second_run_changes_nothing(imported: Imported) -> None:
    report = imported.second.as_json()
    assert report["counts"]["Location"]["unchanged"] == expected_counts()["Location"]["seen"]
    for oparl_type, counts in report["counts"].items():
        assert counts["created"] == counts["updated"] == counts["deleted"] == counts["quarantined"] == 0, (
            oparl_type
        )
        assert counts["unchanged"] == counts["seen"], oparl_type
    with imported.sessions() as session:
        runs = session.scalars(select(ImportRun).order_by(ImportRun.id)).all()
        assert [r.state for r in runs] == ["finished", "finished"]
        assert runs[1].since is not None  # the high-water mark of the first run, less the overlap
        assert session.scalar(select(func.count()).where(AuditEvent.action == "oparl.updated")) == 0


def test_what_the_source_deletes_leaves_the_public_record(imported: Imported) -> None:
    server = imported.server
    page = "body/1/paper?page=2.json"
    victim = json.loads((dump_dir() / page).read_text(encoding="utf-8"))["data"][0]
    meeting_page = "body/1/meeting.json"
    meetings = json.loads((dump_dir() / meeting_page).read_text(encoding="utf-8"))["data"]
    meeting = next(m for m in meetings if len(m.get("agendaItem", [])) > 2)
    dropped_item = meeting["agendaItem"][-1]["id"]

    def delete_paper(text: str) -> str:
        data = json.loads(text)
        first = data["data"][0]
        data["data"][0] = {
            "id": first["id"],
            "created": first["created"],
            "modified": "2030-01-01T00:00:00+01:00",
            "deleted": True,
        }
        return json.dumps(data)

    gone_meeting = next(m for m in meetings if m["id"] != meeting["id"] and not m.get("deleted"))

    def drop_item(text: str) -> str:
        data = json.loads(text)
        for i, m in enumerate(data["data"]):
            if m["id"] == gone_meeting["id"].replace(ORIGIN, server.base):
                data["data"][i] = {"id": m["id"], "modified": "2030-01-01T00:00:00+01:00", "deleted": True}
        for m in data["data"]:
            if m["id"] == meeting["id"].replace(
                "https://sdnetrim.kdvz-frechen.de/rim4220/webservice/oparl/v1.0/", server.base
            ):
                m["agendaItem"] = m["agendaItem"][:-1]
        return json.dumps(data)

    server.edits = {page: delete_paper, meeting_page: drop_item}
    try:
        report = import_oparl(imported.sessions, server.system_url).as_json()
    finally:
        server.edits = {}
    assert_counts_add_up(report)
    assert report["counts"]["Paper"]["deleted"] == 1
    assert report["counts"]["Meeting"]["updated"] == 1
    assert report["counts"]["Meeting"]["deleted"] == 1
    # the dropped item, and the items of the deleted meeting with it: seen in this run as gone
    children_gone = 1 + len(gone_meeting.get("agendaItem", []))
    assert report["counts"]["AgendaItem"]["deleted"] == children_gone
    assert (
        report["counts"]["AgendaItem"]["seen"] == report["counts"]["AgendaItem"]["unchanged"] + children_gone
    )
    local_url = victim["id"].replace(
        "https://sdnetrim.kdvz-frechen.de/rim4220/webservice/oparl/v1.0/", server.base
    )
    item_url = dropped_item.replace(
        "https://sdnetrim.kdvz-frechen.de/rim4220/webservice/oparl/v1.0/", server.base
    )
    with imported.sessions() as session:
        paper_id = session.scalars(select(SourceRecord.local_id).where(SourceRecord.url == local_url)).one()
        item_id = session.scalars(select(SourceRecord.local_id).where(SourceRecord.url == item_url)).one()
        meeting_id = session.scalars(
            select(SourceRecord.local_id).where(
                SourceRecord.url == gone_meeting["id"].replace(ORIGIN, server.base)
            )
        ).one()
        assert paper_id is not None
        assert item_id is not None
        paper = session.get_one(Paper, paper_id)
        assert not paper.public
        assert not session.get_one(AgendaItem, item_id).public
        gone = {(d.object_type, d.object_id) for d in session.scalars(select(Depublication))}
        assert ("paper", paper_id) in gone
        assert ("agenda_item", item_id) in gone
        assert (session.scalar(select(func.count()).where(AuditEvent.action == "oparl.deleted")) or 0) >= 2
    client = TestClient(create_app(imported.url, public_url=PUBLIC_URL))
    assert client.get(f"/oparl/v1/paper/{paper_id}").json()["deleted"] is True
    assert client.get(f"/oparl/v1/agendaitem/{item_id}").json()["deleted"] is True
    assert client.get(f"/oparl/v1/meeting/{meeting_id}").json()["deleted"] is True
    listed = client.get(
        "/oparl/v1/body/1/meetings", params={"modified_since": "2000-01-01T00:00:00+01:00", "limit": 1000}
    )
    assert {"id": f"{PUBLIC_URL}/oparl/v1/meeting/{meeting_id}", "deleted": True}.items() <= next(
        m for m in listed.json()["data"] if m["id"].endswith(f"/meeting/{meeting_id}")
    ).items()


def test_locations_come_in_with_their_address_and_are_published(imported: Imported) -> None:
    live = [m for m in _objects("meeting*.json") if not m.get("deleted")]
    expected = {m["location"]["id"] for m in live if isinstance(m.get("location"), dict)}
    with imported.sessions() as session:
        rows = session.scalars(select(Location)).all()
        assert len(rows) == len(expected) + 1  # and the Body's own place, where no meeting is held
        place = next(r for r in rows if r.street_address == "August-Scholl-Str. 5")
        assert (place.postal_code, place.locality) == ("52393", "Hürtgenwald")
        meeting = session.scalars(select(Meeting).where(Meeting.location_id == place.id)).first()
        assert meeting is not None
        meeting_id = meeting.id
    client = TestClient(create_app(imported.url, public_url=PUBLIC_URL))
    shown = client.get(f"/oparl/v1/meeting/{meeting_id}").json()["location"]
    assert shown["id"] == f"{PUBLIC_URL}/oparl/v1/place/{place.id}"
    assert shown["streetAddress"] == "August-Scholl-Str. 5"
    assert f"{PUBLIC_URL}/oparl/v1/meeting/{meeting_id}" in shown["meetings"]
    assert client.get(f"/oparl/v1/place/{place.id}").json()["postalCode"] == "52393"
    listed: list[str] = []
    url: str | None = f"{PUBLIC_URL}/oparl/v1/body/1/locations?limit=7"
    while url:
        page = client.get(url).json()
        listed += [o["id"] for o in page["data"]]
        url = page["links"].get("next")
    assert f"{PUBLIC_URL}/oparl/v1/place/{place.id}" in listed
    assert len(listed) == len(set(listed)) == len(expected)


def test_file_records_are_published_with_the_old_systems_link_until_fetched(imported: Imported) -> None:
    with imported.sessions() as session:
        record = session.scalars(
            select(ImportedFile).where(ImportedFile.paper_id.is_not(None), ImportedFile.role == "mainFile")
        ).first()
        assert record is not None
        paper_id, record_id, access = record.paper_id, record.id, record.access_url
        public = session.scalar(select(func.count(ImportedFile.id)).where(imported_file_is_public()))
    client = TestClient(create_app(imported.url, public_url=PUBLIC_URL))
    main = client.get(f"/oparl/v1/paper/{paper_id}").json()["mainFile"]
    assert main["id"] == f"{PUBLIC_URL}/oparl/v1/importedfile/{record_id}"
    assert main["accessUrl"] == access
    assert access.startswith(imported.server.base)
    assert client.get(f"/oparl/v1/importedfile/{record_id}").json() == main
    missing = client.get(f"/oparl/v1/importedfile/{record_id}/download")
    assert missing.status_code == 404
    assert "noch nicht übernommen" in missing.json()["message"]
    listed: list[str] = []
    url: str | None = f"{PUBLIC_URL}/oparl/v1/body/1/files?limit=1000"
    while url:
        page = client.get(url).json()
        listed += [o["id"] for o in page["data"]]
        url = page["links"].get("next")
    assert len(listed) == len(set(listed)) == public
    assert public is not None
    assert public > 6800
