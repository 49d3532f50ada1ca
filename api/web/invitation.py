"""The invitation page of the coordination office: the Ladungsfrist under the body's rule with the days left,
the shortened period for an urgent invitation where the law allows one, a preview of what the invitation
will say, the generated invitation documents, and issuing it (refused when late unless urgent with a reason:
the use case decides and its message stands next to the field).

The preview is HTML built from the same agenda the invitation document prints (number, title, Drucksachen-Nr.,
late additions, urgency): the pages may not render Word documents themselves (the workers do, in the
background), and an HTML preview is readable with a screen reader; the latest generated Word and PDF
versions, once there are some, are offered for download beside it.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session, defer

from api.deps import Now, ReadSession, Sessions, Town, refresh, release
from api.web import links
from api.web.context import MEETING_TONES, own_town, page
from api.web.session import LoggedIn, check_csrf
from api.web.templating import render
from workflow import meetings
from workflow.access import Principal, Role, require_role
from workflow.errors import DomainError, NotFound, NoticePeriodViolation
from workflow.models import Meeting, Municipality, StoredFile
from workflow.notice import deadline, invitation_deadline
from workflow.queries import meeting_allowed_triggers, papers_of_agenda
from workflow.rules import BERLIN
from workflow.store import profile_of
from workflow.vocabulary import MEETING_STATE_LABELS, PDF_MEDIA_TYPE, MeetingState
from workflow.web_sessions import ActiveSession

router = APIRouter(include_in_schema=False, dependencies=[Depends(check_csrf)])


def _office(me: ActiveSession, town: Municipality, meeting: Meeting) -> Principal:
    """The coordination office of the municipality (or an administrator): the JSON API's rule."""
    if meeting.municipality_id != town.id:
        raise NotFound(f"meeting {meeting.id} not found")
    return require_role(own_town(me, town), Role.coordination)


def days_left(latest: dt.datetime, now: dt.datetime) -> str:
    """'noch 3 Tage', 'noch 1 Tag', 'heute', 'Frist verstrichen' (calendar days in Berlin)."""
    if latest < now:
        return "Frist verstrichen"
    days = (latest.astimezone(BERLIN).date() - now.astimezone(BERLIN).date()).days
    if days == 0:
        return "heute"
    return f"noch {days} Tag{'e' if days != 1 else ''}"


def _deadlines(session: Session, meeting: Meeting, now: dt.datetime) -> dict[str, Any]:
    """The regular deadline and what an urgent invitation could still do."""
    regular = invitation_deadline(session, meeting)
    rule = regular.rule.describe() + (f", {regular.rule.cite()}" if regular.rule.cite() else "")
    out: dict[str, Any] = {
        "latest": regular.latest_dispatch,
        "rule": f"{rule}; {regular.body}",
        "left": days_left(regular.latest_dispatch, now),
        "passed": regular.latest_dispatch < now,
        "urgent": None,
        "urgent_left": None,
        "urgent_refused": None,
    }
    try:
        shortened = deadline(profile_of(session, meeting.municipality_id), meeting, None, urgent=True)
    except NoticePeriodViolation as exc:
        out["urgent_refused"] = exc.german
        return out
    if shortened is None:
        out["urgent_refused"] = "Die Ladungsfrist dieses Gremiums kann nicht abgekürzt werden."
    else:
        basis = shortened.rule.cite()
        out["urgent"] = {
            "latest": shortened.latest_dispatch,
            "rule": shortened.rule.describe() + (f", {basis}" if basis else ""),
            "left": days_left(shortened.latest_dispatch, now),
        }
    return out


def _preview(session: Session, town: Municipality, meeting: Meeting) -> dict[str, Any]:
    papers = papers_of_agenda(session, meeting.id)

    def line(item: Any) -> dict[str, Any]:
        paper = papers.get(item.id)
        return {
            "number": item.number,
            "title": item.title,
            "reference": paper.reference if paper is not None else None,
            "late": item.late_addition,
            "second": item.second_session,
        }

    return {
        "town": town.name,
        "second_session": meeting.second_session,
        "public": [line(i) for i in meeting.agenda_items if i.public],
        "non_public": [line(i) for i in meeting.agenda_items if not i.public],
    }


