"""The audit trail and the outbox: written by use cases inside their own transaction, never committed here."""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import insert, inspect
from sqlalchemy.orm import Session

from workflow import validate
from workflow.models import AuditEvent, Base, OutboxMessage

#: ``Session.info`` key: this transaction wrote outbox rows (set by ``emit``); the relay is woken after such a
#: commit.
OUTBOX_WRITTEN = "outbox"


def _json_value(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, enum.Enum):
        return value.value
    return value


def snapshot(obj: Base | None) -> dict[str, Any] | None:
    """The column values of a mapped object, JSON-ready, for the audit's before/after."""
    if obj is None:
        return None
    mapper = inspect(obj).mapper
    return {attr.key: _json_value(getattr(obj, attr.key)) for attr in mapper.column_attrs}


def json_snapshot(values: Mapping[str, Any]) -> dict[str, Any]:
    """``snapshot`` for a row read without the ORM (its columns by name)."""
    return {key: _json_value(value) for key, value in values.items()}


def record_audit(
    session: Session,
    *,
    actor: str,
    action: str,
    entity: Base,
    now: dt.datetime,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    reason: str | None = None,
    paper_id: int | None = None,
    meeting_id: int | None = None,
) -> AuditEvent:
    """Append one audit event. ``entity`` must have been flushed (it needs its id)."""
    if inspect(entity).identity is None:
        session.flush()
    event = AuditEvent(
        **audit_row(
            actor=actor,
            action=action,
            entity=entity,
            now=now,
            before=before,
            after=after,
            reason=reason,
            paper_id=paper_id,
            meeting_id=meeting_id,
        )
    )
    session.add(event)
    return event


def audit_row(
    *,
    actor: str,
    action: str,
    entity: Base,
    now: dt.datetime,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    reason: str | None = None,
    paper_id: int | None = None,
    meeting_id: int | None = None,
) -> dict[str, Any]:
    """The columns of one audit event on a flushed ``entity`` (it needs its id), for ``insert_audit``;
    ``after`` defaults to the entity's columns as they are now."""
    return {
        "occurred_at": now,
        "actor": validate.actor(actor),
        "action": action,
        "entity_type": str(type(entity).__tablename__),
        "entity_id": inspect(entity).identity[0],  # type: ignore[index]
        "paper_id": paper_id,
        "meeting_id": meeting_id,
        "before": before,
        "after": after if after is not None else snapshot(entity),
        "reason": reason,
    }


def emit(session: Session, event_type: str, now: dt.datetime, **payload: Any) -> OutboxMessage:
    """Write a domain event to the outbox in the caller's transaction; the relay publishes it after commit."""
    message = OutboxMessage(
        created_at=now,
        event_type=event_type,
        payload={key: _json_value(value) for key, value in payload.items()},
        attempts=0,
    )
    session.add(message)
    return message


def insert_audit(session: Session, rows: Sequence[Mapping[str, Any]]) -> None:
    """Append many audit events with one statement (``audit_row`` gives their columns; an import writes
    thousands)."""
    if rows:
        session.execute(insert(AuditEvent), list(rows))
