"""What every page's template gets besides its own data, and small view helpers shared by the pages."""

from __future__ import annotations

from typing import Any

from workflow.access import Principal, require_same_municipality
from workflow.models import Municipality
from workflow.vocabulary import MeetingState, PaperState
from workflow.web_sessions import ActiveSession

#: The KERN badge tone of a state (display only; which state a paper is in is the domain's business).
PAPER_TONES = {
    PaperState.draft: "info",
    PaperState.cosigning: "info",
    PaperState.submitted: "info",
    PaperState.in_deliberation: "warning",
    PaperState.adopted: "success",
    PaperState.adopted_amended: "success",
    PaperState.rejected: "danger",
    PaperState.noted: "success",
    PaperState.withdrawn: "danger",
    PaperState.settled: "success",
}
MEETING_TONES = {
    MeetingState.planned: "info",
    MeetingState.invited: "warning",
    MeetingState.held: "success",
    MeetingState.minutes_approved: "success",
    MeetingState.cancelled: "danger",
}


def page(
    me: ActiveSession | None, town: Municipality | None, nav: str | None = None, **values: Any
) -> dict[str, Any]:
    return {"me": me, "town": town, "nav": nav, **values}


def principal(me: ActiveSession | None) -> Principal | None:
    return me.principal if me is not None else None


def own_town(me: ActiveSession, town: Municipality) -> Principal:
    """Staff pages: only for people of this municipality (others get the same 403 as from the API)."""
    require_same_municipality(me.principal, town.id)
    return me.principal
