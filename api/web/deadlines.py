"""The coordination office's deadline overview ("Fristen"): the meetings of the coming weeks, soonest
invitation deadline first, with "überfällig", "heute" or "in n Tagen"; filtered by body and number of weeks
with a stable, shareable address (``/wetzlar/fristen?gremium=stvv&wochen=8``)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from api.deps import Now, ReadSession, Town
from api.web import links
from api.web.context import own_town, page
from api.web.session import LoggedIn, check_csrf
from api.web.templating import render
from workflow.access import Role, require_role
from workflow.deadline_overview import DEFAULT_WEEKS, MAX_WEEKS, DeadlineRow, deadline_overview
from workflow.models import Body, Municipality

router = APIRouter(include_in_schema=False, dependencies=[Depends(check_csrf)])

Key = Annotated[str, Query(max_length=64)]


def marker(row: DeadlineRow) -> tuple[str, str]:
    """The marker of a row and its KERN tone."""
    if row.invited:
        return "eingeladen", "success"
    if row.days_left < 0:
        return "überfällig", "danger"
    if row.days_left == 0:
        return "heute", "warning"
    return ("in 1 Tag" if row.days_left == 1 else f"in {row.days_left} Tagen"), (
        "warning" if row.days_left <= 7 else "info"
    )


def _row(session: Session, town: Municipality, row: DeadlineRow) -> dict[str, Any]:
    text, tone = marker(row)
    outstanding = []
    if row.papers_without_document:
        count = row.papers_without_document
        outstanding.append(f"{count} Vorlage{'' if count == 1 else 'n'} ohne Dokument")
    if row.invitation_document_missing:
        outstanding.append("Einladung noch nicht erzeugt")
    return {
        "url": links.meeting(session, town.key, row.meeting),
        "name": row.meeting.name,
        "bodies": ", ".join(b.name for b in row.meeting.bodies),
        "start": row.meeting.start,
        "latest_dispatch": row.latest_dispatch,
        "marker": text,
        "tone": tone,
        "invited": row.invited,
        "invitation_sent_at": row.meeting.invitation_sent_at,
        "agenda_items": row.agenda_items,
        "outstanding": outstanding,
    }


@router.get("/{municipality}/fristen", response_class=HTMLResponse)
def deadlines_page(
    request: Request,
    town: Town,
    me: LoggedIn,
    session: ReadSession,
    now: Now,
    gremium: Key = "",
    wochen: Annotated[str, Query(max_length=10)] = "",
) -> Response:
    require_role(own_town(me, town), Role.coordination)
    errors: dict[str, str] = {}
    weeks = DEFAULT_WEEKS
    if wochen:
        if wochen.isdigit() and 1 <= int(wochen) <= MAX_WEEKS:
            weeks = int(wochen)
        else:
            errors["wochen"] = f"Bitte geben Sie eine Zahl von 1 bis {MAX_WEEKS} Wochen an."
    bodies = list(session.scalars(select(Body).where(Body.municipality_id == town.id).order_by(Body.name)))
    body = next((b for b in bodies if b.key == gremium), None)  # an unknown key: all bodies
    rows = []
    if not errors:
        rows = deadline_overview(session, town.id, now, weeks=weeks, body_ids=[body.id] if body else None)
        links.prefetch_meetings(session, [r.meeting for r in rows])  # their addresses, in one query
    return render(
        request,
        "fristen.html",
        page(
            me,
            town,
            "deadlines",
            action=links.deadlines(town.key),
            filters={"gremium": body.key if body else "", "wochen": wochen if errors else str(weeks)},
            weeks=weeks,
            errors=errors,
            body_options=[(b.key, b.name) for b in bodies],
            rows=[_row(session, town, r) for r in rows],
            now=now,
        ),
        block="fristen",
        status=422 if errors else 200,
    )
