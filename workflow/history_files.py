"""The contents of imported file records: stored with their checksums, each content once.

The download phase (``workers/oparl_import/files.py``) asks for the records still without a checksum, so a
run that stopped half-way goes on where it stopped. A content already stored for another record (same
SHA-256) is not stored again: the record gets the checksums, and its content is read from the first one.
"""

from __future__ import annotations

import datetime as dt
import hashlib

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from workflow.audit import record_audit
from workflow.db import transaction
from workflow.source_models import ImportedFile
from workflow.store import clock


def files_to_fetch(
    sessions: sessionmaker[Session], municipality_id: int, *, after: int = 0, limit: int = 100
) -> list[tuple[int, str, int | None, str | None]]:
    """(id, URL to fetch, expected size, media type) of records without content, in id order after ``after``."""
    with sessions() as session:
        rows = session.execute(
            select(
                ImportedFile.id,
                ImportedFile.download_url,
                ImportedFile.access_url,
                ImportedFile.size_bytes,
                ImportedFile.media_type,
            )
            .where(
                ImportedFile.municipality_id == municipality_id,
                ImportedFile.sha256.is_(None),
                ImportedFile.id > after,
            )
            .order_by(ImportedFile.id)
            .limit(limit)
        ).all()
    return [(r.id, r.download_url or r.access_url, r.size_bytes, r.media_type) for r in rows]


def store_content(
    sessions: sessionmaker[Session],
    file_id: int,
    content: bytes,
    *,
    actor: str,
    now: dt.datetime | None = None,
) -> bool:
    """Store a downloaded content with its checksums; returns False when the same content was stored
    already (for another record) and is not stored again."""
    now = clock(now)
    sha256 = hashlib.sha256(content).hexdigest()
    with transaction(sessions) as session:
        row = session.get_one(ImportedFile, file_id, with_for_update=True)
        stored = session.scalar(
            select(ImportedFile.id).where(
                ImportedFile.sha256 == sha256, ImportedFile.content.is_not(None), ImportedFile.id != file_id
            )
        )
        row.sha256 = sha256
        row.sha512 = hashlib.sha512(content).hexdigest()
        row.size_bytes = len(content)
        row.content = None if stored is not None else content
        row.modified_at = now
        session.flush()
        record_audit(
            session,
            actor=actor,
            action="oparl.file_downloaded",
            entity=row,
            now=now,
            after={"sha256": sha256, "size": len(content), "same_as": stored},
            paper_id=row.paper_id,
            meeting_id=row.meeting_id,
        )
    return stored is None


def content_of(session: Session, file_id: int) -> bytes | None:
    """The content of a record, also when it was stored once for another record with the same checksum."""
    row = session.get_one(ImportedFile, file_id)
    if row.content is not None or row.sha256 is None:
        return row.content
    return session.scalar(
        select(ImportedFile.content)
        .where(ImportedFile.sha256 == row.sha256, ImportedFile.content.is_not(None))
        .limit(1)
    )
