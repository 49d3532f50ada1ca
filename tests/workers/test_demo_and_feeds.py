"""The embedded default end to end (the demo makes documents and mails with no server running) and the
calendar feeds over HTTP."""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from icalendar import Calendar
from sqlalchemy import select
from typer.testing import CliRunner

from api.app import create_app
from gremienlauf.cli import app
from tests.conftest import Database
from tests.scenario import Scenario, berlin
from workflow import meetings
from workflow.db import make_engine, make_session_factory
from workflow.feeds import create_token
from workflow.models import Paper, User
from workflow.publication import depublish_paper
from workflow.rules import BERLIN

#: The day the demo's present is built for (a Wednesday), and the time its start pages are looked at.
DEMO_TODAY = dt.date(2026, 3, 11)
#: What each secretary's start page shows: the meeting running today and the one held last week wait for
#: their results; every other body has its next meeting.
SECRETARY_TASKS = {
    "wetzlar": {"magistrat": "ergebnisse", "sjs": "ergebnisse", "kfp": "ergebnisse", "fwa": "sitzungen"},
    "duisburg": {"soziales": "ergebnisse", "hfa": "ergebnisse", "schule": "sitzungen"},
    "wilhelmshaven": {"soziales": "ergebnisse", "va": "ergebnisse", "bauen": "sitzungen"},
}
OFFICE_TASKS = {"entwuerfe", "einreichen", "ladungsfrist", "ergebnisse", "sitzungen"}
ROLE_TASKS = {
    "koordination": OFFICE_TASKS,
    "admin": OFFICE_TASKS,
    "fachamt": {"entwuerfe", "mitzeichnung"},
    "mitglied": {"sitzungen"},
}
SECTION = re.compile(r'id="abschnitt-([a-z]+)">[^<]*<span class="count">\((\d+)\)')


@dataclass
class Demo:
    folder: Path
    output: str


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    """``gremienlauf demo --heute 2026-03-11`` in a folder of its own (once for this module)."""
    folder = tmp_path_factory.mktemp("demo")
    with pytest.MonkeyPatch.context() as monkeypatch:
        monkeypatch.chdir(folder)
        for name in ("GREMIENLAUF_SMTP_HOST", "GREMIENLAUF_REDIS_URL", "GREMIENLAUF_MAIL_DIR"):
            monkeypatch.delenv(name, raising=False)
        result = CliRunner().invoke(app, ["demo", "--heute", DEMO_TODAY.isoformat()])
        assert result.exit_code == 0, result.output
        yield Demo(folder, result.output)


def test_the_demo_produces_documents_and_mails_in_folders_and_says_where_in_german(demo_run: Demo) -> None:
    tmp_path, output = demo_run.folder, demo_run.output
    assert "E-Mails:" in output
    assert "als .eml-Dateien in var/mail/" in output
    assert "Dokumente:" in output
    assert "var/dokumente/<Kommune>/" in output
    assert "Arbeit für die Startseiten, bezogen auf heute (11.03.2026)" in output
    mails = [
        email.message_from_bytes(p.read_bytes(), policy=email.policy.default)
        for p in (tmp_path / "var" / "mail").glob("*.eml")
    ]
    subjects = [str(m["Subject"]) for m in mails]
    assert "Einladung: Sitzung Stadtverordnetenversammlung am 27.11.2013" in subjects
    assert any(s.startswith("Ergebnis der Beratung: Drucksache 1562/13") for s in subjects)
    assert "Einladung: Sitzung Magistrat am 11.03.2026" in subjects  # today's meeting
    assert (tmp_path / "var" / "dokumente" / "wetzlar" / "Beschlussvorlage 1562-13.docx").exists()


