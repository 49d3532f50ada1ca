"""Pages of information: the Erklärung zur Barrierefreiheit (BITV 2.0 § 7)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request, Response
from sqlalchemy import select

from api.deps import ReadSession
from api.web import links
from api.web.session import PageCaller, check_csrf
from api.web.templating import render
from workflow.models import Municipality

router = APIRouter(include_in_schema=False, dependencies=[Depends(check_csrf)])

#: When the statement was last checked against the pages (update it with the statement).
REVIEWED = "07.12.2026"


@router.get(links.ACCESSIBILITY)
def accessibility(request: Request, me: PageCaller, session: ReadSession) -> Response:
    town = (
        session.scalars(select(Municipality).where(Municipality.id == me.principal.municipality_id)).one()
        if me is not None
        else None
    )
    return render(request, "accessibility.html", {"me": me, "town": town, "reviewed": REVIEWED})
