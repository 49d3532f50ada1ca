"""Moving a meeting over HTTP: a planned meeting gets its new date and place; an invited one only within the
notice period of the new date (or urgent with a reason), with a higher SEQUENCE in the calendar feed; the
audit keeps before and after; held and cancelled meetings stay where they were; the Beratungsfolge's order
holds."""

from __future__ import annotations

from typing import Any

from httpx import Response
from icalendar import Calendar
from sqlalchemy import select

from tests.e2e.conftest import Api
from tests.scenario import Scenario, berlin
from workflow import meetings
from workflow.models import AuditEvent, Meeting, OutboxMessage
from workflow.rules import VoteInput
from workflow.vocabulary import Outcome

OFFICE = "wetzlar-koordination"


def expect(response: Response, status: int) -> Any:
    assert response.status_code == status, response.text
    return response.json()


def _feed_event(api: Api, body: str, meeting_id: int) -> Any:
    feed = api.client.get(f"/api/v1/wetzlar/bodies/{body}/calendar.ics")
    assert feed.status_code == 200, feed.text
    return next(
        e
        for e in Calendar.from_ical(feed.content).walk("VEVENT")
        if str(e["UID"]).startswith(f"sitzung-{meeting_id}@")
    )


def test_a_planned_meeting_moves_and_the_audit_keeps_before_and_after(api: Api) -> None:
    sc = Scenario(api.db.sessions)
    meeting = sc.new_meeting("sjs", "2013-10-28 17:00")
    api.clock.set("2013-10-01 10:00")
    moved = expect(
        api.post(
            f"/wetzlar/meetings/{meeting.id}/move",
            as_=OFFICE,
            json={"start": "2013-11-04T18:00:00+01:00", "location": "Altes Rathaus, Sitzungssaal"},
        ),
        200,
    )
    assert moved["start"].startswith("2013-11-04T17:00:00")  # UTC
    assert moved["location"] == "Altes Rathaus, Sitzungssaal"
    assert moved["name"].endswith("am 04.11.2013")
    with api.db.sessions() as s:
        row = s.get_one(Meeting, meeting.id)
        assert row.sequence == 1
        audit = s.scalars(
            select(AuditEvent).where(
                AuditEvent.meeting_id == meeting.id, AuditEvent.action == "meeting.moved"
            )
        ).one()
        assert audit.actor
        assert audit.before is not None
        assert audit.after is not None
        assert audit.before["location"] == "Rathaus"
        assert audit.after["location"] == "Altes Rathaus, Sitzungssaal"
        assert audit.before["start"] != audit.after["start"]
        events = [m.event_type for m in s.scalars(select(OutboxMessage).order_by(OutboxMessage.id))]
        assert events[-1] == "MeetingMoved"
    event = _feed_event(api, "sjs", meeting.id)
    assert event.decoded("DTSTART") == berlin("2013-11-04 18:00")
    assert event.decoded("SEQUENCE") == 1
    assert str(event["LOCATION"]) == "Altes Rathaus, Sitzungssaal"

    # Nothing to change, an end before the start, a start in the past: refused, nothing changed.
    same = expect(api.post(f"/wetzlar/meetings/{meeting.id}/move", as_=OFFICE, json={}), 422)
    assert "unverändert" in same["details"]["german"]
    backwards = {"start": "2013-11-04T18:00:00+01:00", "end": "2013-11-04T17:00:00+01:00"}
    expect(api.post(f"/wetzlar/meetings/{meeting.id}/move", as_=OFFICE, json=backwards), 422)
    past = expect(
        api.post(
            f"/wetzlar/meetings/{meeting.id}/move", as_=OFFICE, json={"start": "2013-09-30T18:00:00+02:00"}
        ),
        422,
    )
    assert "Zukunft" in past["details"]["german"]
    expect(
        api.post(f"/wetzlar/meetings/{meeting.id}/move", as_="wetzlar-fachamt", json={"location": "X"}), 403
    )
    with api.db.sessions() as s:
        assert s.get_one(Meeting, meeting.id).sequence == 1