def test_every_demo_login_finds_work_of_its_kind_on_its_start_page(demo_run: Demo) -> None:
    from tests.web.conftest import page_login

    url = f"sqlite:///{demo_run.folder / 'var' / 'demo.sqlite3'}"
    engine = make_engine(url)
    with make_session_factory(engine)() as session:
        users = list(session.scalars(select(User.username).order_by(User.id)))
        paper_states = set(session.scalars(select(Paper.state)))
    engine.dispose()
    assert {"draft", "cosigning", "submitted", "in_deliberation", "adopted"} <= paper_states
    noon = dt.datetime.combine(DEMO_TODAY, dt.time(12), tzinfo=BERLIN)
    missing: dict[str, object] = {}
    with TestClient(create_app(url, clock=lambda: noon)) as client:
        for username in users:
            town, role = username.split("-", 2)[:2]
            expected = (
                {SECRETARY_TASKS[town].get(username.split("-", 2)[2], "sitzungen")}
                if role == "schrift"
                else ROLE_TASKS[role]
            )
            client.cookies.clear()
            assert page_login(client, username).status_code == 303, username
            page = client.get(f"/{town}/")
            assert page.status_code == 200, username
            counts = {key: int(n) for key, n in SECTION.findall(page.text)}
            if empty := {key for key in expected if counts.get(key, 0) == 0}:
                missing[username] = (empty, counts)
            if role == "koordination":
                assert "Einladung spätestens" in page.text  # a deadline near, not passed
    assert not missing, missing
    assert len(users) == 3 * 4 + sum(len(bodies) + 1 for bodies in SECRETARY_TASKS.values())


def _calendar(response: object) -> Calendar:
    from httpx import Response

    assert isinstance(response, Response)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/calendar")
    return Calendar.from_ical(response.content)


def test_a_public_bodys_feed_shows_its_meetings_and_the_invitation_deadline(db: Database) -> None:
    sc = Scenario(db.sessions)
    paper = sc.submitted_paper(committees=["sjs"])
    meeting = sc.new_meeting("sjs", "2013-10-28 17:00")
    sc.schedule(paper.id, "sjs", meeting.id)
    client = TestClient(create_app(db.url, clock=lambda: berlin("2013-10-01 10:00")))
    calendar = _calendar(client.get("/api/v1/wetzlar/bodies/sjs/calendar.ics"))
    events = {str(e["SUMMARY"]): e for e in calendar.walk("VEVENT")}
    event = events["Sitzung Sozial-, Jugend- und Sportausschuss am 28.10.2013"]
    assert str(event["UID"]) == f"sitzung-{meeting.id}@gremienlauf.example"
    assert event.decoded("DTSTART") == berlin("2013-10-28 17:00")
    deadline = next(e for name, e in events.items() if name.startswith("Ladungsfrist: Sitzung Sozial"))
    # RFC 5545: a DTEND must be later than DTSTART; an instant has none.
    assert "DTEND" not in deadline or deadline.decoded("DTEND") > deadline.decoded("DTSTART")
    assert str(deadline["DTSTART"].params["TZID"]) == "Europe/Berlin"
    # The entry links to the meeting in the API (the town's key is part of every address).
    url = str(event["URL"])
    assert url == f"http://127.0.0.1:8000/api/v1/wetzlar/meetings/{meeting.id}"
    shown = client.get(url.removeprefix("http://127.0.0.1:8000"))
    assert shown.status_code == 200
    assert shown.json()["id"] == meeting.id


def test_a_public_feed_no_longer_names_a_paper_withdrawn_from_the_public(db: Database) -> None:
    sc = Scenario(db.sessions)
    kept = sc.submitted_paper(committees=["sjs"], subject="Sanierung der Sporthalle")
    withdrawn = sc.submitted_paper(committees=["sjs"], subject="Mietvertrag Familie Mustermann")
    meeting = sc.new_meeting("sjs", "2013-10-28 17:00")
    sc.schedule(kept.id, "sjs", meeting.id)
    sc.schedule(withdrawn.id, "sjs", meeting.id)
    client = TestClient(create_app(db.url, clock=lambda: berlin("2013-10-01 10:00")))

    def description() -> str:
        calendar = _calendar(client.get("/api/v1/wetzlar/bodies/sjs/calendar.ics"))
        event = next(e for e in calendar.walk("VEVENT") if str(e["UID"]).startswith(f"sitzung-{meeting.id}@"))
        return str(event["DESCRIPTION"])

    assert "Mietvertrag Familie Mustermann" in description()
    depublish_paper(
        db.sessions, actor="test", paper_id=withdrawn.id, reason="Versehen", now=berlin("2013-10-02 10:00")
    )
    assert "Mietvertrag Familie Mustermann" not in description()
    assert "Sanierung der Sporthalle" in description()


