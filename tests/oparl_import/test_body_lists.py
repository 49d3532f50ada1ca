"""The Body's own lists of OParl 1.1 (``membership``, ``locationList``, ``legislativeTermList``): what only
they hold comes in, what they repeat of an object embedded elsewhere is counted once (fixture
``body_lists.json``: a membership embedded in its person and one only listed, a place embedded in a meeting
and one a meeting names by URL only, a term embedded in the Body and one only listed)."""

from __future__ import annotations

import copy
import datetime as dt
import io
import json
from pathlib import Path
from typing import Any

import docx
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from api.app import create_app
from api.web import links
from tests.conftest import Database
from tests.oparl_import.test_karlsruhe import client_for
from workers.documents import DocumentKind, generate_document
from workers.oparl_import.importer import import_oparl
from workflow.models import (
    Faction,
    LegislativeTerm,
    Location,
    Meeting,
    Membership,
    Municipality,
    Paper,
    Person,
)
from workflow.source_models import SourceRecord

FIXTURE = Path(__file__).parent / "fixtures/body_lists.json"
SYSTEM = "https://ris.example.org/oparl/system"
B = "https://ris.example.org/oparl/body/1"


def answers() -> dict[str, Any]:
    return dict(json.loads(FIXTURE.read_text(encoding="utf-8")))


def _local(session: Any, url: str) -> int:
    local_id = session.scalars(select(SourceRecord.local_id).where(SourceRecord.url == url)).one()
    assert local_id is not None
    return int(local_id)


def _seen(report: dict[str, Any]) -> dict[str, int]:
    return {t: c["seen"] for t, c in report["counts"].items()}


def test_what_only_the_bodys_lists_hold_comes_in_once(db: Database) -> None:
    dry = import_oparl(db.sessions, SYSTEM, dry_run=True, client=client_for(answers())).as_json()
    first = import_oparl(db.sessions, SYSTEM, client=client_for(answers())).as_json()
    for oparl_type, created in {"Membership": 3, "Location": 3, "LegislativeTerm": 2, "Meeting": 2}.items():
        assert first["counts"][oparl_type] == {
            "seen": created,
            "created": created,
            "updated": 0,
            "unchanged": 0,
            "deleted": 0,
            "quarantined": 0,
        }, oparl_type
    assert _seen(dry) == _seen(first)  # the dry run counts what the run writes
    assert first["quarantined"] == []
    with db.session() as session:
        bert = session.get_one(Person, _local(session, f"{B}/person/2"))
        (seat,) = session.scalars(select(Membership).where(Membership.person_id == bert.id)).all()
        assert seat.role == "deputy_chair"
        faction = session.get_one(Faction, seat.faction_id)
        assert faction.short_name == "BL"
        school = session.get_one(Location, _local(session, f"{B}/location/2"))
        assert school.street_address == "Schulweg 3"
        second_meeting = session.get_one(Meeting, _local(session, f"{B}/meeting/2"))
        assert second_meeting.location_id == school.id
        assert second_meeting.location == "Aula der Gesamtschule"
        town = school.municipality_id
        terms = session.scalars(
            select(LegislativeTerm.name)
            .where(LegislativeTerm.municipality_id == town)
            .order_by(LegislativeTerm.start_date)
        ).all()
        assert terms == ["Wahlperiode 2014–2020", "Wahlperiode 2020–2025"]
        assert session.scalar(select(func.count()).where(Location.municipality_id == town)) == 3

    again = import_oparl(db.sessions, SYSTEM, full=True, client=client_for(answers())).as_json()
    for oparl_type in ("Membership", "Location", "LegislativeTerm"):
        counts = again["counts"][oparl_type]
        assert counts["unchanged"] == counts["seen"] == first["counts"][oparl_type]["seen"], oparl_type


