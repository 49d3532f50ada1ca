"""The meeting page: agenda in its public and non-public part, results, attendance, documents."""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload, load_only, object_session, selectinload

from api.deps import Now, ReadSession, Town
from api.web import links
from api.web.context import MEETING_TONES, page, principal
from api.web.meeting_planning import office_actions
from api.web.papers import documents_of
from api.web.session import PageCaller, check_csrf
from api.web.templating import render
from workflow.access import (
    Principal,
    Role,
    can_read_paper,
    can_see_meeting,
    can_see_non_public_of,
    require_record_for,
    require_role,
    require_same_municipality,
    visible_agenda_item_ids,
)
from workflow.errors import DomainError
from workflow.models import AgendaItem, Attendance, Consultation, ItemResult, Meeting, Municipality, Paper
from workflow.notice import invitation_deadline
from workflow.portal import results_provisional
from workflow.publication import public_meetings
from workflow.queries import AgendaLine, agenda_lines, meeting_allowed_triggers
from workflow.store import not_found
from workflow.vocabulary import MEETING_STATE_LABELS, MeetingState
from workflow.web_sessions import ActiveSession

router = APIRouter(include_in_schema=False, dependencies=[Depends(check_csrf)])

ATTENDANCE_LABELS = {"present": "anwesend", "absent": "abwesend", "excused": "entschuldigt"}


#: The columns of a TOP's paper that the meeting page reads: its link and ``can_read_paper``'s rule (whatever
#: else the rule asks of a paper, e.g. a council member's steps of a non-public one, is read when asked).
PAPER_COLUMNS = (
    Paper.id,
    Paper.reference,
    Paper.municipality_id,
    Paper.state,
    Paper.public,
    Paper.department_id,
)


def _item(
    session: ReadSession, town_key: str, who: Principal | None, line: AgendaLine, paper: Paper | None
) -> dict[str, Any]:
    readable = paper is not None and can_read_paper(session, who, paper)
    return {
        "number": line.number,
        "title": line.title,
        "paper_url": links.paper(town_key, paper) if readable and paper is not None else None,
        "reference": paper.reference if readable and paper is not None else None,
        "late_addition": line.late_addition,
        "result": line.result,
    }


def _papers(session: Session, lines: list[AgendaLine]) -> dict[int, Paper]:
    """The papers of the TOPs, with the columns ``PAPER_COLUMNS`` only."""
    ids = {line.paper_id for line in lines if line.paper_id is not None}
    if not ids:
        return {}
    query = select(Paper).where(Paper.id.in_(ids)).options(load_only(*PAPER_COLUMNS))
    return {paper.id: paper for paper in session.scalars(query)}


def load_agenda(session: Session, meeting: Meeting, *, with_attendance: bool = True) -> None:
    """The agenda with each TOP's paper and result (and, ``with_attendance``, the attendance with each person),
    in a few queries instead of a few per TOP and one per person. The papers' long texts are not read: the
    agenda shows their Drucksachen-Nr. and links."""
    agenda = selectinload(Meeting.agenda_items).options(
        joinedload(AgendaItem.consultation)
        .joinedload(Consultation.paper)
        .defer(Paper.proposed_resolution)
        .defer(Paper.justification)
        .defer(Paper.resolution_text),
        joinedload(AgendaItem.result).selectinload(ItemResult.votes),
    )
    options = [agenda, selectinload(Meeting.attendance).selectinload(Attendance.person)]
    session.scalars(
        select(Meeting).where(Meeting.id == meeting.id).options(*options[: 2 if with_attendance else 1])
    ).one()


def open_data_of(request: Request, meeting: Meeting) -> str | None:
    """The meeting in OParl, if it is published there."""
    session = object_session(meeting)
    if session is None or meeting.id not in public_meetings(session, [meeting.id]):
        return None
    return str(request.app.state.oparl_urls.meeting(meeting.id))


