"""The paper lists and the search: which papers a caller may see and that match the filters, one keyset page
at a time, newest first or by date (the JSON API's list, the search page, the portal's Atom feed, a council
member's papers); and ``keyset_page``, the same paging by id for the meeting list."""

from __future__ import annotations

import base64
import datetime as dt
from collections.abc import Sequence
from enum import StrEnum
from typing import Any

from sqlalchemy import ColumnElement, Select, UnaryExpression, exists, func, select, text, tuple_
from sqlalchemy.orm import InstrumentedAttribute, Session
from sqlalchemy.orm.interfaces import ORMOption

from workflow.access import Principal, Role, non_public_body_ids, sees_as_public
from workflow.errors import RuleViolation
from workflow.models import Body, Consultation, Cosignature, Department, Municipality, Paper
from workflow.publication import DECISION_STATES, DRAFT_STATES, decided_in_private_clause
from workflow.search import matches
from workflow.store import by_key
from workflow.vocabulary import PaperState


def _invalid_cursor() -> RuleViolation:
    return RuleViolation(
        "Invalid cursor; use the next_cursor of the previous page",
        german="Die Seitenangabe („weiter“) gehört zu keiner Seite dieser Liste; bitte die Suche neu beginnen.",
    )


def encode_cursor(value: int) -> str:
    return base64.urlsafe_b64encode(str(value).encode()).decode()


def decode_cursor(cursor: str | None) -> int | None:
    if cursor is None:
        return None
    try:
        value = int(base64.urlsafe_b64decode(cursor.encode()).decode())
    except (ValueError, UnicodeDecodeError):
        raise _invalid_cursor() from None
    if not 0 < value <= 2_147_483_647:
        raise _invalid_cursor()
    return value


def keyset_page(
    session: Session,
    query: Select[Any],
    id_column: InstrumentedAttribute[int],
    cursor: str | None,
    limit: int,
) -> tuple[list[Any], str | None]:
    """One page, newest id first, after the cursor; and the cursor of the next page (None on the last)."""
    after = decode_cursor(cursor)
    if after is not None:
        query = query.where(id_column < after)
    rows = list(session.scalars(query.order_by(id_column.desc()).limit(limit + 1)))
    more = len(rows) > limit
    rows = rows[:limit]
    return rows, encode_cursor(getattr(rows[-1], id_column.key)) if more and rows else None


class PaperOrder(StrEnum):
    """The order of a list of papers. Each ends in the id, so that its pages never skip or repeat a paper."""

    newest = "newest"  # the most recently entered first
    date_desc = "date_desc"  # by the date of the paper, the latest first
    date_asc = "date_asc"  # by the date of the paper, the earliest first


def _encode_dated(order: PaperOrder, day: dt.date, paper_id: int) -> str:
    return base64.urlsafe_b64encode(f"{order.value}/{day.isoformat()}/{paper_id}".encode()).decode()


def _decode_dated(order: PaperOrder, cursor: str) -> tuple[dt.date, int]:
    try:
        given, day, paper_id = base64.urlsafe_b64decode(cursor.encode()).decode().split("/")
        after = dt.date.fromisoformat(day), int(paper_id)
    except ValueError:  # also a cursor of the newest-first order, and text that is no base64 or no UTF-8
        raise _invalid_cursor() from None
    if given != order.value or not 0 < after[1] <= 2_147_483_647:  # the other direction's cursor
        raise _invalid_cursor()
    return after


def cursor_after(paper: Paper, order: PaperOrder) -> str:
    """The cursor of the page that follows ``paper`` in ``order``."""
    if order is PaperOrder.newest:
        return encode_cursor(paper.id)
    return _encode_dated(order, paper.paper_date, paper.id)


def paper_page(
    session: Session,
    query: Select[Any],
    order: PaperOrder,
    cursor: str | None,
    limit: int,
    load: Sequence[ORMOption] = (),
    *,
    words: ColumnElement[bool] | None = None,
    skip_ahead: bool = False,
) -> tuple[list[Paper], str | None]:
    """One page of the papers of ``query`` in ``order`` after the cursor, and the cursor of the next page
    (None on the last).

    One statement that finds the page's ids first and then reads those papers: the ids come from an index
    that also holds the columns the filters test (``ix_paper_listing``, ``ix_paper_dated``), so PostgreSQL
    passes over the papers a filter leaves out without reading them (a date range from five years ago
    skipped 33,500 newer papers row by row in 18 ms; in the index, in 5 ms). ``words`` is the full-text
    condition, if any; ``skip_ahead`` (the search gives it with an end date) starts reading the texts at
    the newest paper that passes the other filters.
    """
    ids = query.with_only_columns(Paper.id)
    keys: list[UnaryExpression[Any]]
    if order is PaperOrder.newest:
        keys = [Paper.id.desc()]
        after = decode_cursor(cursor)
        if after is not None:
            ids = ids.where(Paper.id < after)
    else:
        earliest_first = order is PaperOrder.date_asc
        keys = (
            [Paper.paper_date.asc(), Paper.id.asc()]
            if earliest_first
            else [Paper.paper_date.desc(), Paper.id.desc()]
        )
        if cursor is not None:
            position = tuple_(Paper.paper_date, Paper.id)
            mark = tuple_(*_decode_dated(order, cursor))
            ids = ids.where(position > mark if earliest_first else position < mark)
    if words is not None:
        if skip_ahead and order is PaperOrder.newest:
            # The words are tested on the paper's texts, not in an index that keeps the id order: PostgreSQL
            # would read every newer paper before the first one of an end date in the past. The newest
            # paper that passes the other filters, found in the index, is where the reading starts.
            first = ids.order_by(Paper.id.desc()).limit(1).scalar_subquery()
            ids = ids.where(Paper.id <= first)
        ids = ids.where(words)
    chosen = ids.order_by(*keys).limit(limit + 1)
    statement = select(Paper).where(Paper.id.in_(chosen)).options(*load).order_by(*keys)
    if session.get_bind().dialect.name != "postgresql":
        rows = list(session.scalars(statement))
    else:
        # Planned for its values each time: the best plan depends on them (a rare word or a frequent one, a
        # cursor near the start or deep), and the generic plan a prepared statement falls back to after five
        # runs, made without them, guesses (a frequent word with a date range, deep: 3 -> 14 ms).
        session.execute(text("SET LOCAL plan_cache_mode = force_custom_plan"))
        rows = list(session.scalars(statement))
        session.execute(text("SET LOCAL plan_cache_mode TO DEFAULT"))
    if len(rows) <= limit:
        return rows, None
    next_cursor = cursor_after(rows[limit - 1], order)
    return rows[:limit], next_cursor


