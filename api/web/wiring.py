"""Wiring of the web pages: server-rendered German pages on the same use cases and rules as the JSON API.

``install(app)`` adds the vendored static files (htmx, KERN; no request to another host) and the routers,
one per area. Wiring is written down here, in the order the routes are tried (after the API's).
"""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from api.web import (
    admin_people,
    admin_users,
    agenda,
    alerts,
    auth,
    deadlines,
    documents,
    drafting,
    inbox,
    info,
    invitation,
    live,
    meeting_day,
    meeting_planning,
    meetings,
    member,
    papers,
    planning,
    portal,
    preview,
    start,
)
from api.web.templating import STATIC


def install(app: FastAPI) -> None:
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    for router in (
        auth.router,
        info.router,
        start.router,
        member.router,
        admin_users.router,
        admin_people.router,
        drafting.router,
        planning.router,
        inbox.router,
        deadlines.router,
        preview.router,
        papers.router,
        meeting_planning.router,
        meetings.router,
        agenda.router,
        invitation.router,
        live.router,
        portal.router,
        meeting_day.router,
        alerts.router,
        alerts.one_click,
        documents.router,
    ):
        app.include_router(router)
