"""The pages' Jinja environment (autoescaped) and one render function for pages and their htmx fragments."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import Response
from jinja2_fragments.fastapi import Jinja2Blocks

from api.web import links
from workflow.access import ROLE_LABELS
from workflow.queries import Counts
from workflow.rules import BERLIN

TEMPLATES = Path(__file__).parent / "templates"
STATIC = Path(__file__).parent / "static"

templates = Jinja2Blocks(directory=str(TEMPLATES))
templates.env.autoescape = True  # also for templates whose name does not end in .html
templates.env.trim_blocks = True  # no empty lines and indentation left by block tags: smaller pages
templates.env.lstrip_blocks = True
templates.env.globals["links"] = links
templates.env.globals["ROLE_LABELS"] = ROLE_LABELS

WEEKDAYS = ("Montag", "Dienstag", "Mittwoch", "Donnerstag", "Freitag", "Samstag", "Sonntag")


def _berlin(moment: dt.datetime | None) -> dt.datetime | None:
    return None if moment is None else moment.astimezone(BERLIN)


def date_de(value: dt.datetime | dt.date | None) -> str:
    """30.09.2013 (a datetime in Europe/Berlin)."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        value = value.astimezone(BERLIN)
    return f"{value:%d.%m.%Y}"


def datetime_de(value: dt.datetime | None) -> str:
    """Montag, 30.09.2013, 17:00 Uhr."""
    moment = _berlin(value)
    if moment is None:
        return ""
    return f"{WEEKDAYS[moment.weekday()]}, {moment:%d.%m.%Y}, {moment:%H:%M} Uhr"


def time_de(value: dt.datetime | None) -> str:
    moment = _berlin(value)
    return "" if moment is None else f"{moment:%H:%M} Uhr"


def iso(value: dt.datetime | dt.date | None) -> str:
    if value is None:
        return ""
    return value.astimezone(BERLIN).isoformat() if isinstance(value, dt.datetime) else value.isoformat()


def size_de(size: int) -> str:
    return (
        f"{size / 1024:.0f} KB".replace(".", ",")
        if size < 1024 * 1024
        else f"{size / 1048576:.1f} MB".replace(".", ",")
    )


def votes_de(counts: Counts) -> str:
    """46 Ja, 4 Nein, 1 Enthaltung: the counts of a vote, abstentions always named."""
    abstain = "Enthaltung" if counts.abstain == 1 else "Enthaltungen"
    return f"{counts.yes} Ja, {counts.no} Nein, {counts.abstain} {abstain}"


templates.env.filters.update(
    date_de=date_de, datetime_de=datetime_de, time_de=time_de, iso=iso, size_de=size_de, votes_de=votes_de
)


def render(
    request: Request,
    name: str,
    context: dict[str, Any],
    *,
    block: str | None = None,
    status: int = 200,
) -> Response:
    """The whole page, or, for an htmx request that names ``block``, only that block of the same template
    (so the page and its fragment never diverge)."""
    values = {"request": request, **context}
    if block is not None and request.headers.get("HX-Request") == "true":
        return templates.TemplateResponse(request, name, values, block_name=block, status_code=status)
    return templates.TemplateResponse(request, name, values, status_code=status)