def _may_invite(who: Principal | None, meeting: Meeting, now: dt.datetime | None = None) -> bool:
    """The coordination office of the municipality (with ``now``: while the meeting machine allows inviting)."""
    if who is None or (now is not None and "invite" not in meeting_allowed_triggers(meeting, now)):
        return False
    try:
        require_same_municipality(require_role(who, Role.coordination), meeting.municipality_id)
    except DomainError:
        return False
    return True


def _may_record(who: Principal | None, meeting: Meeting) -> bool:
    """A secretary of one of the meeting's bodies (the JSON API's rule): the meeting day is theirs."""
    try:
        require_record_for(who, meeting)
    except DomainError:
        return False
    return True


def _page(
    request: Request,
    session: Session,
    town: Municipality,
    me: ActiveSession | None,
    meeting: Meeting,
    now: dt.datetime,
    *,
    errors: dict[str, str] | None = None,
    values: dict[str, Any] | None = None,
    status: int = 200,
) -> Response:
    who = principal(me)
    if not can_see_meeting(session, who, meeting):
        raise not_found("meeting", meeting.id)
    show_non_public = can_see_non_public_of(session, who, meeting)
    lines = agenda_lines(session, meeting)
    shown = visible_agenda_item_ids(session, who, meeting, [line.id for line in lines])
    items = [line for line in lines if line.id in shown]
    papers = _papers(session, items)
    state = MeetingState(meeting.state)
    deadline = None
    if state is MeetingState.planned:  # once invited, the page says when instead
        found = invitation_deadline(session, meeting)
        rule = found.rule.describe() + (f", {found.rule.legal_basis}" if found.rule.legal_basis else "")
        deadline = {
            "latest_dispatch": found.latest_dispatch,
            "rule": rule,
            "passed": found.latest_dispatch < now,
        }
    attendance = None
    if show_non_public:
        attendance = [
            {"name": a.person.name, "status": ATTENDANCE_LABELS.get(a.status, a.status)}
            for a in session.scalars(
                select(Attendance)
                .where(Attendance.meeting_id == meeting.id)
                .options(joinedload(Attendance.person))
                .order_by(Attendance.id)
            )
        ]
    open_data = open_data_of(request, meeting)
    live_url = None
    if open_data is not None and state is not MeetingState.cancelled:  # public meetings only
        live_url = links.meeting(session, town.key, meeting) + "/live"
    return render(
        request,
        "meeting.html",
        page(
            me,
            town,
            meeting=meeting,
            bodies=[b.name for b in meeting.bodies],
            state_label=MEETING_STATE_LABELS[state],
            state_tone=MEETING_TONES[state],
            deadline=deadline,
            show_non_public=show_non_public,
            public_items=[
                _item(session, town.key, who, i, papers.get(i.paper_id or 0)) for i in items if i.public
            ],
            non_public_items=[
                _item(session, town.key, who, i, papers.get(i.paper_id or 0)) for i in items if not i.public
            ],
            attendance=attendance,
            documents=documents_of(session, town, who, meeting_id=meeting.id),
            may_invite=_may_invite(who, meeting, now),
            meeting_day_url=links.meeting(session, town.key, meeting) + "/sitzungsdienst"
            if _may_record(who, meeting)
            else None,
            invite_url=links.meeting_invitation(session, town.key, meeting),
            agenda_url=links.meeting_agenda(session, town.key, meeting)
            if _may_invite(who, meeting)
            else None,
            office_actions=office_actions(session, town, who, meeting, now),
            provisional=results_provisional(meeting) and any(i.has_result for i in items),
            open_data=open_data,
            live_url=live_url,
            errors=errors or {},
            values=values or {},
        ),
        status=status,
    )


@router.get("/{municipality}/sitzungen/{slug}", response_class=HTMLResponse)
def meeting_page(
    request: Request, town: Town, slug: str, me: PageCaller, session: ReadSession, now: Now
) -> Response:
    return _page(request, session, town, me, links.meeting_from_slug(session, town.id, slug), now)
