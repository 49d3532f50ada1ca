"""Paging of long lists in the address (``?seite=2``; a list paged by a cursor: ``?weiter=…``): read the page
a person or an old link asked for (one that is none shows the first page with a German notice), and the links
to the neighbouring pages, which keep every filter."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from api.paper_search import decode_cursor
from workflow.errors import DomainError
from workflow.paging import Page


def page_number(raw: str) -> tuple[int, str | None]:
    """The page asked for (from 1) and, when ``raw`` is no page number, the German notice why page 1 is
    shown instead. A number past the last page shows the last page (``workflow.paging.page_of``)."""
    text = raw.strip()
    if not text:
        return 1, None
    if text.isdigit() and len(text) < 10 and int(text) >= 1:
        return int(text), None
    return 1, f"„{text[:20]}“ ist keine Seitenzahl; angezeigt wird Seite 1."


def page_cursor(raw: str) -> tuple[str | None, str | None]:
    """The cursor of a list paged by "Weitere …" links (None: its first page) and, when ``raw`` is no cursor
    one of its pages gave, the German notice why the first page is shown instead."""
    if not raw:
        return None, None
    try:
        decode_cursor(raw)
    except DomainError:
        return None, f"„{raw[:20]}“ ist keine gültige Seitenangabe; angezeigt wird die erste Seite."
    return raw, None


@dataclass(frozen=True)
class Pager:
    """What the pager of a list shows: ``1–50 von 3.412``, Seite n von m, the links back and on."""

    first: str
    last: str
    total: str
    number: int
    pages: int
    previous_url: str | None
    next_url: str | None
    notice: str | None


def thousands(count: int) -> str:
    """``3.412``: the German thousands separator."""
    return f"{count:,}".replace(",", ".")


def pager(page: Page[Any], url: Callable[[int], str], notice: str | None = None) -> Pager:
    """``url(n)``: the address of page ``n`` with the list's filters."""
    return Pager(
        first=thousands(page.first),
        last=thousands(page.last),
        total=thousands(page.total),
        number=page.number,
        pages=page.pages,
        previous_url=url(page.number - 1) if page.number > 1 else None,
        next_url=url(page.number + 1) if page.number < page.pages else None,
        notice=notice,
    )
