"""One page of a long list: the rows of page ``number`` and how many there are in all, both from SQL."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

T = TypeVar("T")

#: Rows per page of the office's lists.
PAGE_SIZE = 50


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    #: How many rows the whole list has.
    total: int
    #: This page's number, from 1; a number past the last page is the last page.
    number: int
    size: int = PAGE_SIZE

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.size))

    @property
    def first(self) -> int:
        """The position of the first row shown, from 1 (0 on an empty list)."""
        return (self.number - 1) * self.size + 1 if self.items else 0

    @property
    def last(self) -> int:
        return (self.number - 1) * self.size + len(self.items)


def shown_page(number: int, total: int, size: int = PAGE_SIZE) -> int:
    """The page shown when page ``number`` of a list of ``total`` rows is asked for: below 1 is 1, past the
    last is the last."""
    return min(max(number, 1), max(1, -(-total // size)))


def page_of(session: Session, query: Select[Any], number: int, size: int = PAGE_SIZE) -> Page[Any]:
    """Page ``number`` (``shown_page``) of ``query``, which must be ordered; two statements: the count and
    the page."""
    total = session.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0
    number = shown_page(number, total, size)
    items = list(session.scalars(query.limit(size).offset((number - 1) * size))) if total else []
    return Page(items, total, number, size)
