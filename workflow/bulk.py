"""Writing many rows with one statement per table, for use cases that write in batches (recording results).

A driver executes an ``executemany`` once per row (psycopg pipelines them, but each row still costs a
Bind/Execute and its parameter conversion). On PostgreSQL the rows go instead as one array per column,
unpacked by ``unnest``: one statement, one execution, whatever the number of rows, and a statement text
that never changes (so it stays prepared). SQLite's ``executemany`` runs in C within the process and is
kept. Types are SQLAlchemy's: the arrays carry the columns' own types, so datetimes and JSON are
converted as in any other statement.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import cache
from typing import Any

from sqlalchemy import Connection, Insert, Table, Update, bindparam, func, insert, or_, select, update
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.sql.dml import ReturningInsert


def insert_many(conn: Connection, table: Table, rows: Sequence[Mapping[str, Any]]) -> None:
    """INSERT ``rows`` (all with the same keys) into ``table``."""
    if not rows:
        return
    columns = tuple(rows[0])
    if conn.dialect.name == "postgresql":
        conn.execute(_unnest_insert(table, columns), _arrays(rows, columns))
    else:
        conn.execute(insert(table), list(rows))


def insert_many_with_ids(conn: Connection, table: Table, rows: Sequence[Mapping[str, Any]]) -> list[int]:
    """INSERT ``rows`` into ``table``; their new ids, in the rows' order.

    On PostgreSQL one statement: the arrays are unpacked with their position and inserted in that order,
    so the table's sequence numbers them in that order too; the ids returned, sorted, are therefore the
    rows' (the same guarantee SQLAlchemy's own ordered ``RETURNING`` relies on). SQLite uses SQLAlchemy's
    ``RETURNING`` in parameter order."""
    if not rows:
        return []
    if conn.dialect.name == "postgresql":
        columns = tuple(rows[0])
        ids: list[int] = list(conn.execute(_ordered_insert(table, columns), _arrays(rows, columns)).scalars())
        return sorted(ids)
    returning = insert(table).returning(table.c.id, sort_by_parameter_order=True)
    return list(conn.execute(returning, list(rows)).scalars())


@cache
def _ordered_insert(table: Table, columns: tuple[str, ...]) -> ReturningInsert[Any]:
    first = bindparam(f"a_{columns[0]}", type_=ARRAY(table.c[columns[0]].type))
    given = (
        _unnested(table, columns)
        .add_columns(func.generate_subscripts(first, 1).label("position_"))
        .subquery()
    )
    in_order = select(*(given.c[key] for key in columns)).order_by(given.c.position_)
    return insert(table).from_select(list(columns), in_order).returning(table.c.id)


def update_many(
    conn: Connection, table: Table, rows: Sequence[Mapping[str, Any]], *, bump_version: bool
) -> None:
    """UPDATE the rows of ``table`` named by each row's ``id`` with its other values; with ``bump_version``
    the ``version`` column is raised by one (the ORM's optimistic version counter). As with the ORM, a row
    whose values are all the same already is not written (and keeps its version)."""
    if not rows:
        return
    columns = tuple(rows[0])
    if "id" not in columns:
        raise ValueError("update_many needs the id of every row")
    if conn.dialect.name == "postgresql":
        conn.execute(_unnest_update(table, columns, bump_version), _arrays(rows, columns))
    else:
        conn.execute(
            _bound_update(table, columns, bump_version),
            [{f"b_{key}": row[key] for key in columns} for row in rows],
        )


def _arrays(rows: Sequence[Mapping[str, Any]], columns: tuple[str, ...]) -> dict[str, list[Any]]:
    return {f"a_{key}": [row[key] for row in rows] for key in columns}


def _unnested(table: Table, columns: tuple[str, ...]) -> Any:
    return select(
        *(func.unnest(bindparam(f"a_{key}", type_=ARRAY(table.c[key].type))).label(key) for key in columns)
    )


@cache
def _unnest_insert(table: Table, columns: tuple[str, ...]) -> Insert:
    return insert(table).from_select(list(columns), _unnested(table, columns))


@cache
def _unnest_update(table: Table, columns: tuple[str, ...], bump_version: bool) -> Update:
    given = _unnested(table, columns).subquery("given")
    values: dict[str, Any] = {key: given.c[key] for key in columns if key != "id"}
    changed = or_(*(table.c[key].is_distinct_from(value) for key, value in values.items()))
    if bump_version:
        values["version"] = table.c.version + 1
    return update(table).where(table.c.id == given.c.id, changed).values(values)


@cache
def _bound_update(table: Table, columns: tuple[str, ...], bump_version: bool) -> Update:
    values: dict[str, Any] = {key: bindparam(f"b_{key}") for key in columns if key != "id"}
    changed = or_(*(table.c[key].is_distinct_from(value) for key, value in values.items()))
    if bump_version:
        values["version"] = table.c.version + 1
    return update(table).where(table.c.id == bindparam("b_id"), changed).values(values)
