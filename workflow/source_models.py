"""Where imported history came from: the OParl source of a municipality, each import run, the identity of
every imported object, what was quarantined, and the file records of the old system.

Every imported object keeps its source URL in ``source_record`` (unique per source), so a second run finds
and updates the row it wrote the first time instead of writing it again; ``content_hash`` (of the repaired
source object) tells an unchanged object from a changed one without comparing every column.

The migration env and the schema comparison import this module next to ``workflow.models``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from workflow.models import Base, JsonType, Timestamped, UTCDateTime


class ImportSource(Base):
    """One old council system that a municipality's history is imported from (its OParl Body)."""

    __tablename__ = "import_source"
    __table_args__ = (UniqueConstraint("body_url"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    municipality_id: Mapped[int] = mapped_column(ForeignKey("municipality.id"), index=True)
    entry_url: Mapped[str] = mapped_column(String(1000))  # what the import was started with
    body_url: Mapped[str] = mapped_column(String(1000))
    system_url: Mapped[str | None] = mapped_column(String(1000))
    oparl_version: Mapped[str | None] = mapped_column(String(100))
    vendor: Mapped[str | None] = mapped_column(String(300))
    # The newest ``modified`` seen by the last finished run: where the next incremental run starts.
    high_water_mark: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)


class ImportRun(Base):
    """One run of the importer: when, from which point (``since``), what it counted, how far it got."""

    __tablename__ = "import_run"
    id: Mapped[int] = mapped_column(primary_key=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("import_source.id"), index=True)
    started_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    finished_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    since: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    high_water_mark: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    state: Mapped[str] = mapped_column(String(16))  # running, finished, failed
    counts: Mapped[dict[str, Any]] = mapped_column(JsonType, default=dict)


class SourceRecord(Base):
    """The identity of one imported object: its source URL and the local row it became.

    ``local_type``/``local_id`` name the row (``paper``, ``consultation``, ``meeting``, ``agenda_item``,
    ``body``, ``faction``, ``department``, ``person``, ``membership``, ``imported_file``); objects that have
    no row of their own here (a membership in a faction, a location, a legislative term) keep ``local_id``
    empty or point at what they were folded into. ``parent_url`` is set for embedded objects, so that one
    that vanished from its parent is found.
    """

    __tablename__ = "source_record"
    __table_args__ = (
        UniqueConstraint("source_id", "url"),
        Index("ix_source_record_local", "local_type", "local_id"),
        Index("ix_source_record_parent", "source_id", "parent_url"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("import_source.id"))
    url: Mapped[str] = mapped_column(String(1000))
    oparl_type: Mapped[str] = mapped_column(String(32))
    local_type: Mapped[str] = mapped_column(String(32))
    local_id: Mapped[int | None] = mapped_column(Integer)
    parent_url: Mapped[str | None] = mapped_column(String(1000))
    content_hash: Mapped[str] = mapped_column(String(64))
    source_modified: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    deleted_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    first_run_id: Mapped[int] = mapped_column(ForeignKey("import_run.id"))
    last_run_id: Mapped[int] = mapped_column(ForeignKey("import_run.id"))


class QuarantinedObject(Base):
    """A source object the importer could not take, with the reason; it never aborts the run."""

    __tablename__ = "quarantined_object"
    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("import_run.id"), index=True)
    url: Mapped[str] = mapped_column(String(1000))
    oparl_type: Mapped[str] = mapped_column(String(32))
    reason: Mapped[str] = mapped_column(Text)


class ImportedFile(Timestamped, Base):
    """A file record of the old system (Vorlage, Einladung, Niederschrift, Beschlusstext, Anlage).

    The record comes first; ``content`` and its checksums are filled by the separate download phase.
    """

    __tablename__ = "imported_file"
    id: Mapped[int] = mapped_column(primary_key=True)
    municipality_id: Mapped[int] = mapped_column(ForeignKey("municipality.id"), index=True)
    paper_id: Mapped[int | None] = mapped_column(ForeignKey("paper.id"), index=True)
    meeting_id: Mapped[int | None] = mapped_column(ForeignKey("meeting.id"), index=True)
    agenda_item_id: Mapped[int | None] = mapped_column(ForeignKey("agenda_item.id"), index=True)
    role: Mapped[str] = mapped_column(String(32))  # the OParl field it came in: mainFile, invitation, …
    name: Mapped[str] = mapped_column(Text)
    file_name: Mapped[str | None] = mapped_column(String(300))
    media_type: Mapped[str | None] = mapped_column(String(100))
    size_bytes: Mapped[int | None] = mapped_column(BigInteger)
    file_date: Mapped[dt.date | None] = mapped_column(Date)
    access_url: Mapped[str] = mapped_column(String(1000))
    download_url: Mapped[str | None] = mapped_column(String(1000))
    public: Mapped[bool] = mapped_column(Boolean, default=True)
    sha256: Mapped[str | None] = mapped_column(String(64), index=True)
    sha512: Mapped[str | None] = mapped_column(String(128))
    content: Mapped[bytes | None] = mapped_column(LargeBinary)
