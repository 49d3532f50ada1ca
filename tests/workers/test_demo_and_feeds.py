"""The embedded default end to end (the demo makes documents and mails with no server running) and the
calendar feeds over HTTP."""

from __future__ import annotations

import email
import email.policy
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from icalendar import Calendar
from typer.testing import CliRunner

from api.app import create_app
from gremienlauf.cli import app
from tests.conftest import Database
from tests.scenario import Scenario, berlin
from workflow import meetings
from workflow.feeds import create_token
from workflow.publication import depublish_paper


def test_the_demo_produces_documents_and_mails_in_folders_and_says_where_in_german(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    for name in ("GREMIENLAUF_SMTP_HOST", "GREMIENLAUF_REDIS_URL", "GREMIENLAUF_MAIL_DIR"):
        monkeypatch.delenv(name, raising=False)
    result = CliRunner().invoke(app, ["demo"])
    assert result.exit_code == 0, result.output
    assert "E-Mails:" in result.output
    assert "als .eml-Dateien in var/mail/" in result.output
    assert "Dokumente:" in result.output
    assert "var/dokumente/<Kommune>/" in result.output
    mails = [
        email.message_from_bytes(p.read_bytes(), policy=email.policy.default)
        for p in (tmp_path / "var" / "mail").glob("*.eml")
    ]
    subjects = [str(m["Subject"]) for m in mails]
    assert "Einladung: Sitzung Stadtverordnetenversammlung am 27.11.2013" in subjects
    assert any(s.startswith("Ergebnis der Beratung: Drucksache 1562/13") for s in subjects)
    assert (tmp_path / "var" / "dokumente" / "wetzlar" / "Beschlussvorlage 1562-13.docx").exists()


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
