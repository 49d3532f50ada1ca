"""iCalendar (RFC 5545) for meetings: invitations, cancellations and the calendar feeds. Pure functions.

A meeting's UID never changes; SEQUENCE is the meeting's ``sequence`` (raised by the use cases on every
change), so calendar programs replace the earlier version instead of adding a second entry.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from icalendar import Alarm, Calendar, Event, vCalAddress, vText

from workflow.rules import BERLIN

PRODID = "-//gremienlauf//Sitzungskalender//DE"
UID_DOMAIN = "gremienlauf.example"


@dataclass(frozen=True)
class MeetingEntry:
    """What a calendar needs of one meeting."""

    meeting_id: int
    summary: str
    start: dt.datetime
    end: dt.datetime | None
    location: str | None
    sequence: int
    cancelled: bool
    description: str = ""
    url: str | None = None


@dataclass(frozen=True)
class DeadlineEntry:
    """An invitation deadline (Ladungsfrist) as an all-but-instant event in a feed."""

    meeting_id: int
    summary: str
    at: dt.datetime


def meeting_uid(meeting_id: int) -> str:
    return f"sitzung-{meeting_id}@{UID_DOMAIN}"


def _calendar(method: str | None, name: str | None = None) -> Calendar:
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    if method:
        cal.add("method", method)
    if name:
        cal.add("x-wr-calname", name)
        cal.add("x-wr-timezone", "Europe/Berlin")
    return cal


def _event(entry: MeetingEntry, stamp: dt.datetime, *, status: str) -> Event:
    event = Event()
    event.add("uid", meeting_uid(entry.meeting_id))
    event.add("dtstamp", stamp.astimezone(dt.UTC))
    event.add("sequence", entry.sequence)
    event.add("summary", entry.summary)
    event.add("dtstart", entry.start.astimezone(BERLIN))
    # A meeting without a planned end is shown with three hours.
    event.add("dtend", (entry.end or entry.start + dt.timedelta(hours=3)).astimezone(BERLIN))
    if entry.location:
        event.add("location", entry.location)
    if entry.description:
        event.add("description", entry.description)
    if entry.url:
        event.add("url", entry.url)
    event.add("status", status)
    return event


def invitation(
    entry: MeetingEntry, *, organizer: str, attendee: str, attendee_name: str, stamp: dt.datetime
) -> bytes:
    """METHOD:REQUEST for one attendee, or METHOD:CANCEL with STATUS:CANCELLED for a cancelled meeting."""
    cal = _calendar("CANCEL" if entry.cancelled else "REQUEST")
    event = _event(entry, stamp, status="CANCELLED" if entry.cancelled else "CONFIRMED")
    event.add("organizer", vCalAddress(f"mailto:{organizer}"))
    person = vCalAddress(f"mailto:{attendee}")
    person.params["cn"] = vText(attendee_name)
    person.params["role"] = vText("REQ-PARTICIPANT")
    person.params["partstat"] = vText("NEEDS-ACTION")
    person.params["rsvp"] = vText("FALSE")
    event.add("attendee", person, encode=False)
    cal.add_component(event)
    _add_timezone(cal)
    return bytes(cal.to_ical())


def feed(
    name: str, meetings: Iterable[MeetingEntry], deadlines: Iterable[DeadlineEntry], *, stamp: dt.datetime
) -> bytes:
    """A subscribable calendar: meetings (cancelled ones stay, marked cancelled) and invitation deadlines."""
    cal = _calendar(None, name)
    for entry in meetings:
        event = _event(entry, stamp, status="CANCELLED" if entry.cancelled else "CONFIRMED")
        if not entry.cancelled:
            alarm = Alarm()
            alarm.add("action", "DISPLAY")
            alarm.add("description", entry.summary)
            alarm.add("trigger", dt.timedelta(days=-1))
            event.add_component(alarm)
        cal.add_component(event)
    for deadline in deadlines:
        event = Event()
        event.add("uid", f"ladungsfrist-{deadline.meeting_id}@{UID_DOMAIN}")
        event.add("dtstamp", stamp.astimezone(dt.UTC))
        event.add("summary", deadline.summary)
        # An instant: DTSTART without DTEND (RFC 5545 3.6.1). DTEND equal to DTSTART is invalid: DTEND
        # "MUST be later in time" (3.8.2.2), and strict calendar programs refuse the whole feed for it.
        event.add("dtstart", deadline.at.astimezone(BERLIN))
        event.add("transp", "TRANSPARENT")
        cal.add_component(event)
    _add_timezone(cal)
    return bytes(cal.to_ical())


def _add_timezone(cal: Calendar) -> None:
    """Add the VTIMEZONE of Europe/Berlin that the TZID parameters refer to."""
    cal.add_missing_timezones()