def search_papers(
    session: Session,
    town: Municipality,
    who: Principal | None,
    *,
    states: Sequence[str] = (),
    kind: str | None = None,
    body: str | None = None,
    department: str | None = None,
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
    q: str | None = None,
    order: PaperOrder = PaperOrder.newest,
    limit: int = 50,
    cursor: str | None = None,
    body_ids: Sequence[int] | None = None,
) -> tuple[list[Paper], str | None]:
    """The papers ``who`` may see that match every filter given, one keyset page (the list route and the
    search page)."""
    query = paper_query(
        session,
        town,
        who,
        states=states,
        kind=kind,
        body=body,
        department=department,
        date_from=date_from,
        date_to=date_to,
        body_ids=body_ids,
    )
    words = word_condition(session, q)
    return paper_page(session, query, order, cursor, limit, words=words, skip_ahead=date_to is not None)


def paper_query(
    session: Session,
    town: Municipality,
    who: Principal | None,
    *,
    states: Sequence[str] = (),
    kind: str | None = None,
    body: str | None = None,
    department: str | None = None,
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
    body_ids: Sequence[int] | None = None,
) -> Select[Paper]:
    """The query of ``search_papers``: the papers ``who`` may see that match every filter given but the
    search words (``word_condition``, which ``paper_page`` adds)."""
    query: Select[Paper] = select(Paper).where(Paper.municipality_id == town.id)
    query = _visible(query, session, who, town.id)
    if states:
        query = query.where(Paper.state.in_(list(states)))
        if sees_as_public(who, town.id) and {PaperState(s) for s in states} & DECISION_STATES:
            # The public does not learn a decision taken in private by filtering for it either.
            query = query.where(
                ~(Paper.state.in_([s.value for s in DECISION_STATES]) & decided_in_private_clause())
            )
    if kind:
        query = query.where(Paper.kind == kind)
    if department:
        query = query.where(Paper.department_id == by_key(session, Department, town.id, department).id)
    if body:
        body_id = by_key(session, Body, town.id, body).id
        query = query.where(
            Paper.id.in_(select(Consultation.paper_id).where(Consultation.body_id == body_id))
        )
    if body_ids is not None:  # a step at one of these bodies (a council member's own bodies)
        query = query.where(
            exists(
                select(Consultation.id).where(
                    Consultation.paper_id == Paper.id, Consultation.body_id.in_(list(body_ids))
                )
            )
        )
    if date_from:
        query = query.where(Paper.paper_date >= date_from)
    if date_to:
        query = query.where(Paper.paper_date <= date_to)
    return query


def word_condition(session: Session, q: str | None) -> ColumnElement[bool] | None:
    """The full-text condition of the search words ``q`` (None: no words given)."""
    if not q or not q.strip():
        return None
    if "\x00" in q:
        raise RuleViolation("The search text must not contain NUL characters")
    return matches(q, session.get_bind().dialect.name)


def count_up_to(session: Session, query: Select[Paper], cap: int) -> int:
    """How many papers ``query`` finds, counted up to ``cap`` (an exact total of a long list would read
    every paper it finds)."""
    first = query.with_only_columns(Paper.id).order_by(Paper.id.desc()).limit(cap).subquery()
    return session.scalar(select(func.count()).select_from(first)) or 0


def _visible(query, session: Session, who: Principal | None, town_id: int):  # type: ignore[no-untyped-def]
    """The same rule as ``workflow.access.can_read_paper``, as a WHERE clause for lists."""
    published = Paper.state.not_in([s.value for s in DRAFT_STATES])
    if who is None or who.municipality_id != town_id:
        return query.where(Paper.public.is_(True), published)
    if who.role in (Role.admin, Role.coordination):
        return query
    if who.role is Role.department:
        cosigning = Paper.id.in_(
            select(Cosignature.paper_id).where(Cosignature.department_id == who.department_id)
        )
        return query.where(published | (Paper.department_id == who.department_id) | cosigning)
    if who.role is Role.secretary:
        return query.where(published)
    bodies = non_public_body_ids(session, who)
    # A correlated EXISTS that refers to the outer paper is evaluated per non-public paper only; the
    # equivalent ``paper.id IN (SELECT …)`` made PostgreSQL hash every step of those bodies per request
    # (docs/benchmarks.md: 64–69 ms p95 before, 13–17 ms after).
    of_my_bodies = exists(
        select(Consultation.id).where(
            Consultation.paper_id == Paper.id,
            Consultation.body_id.in_(bodies),
            Paper.public.is_(False),
        )
    )
    return query.where(published, Paper.public.is_(True) | of_my_bodies)