def test_a_full_run_removes_a_membership_the_list_no_longer_holds(db: Database) -> None:
    import_oparl(db.sessions, SYSTEM, client=client_for(answers()))
    source = answers()
    memberships = source[f"{B}/memberships"]
    kept = [m for m in memberships["data"] if m["id"] != f"{B}/membership/11"]
    source[f"{B}/memberships"] = {**memberships, "data": kept}
    people = source[f"{B}/people"]["data"]
    people[1] = {**people[1], "membership": [f"{B}/membership/12"]}

    report = import_oparl(db.sessions, SYSTEM, full=True, client=client_for(copy.deepcopy(source))).as_json()
    assert report["counts"]["Membership"] == {
        "seen": 3,
        "created": 0,
        "updated": 0,
        "unchanged": 2,
        "deleted": 1,
        "quarantined": 0,
    }
    with db.session() as session:
        bert = session.get_one(Person, _local(session, f"{B}/person/2"))
        assert session.scalars(select(Membership).where(Membership.person_id == bert.id)).all() == []
        record = session.scalars(select(SourceRecord).where(SourceRecord.url == f"{B}/membership/11")).one()
        assert record.deleted_at is not None


def _text(content: bytes) -> str:
    document = docx.Document(io.BytesIO(content))
    cells = [cell.text for table in document.tables for row in table.rows for cell in row.cells]
    return "\n".join([*(p.text for p in document.paragraphs), *cells])


def test_the_documents_of_an_imported_paper_show_what_the_old_system_recorded(db: Database) -> None:
    import_oparl(db.sessions, SYSTEM, client=client_for(answers()))
    now = dt.datetime(2026, 12, 7, 9, 0, tzinfo=dt.UTC)
    with db.session() as session:
        paper_id = _local(session, f"{B}/paper/1")
        item_id = _local(session, f"{B}/agendaitem/1")
        vorlage = _text(
            generate_document(
                session, kind=DocumentKind.VORLAGE, subject_id=paper_id, output_key="t:vorlage", now=now
            ).content
        )
        extract = _text(
            generate_document(
                session,
                kind=DocumentKind.RESOLUTION_EXTRACT,
                subject_id=item_id,
                output_key="t:extract",
                now=now,
            ).content
        )
        session.rollback()
    assert "Haushaltssatzung 2021" in vorlage
    assert "einstimmig, 0 Enthaltungen" in vorlage  # the Beratungsfolge row of the meeting
    assert "Haushaltsplan 2021 (Entwurf)" in vorlage  # the Anlagen: the auxiliary files
    assert "Stellenplan 2021" in vorlage
    assert "Vorlage 12/2021" not in vorlage  # the main file is the old system's Vorlage itself
    assert "einstimmig, 0 Enthaltungen" in extract
    assert "Der Rat beschließt die Haushaltssatzung 2021." in extract
    with db.session() as session:
        meeting = session.get_one(Meeting, _local(session, f"{B}/meeting/1"))
        town = session.get_one(Municipality, meeting.municipality_id)
        meeting_page, paper_page = (
            links.meeting(session, town.key, meeting),
            links.paper(town.key, session.get_one(Paper, paper_id)),
        )
    client = TestClient(create_app(db.url, public_url="http://testserver"))
    for page in (meeting_page, paper_page):  # the web pages show the source's result text too
        shown = client.get(page)
        assert shown.status_code == 200, page
        assert "einstimmig, 0 Enthaltungen" in shown.text, page


def test_a_step_that_does_not_fit_its_meeting_is_written_and_reported(db: Database) -> None:
    source = answers()
    committee = {
        "id": f"{B}/organization/3",
        "type": "https://schema.oparl.org/1.1/Organization",
        "name": "Hauptausschuss",
        "organizationType": "Gremium",
    }
    source[f"{B}/organizations"]["data"].append(committee)
    step = source[f"{B}/papers"]["data"][0]["consultation"][0]
    step["organization"] = [committee["id"]]  # the meeting is the Rat's
    step["meeting"] = f"{B}/meeting/2"  # and its TOP stands in meeting 1
    report = import_oparl(db.sessions, SYSTEM, client=client_for(source)).as_json()
    assert report["counts"]["Consultation"]["created"] == 1
    assert sorted(p["reason"] for p in report["inconsistent"] if p["url"] == step["id"]) == [
        "Gremium der Beratung tagt nicht in ihrer Sitzung",
        "TOP der Beratung gehört zu einer anderen Sitzung",
    ]
