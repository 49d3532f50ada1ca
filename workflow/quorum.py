"""The quorum of a meeting (Beschlussfähigkeit): established by the chair at the opening, then presumed, even as
members leave, until its lack is formally established on a member's motion (§ 53 Abs. 1 HGO, § 49 Abs. 1
GO NRW, § 65 Abs. 1 NKomVG).

Two use cases, one transaction each: ``establish_quorum`` and ``establish_lack_of_quorum``; ``quorum_status``
reads what the meeting's page and API show the secretary, with a warning as soon as fewer voting members are
present than the quorum needs. The result path (``workflow.result_facts.load_facts``) reads the record.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session, sessionmaker

from workflow.audit import emit, record_audit, snapshot
from workflow.db import transaction
from workflow.errors import Conflict, QuorumNotMet, RuleViolation, TransitionNotAllowed
from workflow.models import AgendaItem, Body, Meeting, MeetingQuorum
from workflow.rules import BERLIN, voters
from workflow.store import body_settings, clock, get, profile_of, seats
from workflow.vocabulary import MEETING_STATE_LABELS, AttendanceStatus, MeetingState

Sessions = sessionmaker[Session]


@dataclass(frozen=True)
class QuorumStatus:
    """One body's quorum at a meeting as the secretary sees it."""

    body_key: str
    present: int  # voting members the attendance lists as present now
    needed: int
    established_at: dt.datetime | None
    established_present: int | None
    lack_established_at: dt.datetime | None
    warning: str | None  # German; set when fewer are present than the quorum needs


def _head_count(session: Session, meeting: Meeting, body: Body) -> tuple[int, int]:
    """(voting members present, the quorum's minimum) of ``body`` at ``meeting``, from the attendance."""
    profile = profile_of(session, meeting.municipality_id)
    present = {a.person_id for a in meeting.attendance if a.status == AttendanceStatus.present}
    body_seats = seats(session, body.id, meeting.start.astimezone(BERLIN).date())
    needed = profile.quorum_for(body_settings(profile, body)).minimum_present(body.statutory_members)
    return len(voters(body_seats, present, set())), needed


def _body_of(meeting: Meeting, body_key: str) -> Body:
    body = next((b for b in meeting.bodies if b.key == body_key), None)
    if body is None:
        raise RuleViolation(
            f"The body '{body_key}' does not meet at '{meeting.name}'",
            german=f"Das Gremium „{body_key}“ tagt nicht in der Sitzung „{meeting.name}“",
            body=body_key,
        )
    return body


def _record(session: Session, meeting: Meeting, body: Body) -> MeetingQuorum | None:
    return session.scalars(
        select(MeetingQuorum).where(MeetingQuorum.meeting_id == meeting.id, MeetingQuorum.body_id == body.id)
    ).one_or_none()


def establish_quorum(
    sessions: Sessions, *, actor: str, meeting_id: int, body: str, now: dt.datetime | None = None
) -> MeetingQuorum:
    """The chair establishes the quorum at the opening; it is refused when the attendance does not carry it."""
    now = clock(now)
    with transaction(sessions) as session:
        meeting = get(session, Meeting, meeting_id, lock=True)
        the_body = _body_of(meeting, body)
        if meeting.state not in (MeetingState.invited, MeetingState.held):
            raise TransitionNotAllowed(
                f"The quorum is established at a meeting that was invited or held; it is '{meeting.state}'",
                german="Die Beschlussfähigkeit wird nur in einer Sitzung festgestellt, zu der eingeladen wurde "
                f"oder die stattfand (diese ist: {MEETING_STATE_LABELS[MeetingState(meeting.state)]})",
                state=meeting.state,
            )
        if _record(session, meeting, the_body) is not None:
            raise Conflict(
                f"The quorum of {the_body.name} at this meeting was already established",
                german=f"Die Beschlussfähigkeit von {the_body.name} wurde in dieser Sitzung schon festgestellt",
            )
        present, needed = _head_count(session, meeting, the_body)
        if present < needed:
            raise QuorumNotMet(
                f"Not quorate: {present} voting members present, at least {needed} needed",
                german=f"Die Beschlussfähigkeit kann nicht festgestellt werden: {present} stimmberechtigte "
                f"Mitglieder anwesend, nötig sind mindestens {needed}",
                present=present,
                needed=needed,
            )
        row = MeetingQuorum(
            meeting_id=meeting.id,
            body_id=the_body.id,
            established_at=now,
            present=present,
            needed=needed,
            established_by=actor,
        )
        session.add(row)
        session.flush()
        record_audit(
            session,
            actor=actor,
            action="quorum.established",
            entity=row,
            now=now,
            after=snapshot(row),
            meeting_id=meeting.id,
        )
        emit(session, "QuorumRecorded", now, meeting_id=meeting.id)
    return row


