"""Use cases that write imported history: one transaction per call (the importer calls them page by page).

Each imported object is found again by its source URL (``source_record``): a second run updates what
changed, leaves what did not (same content hash) and never writes a second copy. Every row written gets an
audit event naming the source; no domain events are emitted (history sends no invitations or mails).
Objects the source deleted, and embedded ones that vanished from their parent, leave the public record.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from workflow.audit import insert_audit
from workflow.db import transaction
from workflow.errors import NotFound
from workflow.history import Deleted, FileIn, Problem, Source, Tally
from workflow.models import Base, Depublication, Municipality
from workflow.source_models import ImportedFile, ImportRun, ImportSource, QuarantinedObject, SourceRecord
from workflow.store import clock

#: Where an incremental run starts: the last run's high-water mark minus this overlap (clocks differ,
#: servers stamp late).
OVERLAP = dt.timedelta(days=1)
#: The first two digits of the AGS name the state; the states this project has a profile for.
PROFILE_BY_STATE = {"03": "niedersachsen", "05": "nrw", "06": "hessen"}


@dataclass(frozen=True)
class FileEntry:
    """A file record with the parent it came in and what it belongs to here."""

    file: FileIn
    parent_url: str | None  # None: a record of the Body's file list, embedded nowhere
    paper_id: int | None = None
    meeting_id: int | None = None
    agenda_item_id: int | None = None


@dataclass(frozen=True)
class Run:
    """A run in progress, as the importer knows it."""

    id: int
    source_id: int
    municipality_id: int
    municipality_key: str
    actor: str
    since: dt.datetime | None


_UMLAUTS = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss"})


def slug(text: str, limit: int = 40) -> str:
    text = text.lower().translate(_UMLAUTS)
    return re.sub(r"[^a-z0-9]+", "-", text).strip("-")[:limit].strip("-") or "x"


def profile_for_ags(ags: str | None) -> str:
    """The profile of the state an AGS belongs to; empty where this project has none yet (history only)."""
    return PROFILE_BY_STATE.get((ags or "")[:2], "")


def start_run(
    sessions: sessionmaker[Session],
    *,
    entry_url: str,
    body_url: str,
    body_name: str,
    body_short_name: str | None,
    ags: str | None,
    website: str | None,
    municipality_key: str | None,
    system_url: str | None,
    oparl_version: str | None,
    vendor: str | None,
    since: dt.datetime | None,
    full: bool = False,
    now: dt.datetime | None = None,
) -> Run:
    """Begin an import run for the Body at ``body_url``: into the municipality ``municipality_key`` (which
    must exist), or into the one an earlier run created, or into a new one made from the Body."""
    now = clock(now)
    with transaction(sessions) as session:
        source = session.scalar(select(ImportSource).where(ImportSource.body_url == body_url))
        if municipality_key is not None:
            town = session.scalar(select(Municipality).where(Municipality.key == municipality_key))
            if town is None:
                raise NotFound(
                    f"Municipality '{municipality_key}' not found",
                    german=f"Kommune '{municipality_key}' ist nicht eingerichtet",
                )
            if source is not None and source.municipality_id != town.id:
                raise NotFound(
                    "This source is imported into another municipality",
                    german="Diese Quelle wird bereits in eine andere Kommune importiert",
                )
        elif source is not None:
            town = session.get_one(Municipality, source.municipality_id)
        else:
            base = key = slug(body_short_name or body_name, 60)
            taken = 0
            while session.scalar(select(Municipality.id).where(Municipality.key == key)):
                taken += 1  # e.g. two bodies of one source with the same short name
                key = f"{base[:50]}-import" + (f"-{taken}" if taken > 1 else "")
            town = Municipality(
                key=key,
                name=body_name[:200],
                short_name=(body_short_name or body_name)[:100],
                profile=profile_for_ags(ags),
                website=website,
                created_at=now,
                modified_at=now,
            )
            session.add(town)
            session.flush()
        if source is None:
            source = ImportSource(
                municipality_id=town.id, entry_url=entry_url, body_url=body_url, created_at=now
            )
            session.add(source)
        source.system_url, source.oparl_version, source.vendor = system_url, oparl_version, vendor
        session.flush()
        effective = since
        if effective is None and not full and source.high_water_mark is not None:
            effective = source.high_water_mark - OVERLAP
        run = ImportRun(source_id=source.id, started_at=now, since=effective, state="running", counts={})
        session.add(run)
        session.flush()
        return Run(run.id, source.id, town.id, town.key, f"import:{source.body_url}"[:200], effective)


def imported_sources(sessions: sessionmaker[Session]) -> list[tuple[str, str, str]]:
    """(entry URL, Body URL, municipality key) of every source imported before, for the nightly re-import
    (one System may hold several bodies, each imported into its own municipality)."""
    with sessions() as session:
        rows = session.execute(
            select(ImportSource.entry_url, ImportSource.body_url, Municipality.key)
            .join(Municipality, Municipality.id == ImportSource.municipality_id)
            .order_by(ImportSource.id)
        ).all()
    return [(r.entry_url, r.body_url, r.key) for r in rows]


def finish_run(
    sessions: sessionmaker[Session],
    run: Run,
    tally: Tally,
    *,
    high_water_mark: dt.datetime | None,
    failed: bool = False,
    incomplete: bool = False,
    now: dt.datetime | None = None,
) -> None:
    """Store the run's counts and quarantine; a finished run moves the source's high-water mark on (an
    incomplete one, whose lists could not all be read to the end, does not)."""
    now = clock(now)
    with transaction(sessions) as session:
        row = session.get_one(ImportRun, run.id, with_for_update=True)
        row.finished_at = now
        row.state = "failed" if failed else "incomplete" if incomplete else "finished"
        row.high_water_mark = high_water_mark
        row.counts = tally.counts
        session.add_all(
            QuarantinedObject(run_id=run.id, url=p.url[:1000], oparl_type=p.oparl_type, reason=p.reason)
            for p in tally.quarantined
        )
        if not failed and not incomplete and high_water_mark is not None:
            source = session.get_one(ImportSource, run.source_id)
            if source.high_water_mark is None or high_water_mark > source.high_water_mark:
                source.high_water_mark = high_water_mark


def vanished_from_list(sessions: sessionmaker[Session], run: Run, oparl_type: str) -> list[str]:
    """The objects of a list that an earlier run imported and this full run no longer saw (neither as
    object nor as deleted): the source dropped them without a ``deleted`` flag."""
    with sessions() as session:
        return list(
            session.scalars(
                select(SourceRecord.url)
                .where(
                    SourceRecord.source_id == run.source_id,
                    SourceRecord.oparl_type == oparl_type,
                    SourceRecord.parent_url.is_(None),
                    SourceRecord.deleted_at.is_(None),
                    SourceRecord.last_run_id != run.id,
                )
                .order_by(SourceRecord.id)
            )
        )


# ------------------------------------------------------------------------------------------ shared steps


class Writer:
    """The bookkeeping of one transaction: source records, audit rows, counts."""

    def __init__(self, session: Session, run: Run, now: dt.datetime) -> None:
        self.session = session
        self.run = run
        self.now = now
        self.tally = Tally()
        self.audit: list[dict[str, Any]] = []
        self.records: dict[str, SourceRecord] = {}
        self.fresh: set[str] = set()  # first seen in this transaction: nothing embedded in it was seen before
        self.touched: list[int] = []  # records of unchanged objects: only their last run moves on

    def load(self, urls: Iterable[str]) -> None:
        """Fetch the source records of these URLs (and keep them for this transaction)."""
        wanted = [u for u in set(urls) if u not in self.records]
        for start in range(0, len(wanted), 500):
            chunk = wanted[start : start + 500]
            for record in self.session.scalars(
                select(SourceRecord).where(
                    SourceRecord.source_id == self.run.source_id, SourceRecord.url.in_(chunk)
                )
            ):
                self.records[record.url] = record

    def local(self, url: str | None, *local_types: str) -> int | None:
        """The local id an already imported object became (``None`` if unknown, deleted or another type)."""
        if url is None:
            return None
        if url not in self.records:
            self.load([url])
        record = self.records.get(url)
        if record is None or record.deleted_at is not None or record.local_type not in local_types:
            return None
        return record.local_id

    def seen_in_run(self, url: str) -> bool:
        """Whether this run already dealt with the object (an object listed twice, e.g. a location
        embedded in several meetings and in the Body's location list, counts once)."""
        if url not in self.records:
            self.load([url])
        record = self.records.get(url)
        return record is not None and record.last_run_id == self.run.id and record.local_id is not None

    def state(self, source: Source) -> str:
        """``new``, ``changed`` or ``unchanged`` compared with what the last run saw."""
        record = self.records.get(source.url)
        if record is None:
            self.fresh.add(source.url)
            return "new"
        if record.local_id is None:
            return "new"
        if record.deleted_at is not None or record.content_hash != source.content_hash:
            return "changed"
        return "unchanged"

    def remember(
        self,
        source: Source,
        oparl_type: str,
        local_type: str,
        local_id: int | None,
        parent_url: str | None = None,
    ) -> SourceRecord:
        record = self.records.get(source.url)
        if record is None:
            record = SourceRecord(
                source_id=self.run.source_id,
                url=source.url,
                first_run_id=self.run.id,
            )
            self.session.add(record)
            self.records[source.url] = record
        record.oparl_type, record.local_type, record.local_id = oparl_type, local_type, local_id
        record.parent_url = parent_url
        record.content_hash = source.content_hash
        record.source_modified = source.modified
        record.deleted_at = None
        record.last_run_id = self.run.id
        return record

    def touch(self, source: Source) -> None:
        """An unchanged object: only the run that last saw it moves on."""
        if source.url not in self.records:
            self.load([source.url])
        self.touched.append(self.records[source.url].id)

    def audited(
        self,
        action: str,
        entity: Base,
        url: str,
        *,
        paper_id: int | None = None,
        meeting_id: int | None = None,
    ) -> None:
        self.audit.append(
            {
                "occurred_at": self.now,
                "actor": self.run.actor,
                "action": action,
                "entity_type": str(type(entity).__tablename__),
                "entity_id": entity.id,  # type: ignore[attr-defined]
                "paper_id": paper_id,
                "meeting_id": meeting_id,
                "before": None,
                "after": {"source": url},
                "reason": f"Import aus {url}",
            }
        )

    def counted(self, oparl_type: str, state: str) -> None:
        self.tally.add(oparl_type, "seen")
        self.tally.add(oparl_type, {"new": "created", "changed": "updated"}.get(state, state))

    def inconsistent(self, oparl_type: str, url: str, reason: str) -> None:
        self.tally.inconsistent.append(Problem(oparl_type, url, reason))

    def tombstone(self, object_type: str, obj: Any, reason: str) -> None:
        """Record that a published object left the public record (OParl answers it as deleted)."""
        exists = self.session.scalar(
            select(Depublication.id).where(
                Depublication.object_type == object_type, Depublication.object_id == obj.id
            )
        )
        if exists is None:
            self.session.add(
                Depublication(
                    municipality_id=self.run.municipality_id,
                    object_type=object_type,
                    object_id=obj.id,
                    created_at=obj.created_at,
                    depublished_at=self.now,
                    reason=reason,
                )
            )

    def mark_deleted(self, gone: Deleted) -> SourceRecord | None:
        """The source deleted this object: count it, remember it; returns the record of what we had."""
        record = self.records.get(gone.url)
        self.tally.add(gone.oparl_type, "seen")
        if record is not None and record.deleted_at is not None:
            record.last_run_id = self.run.id
            self.tally.add(gone.oparl_type, "unchanged")
            return None
        self.tally.add(gone.oparl_type, "deleted")
        if record is None:
            record = SourceRecord(
                source_id=self.run.source_id,
                url=gone.url,
                oparl_type=gone.oparl_type,
                local_type="",
                local_id=None,
                content_hash="",
                first_run_id=self.run.id,
            )
            self.session.add(record)
            self.records[gone.url] = record
            had = None
        else:
            had = record
        record.deleted_at = self.now
        record.source_modified = gone.modified
        record.last_run_id = self.run.id
        return had

    def vanished_children(self, parent_url: str, kept: set[str]) -> list[SourceRecord]:
        """Embedded records of ``parent_url`` that its new version no longer contains."""
        if parent_url in self.fresh:
            return []
        gone = [
            r
            for r in self.session.scalars(
                select(SourceRecord).where(
                    SourceRecord.source_id == self.run.source_id,
                    SourceRecord.parent_url == parent_url,
                    SourceRecord.deleted_at.is_(None),
                )
            )
            if r.url not in kept
        ]
        for record in gone:  # seen in this run as gone: counted as seen and deleted
            record.deleted_at = self.now
            record.last_run_id = self.run.id
            self.records[record.url] = record
            self.tally.add(record.oparl_type, "seen")
            self.tally.add(record.oparl_type, "deleted")
        return gone

    def files(self, entries: Sequence[FileEntry]) -> set[str]:
        """Write file records (each with the parent it came in and the local ids it belongs to); returns
        their URLs. One flush for all of them."""
        self.load(e.file.source.url for e in entries)
        written: list[tuple[FileEntry, str, ImportedFile]] = []
        for e in entries:
            f = e.file
            state = self.state(f.source)
            self.counted("File", state)
            if state == "unchanged":
                self.touch(f.source)
                continue
            record = self.records.get(f.source.url)
            row = (
                self.session.get(ImportedFile, record.local_id)
                if record is not None and record.local_id is not None
                else None
            )
            if row is None:
                row = ImportedFile(
                    municipality_id=self.run.municipality_id, created_at=f.source.created or self.now
                )
                self.session.add(row)
            # A record of an agenda item keeps the paper the item deliberates (linked when the paper comes).
            row.paper_id = e.paper_id or (row.paper_id if e.agenda_item_id is not None else None)
            row.meeting_id, row.agenda_item_id = e.meeting_id, e.agenda_item_id
            row.role, row.name = f.role, f.name
            row.file_name = f.file_name[:300] if f.file_name else None
            row.media_type = f.media_type[:100] if f.media_type else None
            row.size_bytes, row.file_date = f.size_bytes, f.file_date
            row.access_url, row.download_url = f.access_url[:1000], (f.download_url or "")[:1000] or None
            row.public = True
            row.modified_at = self.now
            written.append((e, state, row))
        self.session.flush()
        for e, state, row in written:
            self.remember(e.file.source, "File", "imported_file", row.id, e.parent_url)
            self.audited(
                "oparl.imported" if state == "new" else "oparl.updated",
                row,
                e.file.source.url,
                paper_id=e.paper_id,
                meeting_id=e.meeting_id,
            )
        return {e.file.source.url for e in entries}

    def hide_files(self, records: Iterable[SourceRecord], reason: str) -> None:
        ids = [r.local_id for r in records if r.local_type == "imported_file" and r.local_id is not None]
        if ids:
            for row in self.session.scalars(select(ImportedFile).where(ImportedFile.id.in_(ids))):
                self.tombstone("imported_file", row, reason)
            self.session.execute(
                update(ImportedFile)
                .where(ImportedFile.id.in_(ids))
                .values(public=False, modified_at=self.now)
                .execution_options(synchronize_session=False)
            )

    def flush_audit(self) -> None:
        if self.audit:
            insert_audit(self.session, self.audit)
            self.audit = []
        for start in range(0, len(self.touched), 1000):  # one statement instead of an UPDATE per record
            self.session.execute(
                update(SourceRecord)
                .where(SourceRecord.id.in_(self.touched[start : start + 1000]))
                .values(last_run_id=self.run.id)
                .execution_options(synchronize_session=False)
            )
        self.touched = []


def write(sessions: sessionmaker[Session], run: Run, now: dt.datetime | None, step: Any) -> Tally:
    """Run ``step(writer)`` in one transaction; the audit rows are written at its end."""
    with transaction(sessions) as session:
        writer = Writer(session, run, clock(now))
        with session.no_autoflush:  # rows are complete only when a step flushes them
            step(writer)
        session.flush()
        writer.flush_audit()
        return writer.tally
