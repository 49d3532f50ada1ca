"""The round trip: the demo's own OParl output, served over HTTP from 127.0.0.1 and imported (with the files'
contents) into a fresh installation, gives the same OParl output again, object by object, except for the ids
(mapped by the source id the importer keeps) and the generated times (``created``, ``modified``)."""

from __future__ import annotations

import os
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, select, text
from sqlalchemy.orm import Session, sessionmaker

from api.app import create_app
from api.oparl.bodies import BODY_LISTS
from api.oparl.format import Urls
from api.web import links
from gremienlauf import demo
from gremienlauf.demo_users import create_demo_users
from tests.conftest import Database, _admin_url, _postgres_copy, _sqlite_copy
from tests.oparl.schemas import OparlSchemas, schema_dir
from workers.context import Context
from workers.inprocess import drain
from workers.oparl_import.client import OParlClient
from workers.oparl_import.files import download_files
from workers.oparl_import.importer import import_oparl
from workers.settings import WorkerSettings
from workflow.db import make_engine, make_session_factory, upgrade
from workflow.models import Consultation, Meeting, Municipality, Paper
from workflow.source_models import ImportedFile, ImportSource, SourceRecord
from workflow.vocabulary import ConsultationState

GENERATED = {"created", "modified"}
#: Our own extension fields that record what happened here (votes, recusals, result revisions, the kind and
#: version of a generated document, its derivatives): the import does not bring them back.
NOT_CARRIED = {
    "gremienlauf:votes",
    "gremienlauf:recusals",
    "gremienlauf:quorumFailed",
    "gremienlauf:resultRevision",
    "gremienlauf:outcome",
    "gremienlauf:kind",
    "gremienlauf:version",
    "gremienlauf:lateAddition",
    "gremienlauf:secondSession",
    "masterFile",
    "derivativeFile",
}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class LocalServer:
    """The app on a database, served by uvicorn in a thread on 127.0.0.1."""

    def __init__(self, database_url: str) -> None:
        port = _free_port()
        self.public_url = f"http://127.0.0.1:{port}"
        self.app = create_app(database_url, public_url=self.public_url)
        config = uvicorn.Config(self.app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> LocalServer:
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.05)
        return self

    def __exit__(self, *_exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(10)


def _fresh_database(kind: str, tmp: Path) -> Iterator[Database]:
    """An empty, migrated database (a fresh installation)."""
    if kind == "sqlite":
        url = f"sqlite:///{tmp / 'fresh.sqlite3'}"
        upgrade(url)
        engine = make_engine(url)
        yield Database(kind, url, engine, make_session_factory(engine))
        engine.dispose()
        return
    name = f"gl_fresh_{uuid.uuid4().hex[:12]}"
    admin = create_engine(_admin_url(), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = _admin_url(name)
    try:
        upgrade(url)
        engine = make_engine(url)
        yield Database(kind, url, engine, make_session_factory(engine))
        engine.dispose()
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def build_demo(sessions: sessionmaker[Session]) -> None:
    """The demo's three papers with their meetings, results and generated documents (DOCX, no PDF)."""
    create_demo_users(sessions)
    demo._wetzlar(sessions)
    demo._duisburg(sessions)
    demo._wilhelmshaven(sessions)
    settings = WorkerSettings(
        pdf_enabled=False, mail_dir=str(Path(os.environ.get("TMPDIR", "/tmp")) / "mail")
    )
    from workers.delivery import transport_for

    drain(Context(sessions=sessions, settings=settings, transport=transport_for(settings)), timeout=120)


def published(client: TestClient, body_url: str) -> dict[str, dict[str, Any]]:
    """Every object the Body publishes, by id: the Body, the objects of its lists and what they embed."""
    found: dict[str, dict[str, Any]] = {}

    def collect(obj: Any) -> None:
        if isinstance(obj, dict):
            if isinstance(obj.get("id"), str) and isinstance(obj.get("type"), str):
                found.setdefault(obj["id"], obj)
            for value in obj.values():
                collect(value)
        elif isinstance(obj, list):
            for value in obj:
                collect(value)

    body = client.get(body_url).json()
    collect(body)
    for field, _path in BODY_LISTS:
        url: str | None = body[field]
        while url:
            page = client.get(url, params={"limit": 1000} if "?" not in url else None).json()
            collect(page["data"])
            url = page.get("links", {}).get("next")
    return found


def id_map(sessions: sessionmaker[Session], urls: Urls) -> dict[str, str]:
    """Our URL of each imported object → its source id (from ``source_record``)."""
    by_type = {
        "body": urls.organization,
        "faction": urls.faction,
        "department": urls.department,
        "person": urls.person,
        "membership": urls.membership,
        "meeting": urls.meeting,
        "agenda_item": urls.agenda_item,
        "paper": urls.paper,
        "consultation": urls.consultation,
        "imported_file": urls.imported_file,
        "location": urls.place,
        "legislative_term": urls.term,
    }
    out: dict[str, str] = {}
    with sessions() as session:
        for source in session.scalars(select(ImportSource)):
            town = session.get_one(Municipality, source.municipality_id)
            out[urls.body(town.id)] = source.body_url
            for _field, path in BODY_LISTS:
                out[urls.body_list(town.id, path)] = source.body_url + "/" + path
            if source.system_url:
                out[urls.system()] = source.system_url
        for record in session.scalars(select(SourceRecord).where(SourceRecord.local_id.is_not(None))):
            make = by_type.get(record.local_type)
            if make is not None and record.local_id is not None:
                out[make(record.local_id)] = record.url
    for ours, theirs in list(out.items()):
        if ours.startswith(urls.root + "/file/") or ours.startswith(urls.root + "/importedfile/"):
            out[ours + "/access"] = theirs + "/access"
            out[ours + "/download"] = theirs + "/download"
    return out


def normalised(obj: Any, ids: dict[str, str]) -> Any:
    """The object with our ids replaced by the source's and the generated times left out."""
    if isinstance(obj, dict):
        return {k: normalised(v, ids) for k, v in obj.items() if k not in GENERATED | NOT_CARRIED}
    if isinstance(obj, list):
        out = [normalised(v, ids) for v in obj]
        if out and all(isinstance(v, str) for v in out):
            return sorted(out)  # references listed in the order of their ids (memberships, participants)
        return out
    if isinstance(obj, str):
        return ids.get(obj, obj)
    return obj


@dataclass
class RoundTrip:
    source: dict[str, dict[str, Any]]
    again: dict[str, dict[str, Any]]
    reports: list[dict[str, Any]]
    fresh_url: str
    published_again: dict[str, dict[str, Any]]  # as served, before the ids are mapped


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def round_trip(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[RoundTrip]:
    if request.param == "sqlite":
        copies = _sqlite_copy(request.getfixturevalue("sqlite_template"), tmp_path_factory.mktemp("demo"))
    else:
        copies = _postgres_copy(request.getfixturevalue("postgres_template"))
    for db in copies:
        build_demo(db.sessions)
        with db.sessions() as session:
            town_ids = list(session.scalars(select(Municipality.id).order_by(Municipality.id)))
        for fresh in _fresh_database(request.param, tmp_path_factory.mktemp("fresh")):
            with LocalServer(db.url) as server:
                source_urls = Urls(server.public_url)
                reports = []
                client = OParlClient()
                try:
                    for town_id in town_ids:
                        report = import_oparl(fresh.sessions, source_urls.body(town_id), client=client)
                        reports.append(report.as_json())
                        download_files(fresh.sessions, client, str(report.municipality), actor="test")
                finally:
                    client.close()
                with TestClient(create_app(db.url, public_url=server.public_url)) as ours:
                    source = {}
                    for town_id in town_ids:
                        source.update(published(ours, source_urls.body(town_id)))
            urls = Urls("http://testserver")
            ids = id_map(fresh.sessions, urls)
            with TestClient(create_app(fresh.url, public_url="http://testserver")) as client_again:
                again: dict[str, dict[str, Any]] = {}
                raw: dict[str, dict[str, Any]] = {}
                with fresh.sessions() as session:
                    new_towns = list(session.scalars(select(Municipality.id).order_by(Municipality.id)))
                for town_id in new_towns:
                    for url, obj in published(client_again, urls.body(town_id)).items():
                        raw[url] = obj
                        again[ids.get(url, url)] = normalised(obj, ids)
            yield RoundTrip({k: normalised(v, {}) for k, v in source.items()}, again, reports, fresh.url, raw)


def test_what_is_published_again_keeps_to_the_oparl_schema(round_trip: RoundTrip) -> None:
    directory = schema_dir()
    if directory is None:
        pytest.skip("OParl 1.1.1 schema files not found (GREMIENLAUF_OPARL_SCHEMA_DIR or ../shared/oparl)")
    schemas = OparlSchemas(directory)
    broken = {
        url: errors for url, obj in round_trip.published_again.items() if (errors := schemas.errors(obj))
    }
    assert not broken, list(broken.items())[:5]
    places = [o for o in round_trip.published_again.values() if "/oparl/v1/place/" in o["id"]]
    files = [o for o in round_trip.published_again.values() if "/oparl/v1/importedfile/" in o["id"]]
    terms = [o for o in round_trip.published_again.values() if "/oparl/v1/term/" in o["id"]]
    assert places
    assert files
    assert terms


def _types(objects: dict[str, dict[str, Any]]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for obj in objects.values():
        name = obj["type"].rsplit("/", 1)[-1]
        counts[name] = counts.get(name, 0) + 1
    return counts


def test_the_import_quarantines_nothing_of_our_own_output(round_trip: RoundTrip) -> None:
    for report in round_trip.reports:
        assert report["quarantined"] == [], report["quarantined"]


def test_every_object_comes_back_with_the_same_source_id(round_trip: RoundTrip) -> None:
    assert _types(round_trip.again) == _types(round_trip.source)
    assert set(round_trip.again) == set(round_trip.source)


@pytest.mark.parametrize(
    "oparl_type",
    [
        "Body",
        "Organization",
        "Person",
        "Membership",
        "Meeting",
        "AgendaItem",
        "Paper",
        "Consultation",
        "File",
        "LegislativeTerm",
        "Location",
    ],
)
def test_each_object_reads_the_same_again(round_trip: RoundTrip, oparl_type: str) -> None:
    objects = {url: obj for url, obj in round_trip.source.items() if obj["type"].endswith("/" + oparl_type)}
    assert objects, f"the demo publishes no {oparl_type}"
    differ = {
        url: (obj, after) for url, obj in objects.items() if (after := round_trip.again.get(url)) != obj
    }
    assert not differ, _explain(differ)


def test_a_step_published_without_its_state_comes_back_without_it(round_trip: RoundTrip) -> None:
    """A step dealt with in a non-public meeting is published without its state and meeting; imported, it is
    kept as such (dealt with, not work to schedule here) and published again without them."""
    withheld = [
        url
        for url, obj in round_trip.source.items()
        if obj["type"].endswith("/Consultation") and "gremienlauf:state" not in obj
    ]
    assert withheld, "the demo publishes no step without its state"
    for url in withheld:
        assert "gremienlauf:state" not in round_trip.again[url]
        assert "meeting" not in round_trip.again[url]
    engine = make_engine(round_trip.fresh_url)
    with make_session_factory(engine)() as session:
        rows = session.scalars(select(Consultation).where(Consultation.state_withheld.is_(True))).all()
        assert len(rows) == len(withheld)
        assert {r.state for r in rows} == {ConsultationState.dealt_with.value}
        assert all(r.meeting_id is None and r.outcome is None for r in rows)
    engine.dispose()


def _explain(differ: dict[str, tuple[dict[str, Any], dict[str, Any] | None]]) -> str:
    lines = [f"{len(differ)} objects differ"]
    for url, (before, after) in list(differ.items())[:3]:
        if after is None:
            lines.append(f"{url}: missing")
            continue
        for key in sorted(set(before) | set(after)):
            if before.get(key) != after.get(key):
                lines.append(f"{url} {key}: {before.get(key)!r:.600} != {after.get(key)!r:.600}")
    return "\n".join(lines)


def test_the_paper_page_lists_the_imported_documents_with_their_download(round_trip: RoundTrip) -> None:
    engine = make_engine(round_trip.fresh_url)
    with make_session_factory(engine)() as session:
        paper = session.scalars(select(Paper).order_by(Paper.id)).first()
        assert paper is not None
        town = session.get_one(Municipality, paper.municipality_id)
        records = session.scalars(
            select(ImportedFile).where(ImportedFile.paper_id == paper.id, ImportedFile.sha256.is_not(None))
        ).all()
        page_url = links.paper(town.key, paper)
        invitation = session.scalars(
            select(ImportedFile).where(ImportedFile.role == "invitation", ImportedFile.sha256.is_not(None))
        ).first()
        assert invitation is not None
        assert invitation.meeting_id is not None
        meeting = session.get_one(Meeting, invitation.meeting_id)
        meeting_url = links.meeting(
            session, session.get_one(Municipality, meeting.municipality_id).key, meeting
        )
    engine.dispose()
    assert records
    with TestClient(create_app(round_trip.fresh_url, public_url="http://testserver")) as client:
        page = client.get(page_url)
        assert page.status_code == 200
        for record in records:
            assert record.name in page.text
            download = f"/oparl/v1/importedfile/{record.id}/download"
            assert download in page.text
            answer = client.get(download)
            assert answer.status_code == 200
            assert len(answer.content) == record.size_bytes
        meeting_page = client.get(meeting_url)
        assert meeting_page.status_code == 200
        assert f"/oparl/v1/importedfile/{invitation.id}/download" in meeting_page.text