def test_an_invited_meeting_moves_only_within_the_notice_period_or_urgently_with_a_reason(api: Api) -> None:
    sc = Scenario(api.db.sessions)
    paper = sc.submitted_paper(subject="Spielplatz am Dom", committees=["sjs"])
    meeting = sc.new_meeting("sjs", "2013-10-28 17:00")
    sc.schedule(paper.id, "sjs", meeting.id)
    sc.invite(meeting.id)
    path = f"/wetzlar/meetings/{meeting.id}/move"
    api.clock.set("2013-10-22 10:00")
    earlier = {"start": "2013-10-24T17:00:00+02:00"}
    late = expect(api.post(path, as_=OFFICE, json=earlier), 422)
    assert late["details"]["german"].startswith("Ladungsfrist versäumt: Die Einladung musste bis")
    no_reason = expect(api.post(path, as_=OFFICE, json={**earlier, "urgent": True}), 422)
    assert "Begründung" in no_reason["details"]["german"]
    with api.db.sessions() as s:
        assert (s.get_one(Meeting, meeting.id).sequence, s.get_one(Meeting, meeting.id).urgent) == (0, False)

    reason = "Der Zuschussantrag muss bis 25.10. gestellt sein."
    moved = expect(api.post(path, as_=OFFICE, json={**earlier, "urgent": True, "urgent_reason": reason}), 200)
    assert moved["state"] == "invited"
    with api.db.sessions() as s:
        row = s.get_one(Meeting, meeting.id)
        assert (row.sequence, row.urgent, row.urgent_reason) == (1, True, reason)
        audit = s.scalars(
            select(AuditEvent).where(
                AuditEvent.meeting_id == meeting.id, AuditEvent.action == "meeting.moved"
            )
        ).one()
        assert audit.reason == reason
    event = _feed_event(api, "sjs", meeting.id)
    assert event.decoded("DTSTART") == berlin("2013-10-24 17:00")
    assert event.decoded("SEQUENCE") == 1

    # A later date is within the notice period: no urgency needed.
    expect(api.post(path, as_=OFFICE, json={"start": "2013-11-11T17:00:00+01:00"}), 200)
    assert _feed_event(api, "sjs", meeting.id).decoded("SEQUENCE") == 2


def test_held_and_cancelled_meetings_are_not_moved(api: Api) -> None:
    sc = Scenario(api.db.sessions)
    paper = sc.submitted_paper(subject="Spielplatz am Dom", committees=["sjs"])
    held = sc.deal_with(
        paper.id, "magistrat", "2013-09-30 09:00", Outcome.recommended, VoteInput(12, 0, 0)
    ).meeting_id
    cancelled = sc.new_meeting("sjs", "2013-10-28 17:00")
    meetings.cancel_meeting(
        api.db.sessions,
        actor="test",
        meeting_id=cancelled.id,
        reason="Keine Vorlagen",
        now=berlin("2013-10-01 10:00"),
    )
    api.clock.set("2013-10-02 10:00")
    later = {"start": "2013-11-11T17:00:00+01:00"}
    gone = expect(api.post(f"/wetzlar/meetings/{cancelled.id}/move", as_=OFFICE, json=later), 409)
    assert "wurde abgesagt" in gone["details"]["german"]
    with api.db.sessions() as s:
        assert s.get_one(Meeting, held).state == "held"
    done = expect(api.post(f"/wetzlar/meetings/{held}/move", as_=OFFICE, json=later), 409)
    assert "bereits stattgefunden" in done["details"]["german"]


def test_a_move_that_would_break_the_order_of_the_beratungsfolge_is_refused(api: Api) -> None:
    sc = Scenario(api.db.sessions)
    paper = sc.submitted_paper(subject="Spielplatz am Dom", committees=["sjs"])
    magistrat = sc.new_meeting("magistrat", "2013-10-14 09:00")
    committee = sc.new_meeting("sjs", "2013-10-28 17:00")
    sc.schedule(paper.id, "magistrat", magistrat.id)
    sc.schedule(paper.id, "sjs", committee.id)
    api.clock.set("2013-10-01 10:00")
    refused = expect(
        api.post(
            f"/wetzlar/meetings/{magistrat.id}/move", as_=OFFICE, json={"start": "2013-10-29T09:00:00+01:00"}
        ),
        422,
    )
    assert "spätere Stufe der Beratungsfolge" in refused["details"]["german"]
    expect(
        api.post(
            f"/wetzlar/meetings/{magistrat.id}/move", as_=OFFICE, json={"start": "2013-10-21T09:00:00+02:00"}
        ),
        200,
    )
