"""OParl lists: the filter parameters, keyset pages in id order, deleted objects, and the links.

Every list takes ``created_since``, ``created_until``, ``modified_since``, ``modified_until``, ``limit`` and
``omit_internal`` and carries them into every link it gives. Pages are keyset pages on the object id (ids
never change, so a page never shifts while a client walks the list); the cursor is the parameter ``after``.
Deleted (depublished) objects are merged into a list in id order, but only when ``modified_since`` is given.

Date-times are shown in whole seconds, so the filters compare in whole seconds too: ``*_since`` matches an
object whose shown value is at or after it, ``*_until`` one whose shown value is at or before it.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Select, select
from sqlalchemy.orm import InstrumentedAttribute, Session
from sqlalchemy.orm.interfaces import ORMOption
from starlette.datastructures import QueryParams

from api.oparl.format import Urls, date_time
from api.oparl.publisher import deleted_object
from workflow.models import Depublication

DEFAULT_LIMIT = 100
MAX_LIMIT = 1000
ONE_SECOND = dt.timedelta(seconds=1)
LAST_SECOND = dt.datetime.max.replace(microsecond=0, tzinfo=dt.UTC) - ONE_SECOND
FILTERS = ("created_since", "created_until", "modified_since", "modified_until")
MAX_ID = 2_147_483_647  # PostgreSQL integer
# ASCII digits only, no sign, no leading zero: str.isdigit() also accepts '²' and Arabic-Indic digits (which
# int() then refuses or reads as another number), and '0004' would answer under an id differing from the URL.
_POSITIVE = re.compile(r"[1-9][0-9]{0,9}")


def positive_int(raw: str, maximum: int = MAX_ID) -> int | None:
    """``raw`` as a whole number from 1 to ``maximum`` written in canonical ASCII digits, else None."""
    if _POSITIVE.fullmatch(raw) is None:
        return None
    value = int(raw)
    return value if value <= maximum else None


class OparlError(Exception):
    """Answered as the OParl Error object: ``message`` in German for readers, ``debug`` for developers."""

    def __init__(self, status: int, message: str, debug: str) -> None:
        super().__init__(debug)
        self.status, self.message, self.debug = status, message, debug


def _parse_time(name: str, raw: str) -> dt.datetime:
    # A '+' sent unencoded arrives as a space; put it back rather than refuse the client's offset.
    text = raw.strip().replace(" ", "+")
    try:
        value = dt.datetime.fromisoformat(text)
    except ValueError:
        raise OparlError(
            400,
            f"Der Parameter {name} ist kein gültiger Zeitpunkt (z. B. 2013-09-30T17:00:00+02:00)",
            f"{name}: not an ISO 8601 date-time: {raw!r}",
        ) from None
    if value.tzinfo is None:
        raise OparlError(
            400,
            f"Der Parameter {name} braucht eine Zeitzone (z. B. +02:00)",
            f"{name}: a date-time with a UTC offset is required: {raw!r}",
        )
    try:
        utc = value.astimezone(dt.UTC)
    except OverflowError:
        raise OparlError(
            400, f"Der Parameter {name} liegt außerhalb des Kalenders", f"{name}: out of range: {raw!r}"
        ) from None
    # The filters add a second to compare in whole seconds; in the calendar's last second that would
    # overflow, so such a value (e.g. 9999-12-31T23:59:59.999999+00:00, "no limit") is clamped to the one
    # before: nothing is stamped in that second.
    return value if utc <= LAST_SECOND else LAST_SECOND


@dataclass(frozen=True)
class ListQuery:
    created_since: dt.datetime | None = None
    created_until: dt.datetime | None = None
    modified_since: dt.datetime | None = None
    modified_until: dt.datetime | None = None
    limit: int = DEFAULT_LIMIT
    omit_internal: bool = False
    after: str | None = None

    @classmethod
    def parse(cls, params: QueryParams) -> ListQuery:
        values: dict[str, Any] = {}
        for name in FILTERS:
            raw = params.get(name)
            if raw is not None:
                values[name] = _parse_time(name, raw)
        raw_limit = params.get("limit")
        if raw_limit is not None:
            limit = positive_int(raw_limit.strip(), MAX_LIMIT)
            if limit is None:
                raise OparlError(
                    400,
                    f"Der Parameter limit muss eine ganze Zahl von 1 bis {MAX_LIMIT} sein",
                    f"limit: an integer from 1 to {MAX_LIMIT} is required: {raw_limit!r}",
                )
            values["limit"] = limit
        raw_omit = params.get("omit_internal")
        if raw_omit is not None:
            if raw_omit.lower() not in ("true", "false", "1", "0"):
                raise OparlError(
                    400,
                    "Der Parameter omit_internal muss true oder false sein",
                    f"omit_internal: true or false: {raw_omit!r}",
                )
            values["omit_internal"] = raw_omit.lower() in ("true", "1")
        after = params.get("after")
        if after is not None:
            values["after"] = after
        return cls(**values)

    def link_params(self, after: str | None = None) -> dict[str, str]:
        """The query of a link to this list: the filters as given (normalised), and the cursor."""
        out: dict[str, str] = {}
        for name in FILTERS:
            value = getattr(self, name)
            if value is not None:
                out[name] = value.isoformat()
        if self.limit != DEFAULT_LIMIT:
            out["limit"] = str(self.limit)
        if self.omit_internal:
            out["omit_internal"] = "true"
        if after is not None:
            out["after"] = after
        return out

    def after_id(self) -> int:
        if self.after is None:
            return 0
        after = positive_int(self.after)
        if after is None:
            raise OparlError(
                400, "Der Parameter after ist ungültig", f"after: not a valid cursor: {self.after!r}"
            )
        return after

    # ------------------------------------------------------------------ filters
    def time_conditions(self, created: Any, modified: Any) -> list[ColumnElement[bool]]:
        conditions: list[ColumnElement[bool]] = []
        for column, since, until in (
            (created, self.created_since, self.created_until),
            (modified, self.modified_since, self.modified_until),
        ):
            if since is not None:
                conditions.append(column >= _ceil_second(since))
            if until is not None:
                conditions.append(column < until.replace(microsecond=0) + ONE_SECOND)
        return conditions

    def matches(self, created: dt.datetime, modified: dt.datetime) -> bool:
        """The same filters in Python, for the small lists built in memory."""
        modified = max(created, modified)
        for value, since, until in (
            (created, self.created_since, self.created_until),
            (modified, self.modified_since, self.modified_until),
        ):
            if since is not None and value < _ceil_second(since):
                return False
            if until is not None and value >= until.replace(microsecond=0) + ONE_SECOND:
                return False
        return True


def _ceil_second(value: dt.datetime) -> dt.datetime:
    return value if value.microsecond == 0 else value.replace(microsecond=0) + ONE_SECOND


def list_page(
    urls: Urls, url: str, query: ListQuery, data: list[dict[str, Any]], next_after: str | None
) -> dict[str, Any]:
    links = {
        "first": Urls.with_query(url, query.link_params()),
        "self": Urls.with_query(url, query.link_params(query.after)),
    }
    if next_after is not None:
        links["next"] = Urls.with_query(url, query.link_params(next_after))
    return {"data": data, "pagination": {"elementsPerPage": query.limit}, "links": links}


def sql_page(
    session: Session,
    urls: Urls,
    url: str,
    query: ListQuery,
    *,
    model: Any,
    where: Sequence[ColumnElement[bool]],
    serialize: Callable[[list[Any]], list[dict[str, Any]]],
    deleted: tuple[int, str] | None = None,
    options: Sequence[ORMOption] = (),
) -> dict[str, Any]:
    """One keyset page of ``model`` rows matching ``where`` (visibility and municipality), in id order,
    with the deleted objects of type ``deleted = (municipality id, object_type)`` merged in when
    ``modified_since`` is given."""
    after = query.after_id()
    id_column: InstrumentedAttribute[int] = model.id
    statement: Select[Any] = (
        select(model)
        .where(*where, id_column > after, *query.time_conditions(model.created_at, model.modified_at))
        .options(*options)
        .order_by(id_column)
        .limit(query.limit + 1)
    )
    rows = list(session.scalars(statement))
    entries: list[tuple[int, Any, bool]] = [(row.id, row, False) for row in rows]
    if deleted is not None and query.modified_since is not None:
        town_id, object_type = deleted
        tombstones = session.scalars(
            select(Depublication)
            .where(
                Depublication.municipality_id == town_id,
                Depublication.object_type == object_type,
                Depublication.object_id > after,
                *query.time_conditions(Depublication.created_at, Depublication.depublished_at),
            )
            .order_by(Depublication.object_id)
            .limit(query.limit + 1)
        )
        entries.extend((t.object_id, t, True) for t in tombstones)
        entries.sort(key=lambda e: e[0])
    page = entries[: query.limit]
    live = [obj for _, obj, is_deleted in page if not is_deleted]
    serialized = iter(serialize(live)) if live else iter(())
    data = [deleted_object(urls, obj) if is_deleted else next(serialized) for _, obj, is_deleted in page]
    next_after = str(page[-1][0]) if len(entries) > query.limit else None
    return list_page(urls, url, query, data, next_after)


def memory_page(
    urls: Urls,
    url: str,
    query: ListQuery,
    entries: Sequence[tuple[str, dt.datetime, dt.datetime, dict[str, Any]]],
) -> dict[str, Any]:
    """A page of a small list built in memory: ``(sort key, created, modified, object)`` in key order; the
    cursor is the last key of the page."""
    matching = [
        e for e in entries if query.matches(e[1], e[2]) and (query.after is None or e[0] > query.after)
    ]
    page = matching[: query.limit]
    next_after = page[-1][0] if len(matching) > query.limit else None
    return list_page(urls, url, query, [e[3] for e in page], next_after)


__all__ = ["ListQuery", "OparlError", "date_time", "list_page", "memory_page", "positive_int", "sql_page"]