def _documents(session: Session, town: Municipality, meeting: Meeting) -> list[dict[str, Any]]:
    """The latest generated invitation, as Word and as PDF (the office may read every version); ``stale``
    when the meeting changed after it was made (its agenda is then older than the preview's)."""
    rows = session.scalars(
        select(StoredFile)
        .options(defer(StoredFile.content))
        .where(StoredFile.meeting_id == meeting.id, StoredFile.kind == "invitation")
        .order_by(StoredFile.version.desc(), StoredFile.id)
    ).all()
    latest = rows[0].version if rows else None
    return [
        {
            "url": links.document(town.key, row),
            "name": row.name,
            "format": "PDF" if row.media_type == PDF_MEDIA_TYPE else "Word",
            "version": row.version,
            "stale": row.created_at < meeting.modified_at,
        }
        for row in rows
        if row.version == latest
    ]


def _page(
    request: Request,
    session: Session,
    town: Municipality,
    me: ActiveSession,
    meeting: Meeting,
    now: dt.datetime,
    *,
    errors: dict[str, str] | None = None,
    values: dict[str, Any] | None = None,
    sent: bool = False,
    status: int = 200,
) -> Response:
    _office(me, town, meeting)
    state = MeetingState(meeting.state)
    return render(
        request,
        "invitation.html",
        page(
            me,
            town,
            meeting=meeting,
            bodies=[b.name for b in meeting.bodies],
            state_label=MEETING_STATE_LABELS[state],
            state_tone=MEETING_TONES[state],
            meeting_url=links.meeting(session, town.key, meeting),
            agenda_url=links.meeting_agenda(session, town.key, meeting),
            url=links.meeting_invitation(session, town.key, meeting),
            deadline=_deadlines(session, meeting, now) if state is MeetingState.planned else None,
            may_invite="invite" in meeting_allowed_triggers(meeting, now),
            preview=_preview(session, town, meeting),
            documents=_documents(session, town, meeting),
            errors=errors or {},
            values=values or {},
            sent=sent and state is MeetingState.invited,
        ),
        status=status,
    )


@router.get("/{municipality}/sitzungen/{slug}/einladung")
def invitation_page(
    request: Request,
    town: Town,
    slug: str,
    me: LoggedIn,
    session: ReadSession,
    now: Now,
    versandt: str | None = None,
) -> Response:
    meeting = links.meeting_from_slug(session, town.id, slug)
    return _page(request, session, town, me, meeting, now, sent=versandt == "ja")


@router.post("/{municipality}/sitzungen/{slug}/einladung")
async def invite(
    request: Request, town: Town, slug: str, me: LoggedIn, session: ReadSession, sessions: Sessions, now: Now
) -> Response:
    """Issue the invitation: refused after the Ladungsfrist unless urgent with a reason (the use case decides)."""
    meeting = links.meeting_from_slug(session, town.id, slug)
    who = _office(me, town, meeting)
    form = await request.form()
    urgent = form.get("dringlich") == "ja"
    reason = form.get("begruendung")
    reason = reason.strip() if isinstance(reason, str) else ""
    values = {"dringlich": urgent, "begruendung": reason}
    if urgent and not reason:
        errors = {
            "begruendung": "Bitte begründen Sie die Dringlichkeit; die Begründung steht in der Einladung."
        }
        return _page(request, session, town, me, meeting, now, errors=errors, values=values, status=422)
    url = links.meeting_invitation(session, town.key, meeting)
    release(session)
    try:
        meetings.invite_meeting(
            sessions,
            actor=who.actor,
            meeting_id=meeting.id,
            urgent=urgent,
            urgent_reason=reason or None,
            now=now,
        )
    except DomainError as exc:
        refresh(session)
        meeting = links.meeting_from_slug(session, town.id, slug)
        errors = {"dringlich" if isinstance(exc, NoticePeriodViolation) else "_form": exc.german}
        return _page(request, session, town, me, meeting, now, errors=errors, values=values, status=422)
    return RedirectResponse(url + "?versandt=ja", status_code=303)