def test_a_persons_feed_leaves_out_the_meetings_after_they_left_the_body(db: Database) -> None:
    import datetime as dt

    from sqlalchemy import select

    from workflow.models import Body, Membership, Person

    sc = Scenario(db.sessions)
    before = sc.new_meeting("magistrat", "2013-09-30 09:00")
    after = sc.new_meeting("magistrat", "2013-10-14 09:00")
    with db.sessions.begin() as s:
        membership = s.scalars(
            select(Membership)
            .join(Person, Person.id == Membership.person_id)
            .join(Body, Body.id == Membership.body_id)
            .where(Person.key == "herget", Body.key == "magistrat")
        ).one()
        membership.end_date = dt.date(2013, 10, 1)  # left the Magistrat
    token = create_token(db.sessions, municipality="wetzlar", person="herget", now=berlin("2013-09-01 10:00"))
    client = TestClient(create_app(db.url, clock=lambda: berlin("2013-09-21 10:00")))
    calendar = _calendar(client.get(f"/api/v1/wetzlar/persons/herget/calendar.ics?token={token}"))
    uids = {str(e["UID"]) for e in calendar.walk("VEVENT")}
    assert f"sitzung-{before.id}@gremienlauf.example" in uids
    assert f"sitzung-{after.id}@gremienlauf.example" not in uids


def test_a_non_public_bodys_feed_needs_its_secret_token(db: Database) -> None:
    sc = Scenario(db.sessions)
    meeting = sc.new_meeting("magistrat", "2013-09-30 09:00")
    client = TestClient(create_app(db.url, clock=lambda: berlin("2013-09-01 10:00")))
    refused = client.get("/api/v1/wetzlar/bodies/magistrat/calendar.ics")
    assert refused.status_code == 404
    assert refused.json()["error"] == "not_found"
    assert client.get("/api/v1/wetzlar/bodies/magistrat/calendar.ics?token=falsch").status_code == 404
    token = create_token(
        db.sessions, municipality="wetzlar", body="magistrat", now=berlin("2013-09-01 10:00")
    )
    calendar = _calendar(client.get(f"/api/v1/wetzlar/bodies/magistrat/calendar.ics?token={token}"))
    assert [str(e["UID"]) for e in calendar.walk("VEVENT") if str(e["UID"]).startswith("sitzung-")] == [
        f"sitzung-{meeting.id}@gremienlauf.example"
    ]
    # The token of one body opens no other feed.
    assert client.get(f"/api/v1/wetzlar/bodies/stvv/calendar.ics?token={token}").status_code == 200  # public
    assert client.get(f"/api/v1/wetzlar/persons/dette/calendar.ics?token={token}").status_code == 404


def test_a_persons_feed_shows_the_meetings_of_their_bodies_and_marks_a_cancelled_one(db: Database) -> None:
    sc = Scenario(db.sessions)
    magistrat = sc.new_meeting("magistrat", "2013-09-30 09:00")
    assembly = sc.new_meeting("magistrat", "2013-10-14 09:00")
    meetings.cancel_meeting(
        db.sessions, actor="test", meeting_id=magistrat.id, reason="entfällt", now=berlin("2013-09-20 10:00")
    )
    token = create_token(db.sessions, municipality="wetzlar", person="dette", now=berlin("2013-09-01 10:00"))
    client = TestClient(create_app(db.url, clock=lambda: berlin("2013-09-21 10:00")))
    assert client.get("/api/v1/wetzlar/persons/dette/calendar.ics").status_code == 404
    calendar = _calendar(client.get(f"/api/v1/wetzlar/persons/dette/calendar.ics?token={token}"))
    status = {str(e["UID"]): str(e["STATUS"]) for e in calendar.walk("VEVENT") if "STATUS" in e}
    assert status[f"sitzung-{magistrat.id}@gremienlauf.example"] == "CANCELLED"
    assert status[f"sitzung-{assembly.id}@gremienlauf.example"] == "CONFIRMED"
