"""Calendar feeds: one per body and one per person (meetings and invitation deadlines).

A public body's feed is open to everyone; a non-public body's feed and every personal feed need the feed's
secret token (only its SHA-256 is stored). The calendar is built by ``workflow.ical``; the API serves the
feeds and the workers put the same entries into invitations."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from sqlalchemy import select
from sqlalchemy.orm import Session, object_session, sessionmaker

from workflow import ical
from workflow.db import transaction
from workflow.errors import NotFound, RuleViolation
from workflow.models import Body, FeedToken, Meeting, MeetingBody, Membership, Person
from workflow.notice import invitation_deadline
from workflow.publication import public_agenda_items, public_meetings
from workflow.rules import BERLIN, format_berlin
from workflow.store import by_key, municipality_by_key

# Meetings further back than this are left out of a feed (calendar programs fetch the whole feed).
HISTORY = dt.timedelta(days=400)


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(
    sessions: sessionmaker[Session],
    *,
    municipality: str,
    body: str | None = None,
    person: str | None = None,
    now: dt.datetime,
) -> str:
    """A new secret feed token for a body or a person; returns the token (shown once, stored hashed)."""
    if (body is None) == (person is None):
        raise RuleViolation(
            "A feed token is for one body or one person",
            german="Ein Kalender-Zugang gilt für ein Gremium oder eine Person",
        )
    token = secrets.token_urlsafe(24)
    with transaction(sessions) as session:
        town = municipality_by_key(session, municipality)
        row = FeedToken(token_hash=_hash(token), created_at=now)
        if body is not None:
            row.body_id = by_key(session, Body, town.id, body).id
        else:
            row.person_id = by_key(session, Person, town.id, person or "").id
        session.add(row)
    return token


def feed_is_open(body: Body) -> bool:
    """A public body's feed is open to everyone; any other needs its token."""
    return bool(body.public)


def _token_valid(
    session: Session, token: str | None, *, body_id: int | None = None, person_id: int | None = None
) -> bool:
    if not token:
        return False
    row = session.get(FeedToken, _hash(token))
    if row is None or row.revoked_at is not None:
        return False
    return (body_id is not None and row.body_id == body_id) or (
        person_id is not None and row.person_id == person_id
    )


def meeting_entry(meeting: Meeting, public_url: str, municipality: str) -> ical.MeetingEntry:
    """The calendar entry of a meeting; ``municipality`` is the town's key (the API's address has it)."""
    # Only what the public may see (workflow.publication): a body's feed is open, and an invitation's
    # calendar entry may be forwarded.
    session = object_session(meeting)
    assert session is not None, "a meeting loaded in a session"
    published = public_agenda_items(session, (i.id for i in meeting.agenda_items))
    lines = [f"TOP {i.number}: {i.title}" for i in meeting.agenda_items if i.id in published]
    return ical.MeetingEntry(
        meeting_id=meeting.id,
        summary=meeting.name,
        start=meeting.start,
        end=meeting.end,
        location=meeting.location,
        sequence=meeting.sequence,
        cancelled=meeting.state == "cancelled",
        description="\n".join(lines),
        url=f"{public_url.rstrip('/')}/api/v1/{municipality}/meetings/{meeting.id}",
    )


def _build(
    session: Session,
    town: str,
    name: str,
    meetings: list[Meeting],
    public_url: str,
    now: dt.datetime,
) -> bytes:
    entries = [meeting_entry(m, public_url, town) for m in meetings]
    deadlines = []
    for m in meetings:
        if m.state == "planned":
            at = invitation_deadline(session, m).latest_dispatch
            deadlines.append(
                ical.DeadlineEntry(m.id, f"Ladungsfrist: {m.name} (bis {format_berlin(at)})", at)
            )
    return ical.feed(name, entries, deadlines, stamp=now)


def body_feed(
    session: Session,
    *,
    municipality: str,
    body: str,
    token: str | None,
    public_url: str,
    now: dt.datetime,
) -> bytes:
    town = municipality_by_key(session, municipality)
    row = by_key(session, Body, town.id, body)
    if not feed_is_open(row) and not _token_valid(session, token, body_id=row.id):
        # Not "forbidden": a non-public body's feed does not exist for someone without its token.
        raise NotFound(f"No calendar feed for body '{body}'", german="Kein Kalender für dieses Gremium")
    meetings = list(
        session.scalars(
            select(Meeting)
            .join(MeetingBody, MeetingBody.meeting_id == Meeting.id)
            .where(MeetingBody.body_id == row.id, Meeting.start >= now - HISTORY)
            .order_by(Meeting.start)
        )
    )
    if feed_is_open(row) and not _token_valid(session, token, body_id=row.id):
        # The open feed: the published meetings (all of them where the body meets in public).
        shown = public_meetings(session, (m.id for m in meetings))
        meetings = [m for m in meetings if m.id in shown]
    return _build(session, town.key, f"{row.name} – {town.short_name}", meetings, public_url, now)


def person_feed(
    session: Session,
    *,
    municipality: str,
    person: str,
    token: str | None,
    public_url: str,
    now: dt.datetime,
) -> bytes:
    town = municipality_by_key(session, municipality)
    row = by_key(session, Person, town.id, person)
    if not _token_valid(session, token, person_id=row.id):
        raise NotFound(f"No calendar feed for person '{person}'", german="Kein Kalender für diese Person")
    memberships = list(session.scalars(select(Membership).where(Membership.person_id == row.id)))
    candidates = session.scalars(
        select(Meeting)
        .join(MeetingBody, MeetingBody.meeting_id == Meeting.id)
        .where(MeetingBody.body_id.in_({m.body_id for m in memberships}), Meeting.start >= now - HISTORY)
        .order_by(Meeting.start)
        .distinct()
    )
    # Only the meetings of a body the person belongs to on the meeting's day: someone who left the
    # Magistrat does not go on seeing its (non-public) meetings through an old personal feed address.
    meetings = [
        m
        for m in candidates
        if any(
            ms.body_id in {b.id for b in m.bodies} and ms.active_on(m.start.astimezone(BERLIN).date())
            for ms in memberships
        )
    ]
    return _build(session, town.key, f"Sitzungen {row.name}", meetings, public_url, now)
