"""The meeting page: agenda in its public and non-public part, results, attendance, documents."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response

from api.deps import ReadSession, Town
from api.web import links
from api.web.context import MEETING_TONES, page, principal
from api.web.papers import documents_of
from api.web.session import PageCaller, check_csrf
from api.web.templating import render
from workflow.access import Principal, can_read_paper, can_see_non_public_of
from workflow.meetings import invitation_deadline
from workflow.models import AgendaItem
from workflow.queries import result_text
from workflow.vocabulary import MEETING_STATE_LABELS, MeetingState

router = APIRouter(include_in_schema=False, dependencies=[Depends(check_csrf)])

ATTENDANCE_LABELS = {"present": "anwesend", "absent": "abwesend", "excused": "entschuldigt"}


def _item(session: ReadSession, town_key: str, who: Principal | None, item: AgendaItem) -> dict[str, Any]:
    paper = item.consultation.paper if item.consultation is not None else None
    readable = paper is not None and can_read_paper(session, who, paper)
    return {
        "number": item.number,
        "title": item.title,
        "paper_url": links.paper(town_key, paper) if readable and paper is not None else None,
        "reference": paper.reference if readable and paper is not None else None,
        "late_addition": item.late_addition,
        "result": result_text(item),
    }


@router.get("/{municipality}/sitzungen/{slug}", response_class=HTMLResponse)
def meeting_page(request: Request, town: Town, slug: str, me: PageCaller, session: ReadSession) -> Response:
    who = principal(me)
    meeting = links.meeting_from_slug(session, town.id, slug)
    show_non_public = can_see_non_public_of(session, who, meeting)
    state = MeetingState(meeting.state)
    deadline = None
    if state is MeetingState.planned:  # once invited, the page says when instead
        found = invitation_deadline(session, meeting)
        rule = found.rule.describe() + (f", {found.rule.legal_basis}" if found.rule.legal_basis else "")
        deadline = {"latest_dispatch": found.latest_dispatch, "rule": rule}
    attendance = None
    if show_non_public:
        attendance = [
            {"name": a.person.name, "status": ATTENDANCE_LABELS.get(a.status, a.status)}
            for a in meeting.attendance
        ]
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
            public_items=[_item(session, town.key, who, i) for i in meeting.agenda_items if i.public],
            non_public_items=[_item(session, town.key, who, i) for i in meeting.agenda_items if not i.public]
            if show_non_public
            else [],
            attendance=attendance,
            documents=documents_of(session, town, who, meeting_id=meeting.id),
        ),
    )
