"""``Idempotency-Key`` for POSTs that create: a retry gets the first answer; the same key with another
body gets 422.

The key is reserved in its own transaction before the use case runs, and the answer stored after it:
two retries racing each other cannot both run the use case. A use case that fails changed nothing (its
transaction rolled back), so its key is released and a retry runs it again.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Callable
from typing import Any

from fastapi.responses import JSONResponse
from sqlalchemy import delete, select
from sqlalchemy.orm import Session, sessionmaker

from api.errors import IdempotencyKeyReused, InvalidIdempotencyKey
from workflow.access import Principal
from workflow.db import transaction
from workflow.errors import Conflict
from workflow.models import IdempotencyRecord, utcnow

KEEP_FOR = dt.timedelta(days=1)


class StillRunning(Conflict):
    """The first request with this key has not answered yet (a double click); a moment later it has."""


def _fingerprint(method: str, path: str, payload: Any) -> str:
    canonical = json.dumps([method, path, payload], sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def run_idempotent(
    sessions: sessionmaker[Session],
    who: Principal,
    key: str | None,
    method: str,
    path: str,
    payload: Any,
    compute: Callable[[], tuple[int, Any]],
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    """Run ``compute`` (returning status and JSON body) at most once per caller and key."""
    if key is None:
        status, body = compute()
        return JSONResponse(body, status_code=status, headers=headers)
    if not key.strip() or len(key) > 200:
        raise InvalidIdempotencyKey("The Idempotency-Key must have 1 to 200 characters, not only spaces")
    fingerprint = _fingerprint(method, path, payload)
    stored = _reserve(sessions, who, key, method, path, fingerprint)
    if stored is not None:
        return stored
    try:
        status, body = compute()
    except BaseException:
        with transaction(sessions) as session:
            session.execute(
                delete(IdempotencyRecord).where(
                    IdempotencyRecord.user_id == who.user_id, IdempotencyRecord.key == key
                )
            )
        raise
    with transaction(sessions) as session:
        record = session.scalars(
            select(IdempotencyRecord).where(
                IdempotencyRecord.user_id == who.user_id, IdempotencyRecord.key == key
            )
        ).one()
        record.status_code, record.response = status, body
    return JSONResponse(body, status_code=status, headers=headers)


def _reserve(
    sessions: sessionmaker[Session], who: Principal, key: str, method: str, path: str, fingerprint: str
) -> JSONResponse | None:
    """Reserve the key; if it was used before, the stored answer (or an error)."""
    now = utcnow()
    try:
        with transaction(sessions) as session:
            session.execute(delete(IdempotencyRecord).where(IdempotencyRecord.created_at < now - KEEP_FOR))
            session.add(
                IdempotencyRecord(
                    user_id=who.user_id,
                    key=key,
                    method=method,
                    path=path,
                    request_hash=fingerprint,
                    created_at=now,
                )
            )
        return None
    except Conflict:
        pass  # the key exists: look at what it holds
    with sessions() as session:
        record = session.scalars(
            select(IdempotencyRecord).where(
                IdempotencyRecord.user_id == who.user_id, IdempotencyRecord.key == key
            )
        ).one_or_none()
    if record is None:  # released by a failed first attempt in the meantime
        return _reserve(sessions, who, key, method, path, fingerprint)
    if record.request_hash != fingerprint:
        raise IdempotencyKeyReused(
            "This Idempotency-Key was already used for a different request; use a new key",
            german="Dieser Idempotency-Key wurde schon für eine andere Anfrage benutzt",
        )
    if record.status_code is None:
        raise StillRunning("The first request with this Idempotency-Key is still running; retry in a moment")
    return JSONResponse(
        record.response, status_code=record.status_code, headers={"Idempotent-Replayed": "true"}
    )
