"""Parents follow their children: when a row that a published object embeds is written (a step of a paper,
an agenda item, attendance or result of a meeting, a document, a membership of a person or a body; a PDF for
its DOCX master, which lists it), the parent's ``modified_at`` is raised in the same flush (OParl's
``modified`` filters read it). A plain UPDATE that only ever raises the value, so it does not bump the
parent's optimistic-locking version (the parent's own data did not change, and an editor holding its ETag
must not get a 412 for it). ``install`` is called where sessions are made (``workflow.db``).

A parent that the same session holds with a ``modified_at`` at least as new needs no UPDATE: that value is
already in the database, or goes there in the same flush (a use case that stamps the parent itself, as
recording a result does, pays no extra statement).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from sqlalchemy import ColumnElement, event, inspect, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Mapper, object_session
from sqlalchemy.orm.util import identity_key

from workflow.models import (
    AgendaItem,
    Attendance,
    Body,
    Consultation,
    ItemResult,
    Meeting,
    Membership,
    Paper,
    Person,
    StoredFile,
)


def raise_modified(
    connection: Connection, table: Any, where: ColumnElement[bool], stamp: dt.datetime
) -> None:
    connection.execute(update(table).where(where, table.c.modified_at < stamp).values(modified_at=stamp))


def _stamp(target: Any) -> dt.datetime | None:
    value = inspect(target).dict.get("modified_at")
    return value if isinstance(value, dt.datetime) else None


def _held_as_new(child: Any, model: type[Any], id_: int, stamp: dt.datetime) -> Any:
    """The parent as the child's session holds it, if its ``modified_at`` there is at least ``stamp``."""
    session = object_session(child)
    parent = session.identity_map.get(identity_key(model, id_)) if session is not None else None
    held = _stamp(parent) if parent is not None else None
    return parent if held is not None and held >= stamp else None


def _raise_parent(connection: Connection, child: Any, model: type[Any], id_: int, stamp: dt.datetime) -> None:
    if _held_as_new(child, model, id_, stamp) is None:
        table = model.__table__
        raise_modified(connection, table, table.c.id == id_, stamp)


def _after_consultation(_mapper: Mapper[Any], connection: Connection, target: Consultation) -> None:
    stamp = _stamp(target)
    if stamp is not None and target.paper_id is not None:
        _raise_parent(connection, target, Paper, target.paper_id, stamp)


def _after_agenda_item(_mapper: Mapper[Any], connection: Connection, target: AgendaItem) -> None:
    stamp = _stamp(target)
    if stamp is not None and target.meeting_id is not None:
        _raise_parent(connection, target, Meeting, target.meeting_id, stamp)


def _after_attendance(_mapper: Mapper[Any], connection: Connection, target: Attendance) -> None:
    stamp = _stamp(target)
    if stamp is not None and target.meeting_id is not None:
        _raise_parent(connection, target, Meeting, target.meeting_id, stamp)


def _raise_item_and_meeting(connection: Connection, child: Any, item_id: int, stamp: dt.datetime) -> None:
    item = _held_as_new(child, AgendaItem, item_id, stamp)
    if item is None:
        items = AgendaItem.__table__
        raise_modified(connection, items, items.c.id == item_id, stamp)
        meeting_of_item = select(items.c.meeting_id).where(items.c.id == item_id).scalar_subquery()
        raise_modified(connection, Meeting.__table__, Meeting.__table__.c.id == meeting_of_item, stamp)
    else:
        _raise_parent(connection, child, Meeting, item.meeting_id, stamp)


def _after_result(_mapper: Mapper[Any], connection: Connection, target: ItemResult) -> None:
    stamp = _stamp(target)
    if stamp is not None and target.agenda_item_id is not None:
        _raise_item_and_meeting(connection, target, target.agenda_item_id, stamp)


def _after_file(_mapper: Mapper[Any], connection: Connection, target: StoredFile) -> None:
    stamp = _stamp(target)
    if stamp is None:
        return
    if target.paper_id is not None:
        _raise_parent(connection, target, Paper, target.paper_id, stamp)
    if target.meeting_id is not None:
        _raise_parent(connection, target, Meeting, target.meeting_id, stamp)
    if target.agenda_item_id is not None:
        _raise_item_and_meeting(connection, target, target.agenda_item_id, stamp)
    if target.master_file_id is not None:  # the master lists its derivatives (OParl derivativeFile)
        files = StoredFile.__table__
        raise_modified(connection, files, files.c.id == target.master_file_id, stamp)


def _after_membership(_mapper: Mapper[Any], connection: Connection, target: Membership) -> None:
    stamp = _stamp(target)
    if stamp is None:
        return
    # The person embeds its memberships; the body (OParl Organization) lists their URLs.
    if target.person_id is not None:
        _raise_parent(connection, target, Person, target.person_id, stamp)
    if target.body_id is not None:
        _raise_parent(connection, target, Body, target.body_id, stamp)


LISTENERS: tuple[tuple[type[Any], Callable[[Mapper[Any], Connection, Any], None]], ...] = (
    (Consultation, _after_consultation),
    (AgendaItem, _after_agenda_item),
    (Attendance, _after_attendance),
    (ItemResult, _after_result),
    (StoredFile, _after_file),
    (Membership, _after_membership),
)


def install() -> None:
    """Install the listeners (``workflow.db.make_session_factory`` does, for every session it makes)."""
    for model, listener in LISTENERS:
        for name in ("after_insert", "after_update"):
            if not event.contains(model, name, listener):
                event.listen(model, name, listener)