def establish_lack_of_quorum(
    sessions: Sessions,
    *,
    actor: str,
    meeting_id: int,
    body: str,
    from_item_id: int,
    now: dt.datetime | None = None,
) -> MeetingQuorum:
    """On a member's motion the chair establishes that the body is no longer quorate, from an agenda item on:
    that item and every later one can only be deferred for lack of quorum."""
    now = clock(now)
    with transaction(sessions) as session:
        meeting = get(session, Meeting, meeting_id, lock=True)
        the_body = _body_of(meeting, body)
        row = _record(session, meeting, the_body)
        if row is None:
            raise RuleViolation(
                "The quorum was not established at the opening; there is no quorum whose lack to establish",
                german="Die Beschlussfähigkeit wurde zu Beginn nicht festgestellt",
            )
        if row.lack_established_at is not None:
            raise Conflict(
                f"The lack of quorum of {the_body.name} was already established",
                german=f"Die Beschlussunfähigkeit von {the_body.name} wurde schon festgestellt",
            )
        item = get(session, AgendaItem, from_item_id)
        if item.meeting_id != meeting.id:
            raise RuleViolation(
                f"TOP {item.number} is not on the agenda of '{meeting.name}'",
                german=f"TOP {item.number} steht nicht auf der Tagesordnung der Sitzung „{meeting.name}“",
            )
        before = snapshot(row)
        row.lack_established_at, row.lacking_from_item_id = now, item.id
        session.flush()
        record_audit(
            session,
            actor=actor,
            action="quorum.lack_established",
            entity=row,
            now=now,
            before=before,
            after=snapshot(row),
            meeting_id=meeting.id,
        )
        emit(session, "QuorumRecorded", now, meeting_id=meeting.id)
    return row


def quorum_status(session: Session, meeting: Meeting) -> list[QuorumStatus]:
    """Per body of the meeting: who is present now against the quorum, and what the chair established."""
    statuses = []
    for body in meeting.bodies:
        present, needed = _head_count(session, meeting, body)
        row = _record(session, meeting, body)
        warning = None
        if meeting.attendance and present < needed:
            warning = (
                f"{body.name}: nur {present} stimmberechtigte Mitglieder anwesend, für die Beschlussfähigkeit "
                f"nötig sind {needed}"
                + ("; sie gilt bis zur Feststellung der Beschlussunfähigkeit als gegeben" if row else "")
            )
        statuses.append(
            QuorumStatus(
                body.key,
                present,
                needed,
                row.established_at if row else None,
                row.present if row else None,
                row.lack_established_at if row else None,
                warning,
            )
        )
    return statuses


_FINDING = (  # read for every result: the finding, and the order of the TOP its lack was established at
    select(MeetingQuorum.id, AgendaItem.order.label("lacking_from_order"))
    .outerjoin(AgendaItem, AgendaItem.id == MeetingQuorum.lacking_from_item_id)
    .where(MeetingQuorum.meeting_id == bindparam("meeting_id"), MeetingQuorum.body_id == bindparam("body_id"))
)


def quorum_presumed(session: Session, item: AgendaItem, body_id: int) -> bool | None:
    """For the result of ``item``: True when the body's quorum was established at the opening and its lack not
    established at or before the item; False when it was; None when nothing was established."""
    row = session.execute(_FINDING, {"meeting_id": item.meeting_id, "body_id": body_id}).one_or_none()
    if row is None:
        return None
    return row.lacking_from_order is None or item.order < row.lacking_from_order
