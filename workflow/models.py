"""Persistent domain model (SQLAlchemy 2). Every schema change comes with an Alembic migration.

States and codes are stored as their lowercase string values (see ``workflow.vocabulary``); datetimes are
stored in UTC and always come back timezone-aware.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import Any, cast

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    event,
    false,
    inspect,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import (
    DeclarativeBase,
    Mapped,
    Session,
    SessionTransaction,
    mapped_column,
    relationship,
)
from sqlalchemy.orm.attributes import flag_modified
from sqlalchemy.types import DateTime, TypeDecorator

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

JsonType = JSON().with_variant(JSONB(), "postgresql")


class UTCDateTime(TypeDecorator[dt.datetime]):
    """Timezone-aware datetimes in, UTC out; naive datetimes are a bug and are refused."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; use a timezone-aware datetime")
        return value.astimezone(dt.UTC)

    def process_result_value(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        # SQLite gives back naive values; they were stored in UTC.
        return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


def active_on(start: dt.date, end: dt.date | None, day: dt.date) -> bool:
    """A membership from ``start`` to ``end`` (open-ended without) holds on ``day``."""
    return start <= day and (end is None or day <= end)


def table(model: type[Base]) -> Table:
    """The table of a model, typed as such (for Core statements that write many rows at once)."""
    return cast(Table, model.__table__)


class Timestamped:
    """``created``/``modified`` for every published object (OParl needs both).

    ``onupdate`` stamps the wall clock only when the row is UPDATEd and no use case set ``modified_at`` in the
    transaction: a value a use case assigned (its ``now``, possibly an injected clock) is kept, also when it
    equals the loaded value or when a later flush of the same transaction updates the row again (see
    ``_keep_assigned_modified_at``).
    """

    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    # onupdate fires only when the row itself is UPDATEd; use cases touch parents explicitly.
    modified_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


_ASSIGNED = "gremienlauf.modified_at_assigned"


@event.listens_for(Base, "before_update", propagate=True)
def _keep_assigned_modified_at(_mapper: Any, _connection: Any, target: Any) -> None:
    """Without this, ``paper.modified_at = now`` was lost (the wall clock landed instead) when ``now`` equals
    the loaded value (no net change, so the UPDATE left the column to ``onupdate``), or when the stamp was
    flushed and a later flush in the same transaction (e.g. a state change) UPDATEd the row again."""
    if not isinstance(target, Timestamped):
        return
    state = inspect(target)
    if "modified_at" in state.committed_state:  # assigned since the last flush
        state.info[_ASSIGNED] = True
    elif _ASSIGNED not in state.info:
        return  # never assigned in this transaction: onupdate stamps the wall clock
    if state.attrs.modified_at.history.has_changes():
        return  # the new value is in the UPDATE anyway
    session = state.session
    if session is not None and session.is_modified(target, include_collections=False):
        flag_modified(target, "modified_at")  # the UPDATE happens anyway: write the assigned value


@event.listens_for(Session, "after_transaction_end")
def _forget_assigned_modified_at(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None:
        for state in session.identity_map.all_states():
            state.info.pop(_ASSIGNED, None)


class Municipality(Timestamped, Base):
    """A municipality (OParl ``Body``): one city with its profile."""

    __tablename__ = "municipality"
    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    short_name: Mapped[str] = mapped_column(String(100))
    profile: Mapped[str] = mapped_column(String(32))
    website: Mapped[str | None] = mapped_column(String(300))
    # The portal's texts from the municipality file (``workflow.municipality.PortalSpec``), as set there.
    portal: Mapped[dict[str, str]] = mapped_column(JsonType, default=dict, server_default="{}")

    bodies: Mapped[list[Body]] = relationship(back_populates="municipality", order_by="Body.id")


class Department(Timestamped, Base):
    """Fachamt: originates papers, co-signs others, receives resolution extracts."""

    __tablename__ = "department"
    __table_args__ = (UniqueConstraint("municipality_id", "key"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    municipality_id: Mapped[int] = mapped_column(ForeignKey("municipality.id"))
    key: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(300))
    short_name: Mapped[str | None] = mapped_column(String(100))
    email: Mapped[str | None] = mapped_column(String(200))


class Faction(Timestamped, Base):
    __tablename__ = "faction"
    __table_args__ = (UniqueConstraint("municipality_id", "key"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    municipality_id: Mapped[int] = mapped_column(ForeignKey("municipality.id"))
    key: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))
    short_name: Mapped[str] = mapped_column(String(60))


class Person(Timestamped, Base):
    __tablename__ = "person"
    __table_args__ = (UniqueConstraint("municipality_id", "key"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    municipality_id: Mapped[int] = mapped_column(ForeignKey("municipality.id"))
    key: Mapped[str] = mapped_column(String(64))
    given_name: Mapped[str] = mapped_column(String(100))
    family_name: Mapped[str] = mapped_column(String(100))
    title: Mapped[str | None] = mapped_column(String(60))  # e.g. "Dr."
    function: Mapped[str | None] = mapped_column(String(120))  # e.g. "Oberbürgermeister"
    email: Mapped[str | None] = mapped_column(String(200))

    @property
    def name(self) -> str:
        return full_name(self.title, self.given_name, self.family_name)


def full_name(title: str | None, given_name: str, family_name: str) -> str:
    """'Dr. Erika Muster': how a person is named in messages and documents."""
    return " ".join(part for part in (title, given_name, family_name) if part)


class Body(Timestamped, Base):
    """A Gremium: assembly, executive board, committee, district or advisory body."""

    __tablename__ = "body"
    __table_args__ = (UniqueConstraint("municipality_id", "key"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    municipality_id: Mapped[int] = mapped_column(ForeignKey("municipality.id"))
    key: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(200))
    short_name: Mapped[str] = mapped_column(String(60))
    statutory_members: Mapped[int] = mapped_column(Integer)
    public: Mapped[bool] = mapped_column(Boolean)
    tags: Mapped[list[str]] = mapped_column(JsonType, default=list)
    # The per-body override of the profile's settings, as written in the municipality file.
    settings_override: Mapped[dict[str, Any]] = mapped_column(JsonType, default=dict)

    municipality: Mapped[Municipality] = relationship(back_populates="bodies")
    memberships: Mapped[list[Membership]] = relationship(back_populates="body", order_by="Membership.id")


class Membership(Timestamped, Base):
    __tablename__ = "membership"
    id: Mapped[int] = mapped_column(primary_key=True)
    body_id: Mapped[int] = mapped_column(ForeignKey("body.id"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    role: Mapped[str] = mapped_column(String(32))
    voting_right: Mapped[bool] = mapped_column(Boolean)
    faction_id: Mapped[int | None] = mapped_column(ForeignKey("faction.id"))
    start_date: Mapped[dt.date] = mapped_column(Date)
    end_date: Mapped[dt.date | None] = mapped_column(Date)
    substitute_of_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))

    body: Mapped[Body] = relationship(back_populates="memberships")
    person: Mapped[Person] = relationship(foreign_keys=[person_id])
    faction: Mapped[Faction | None] = relationship()

    def active_on(self, day: dt.date) -> bool:
        return active_on(self.start_date, self.end_date, day)


class ReferenceCounter(Base):
    """The running number of Drucksachen per municipality and year; locked while a number is drawn."""

    __tablename__ = "reference_counter"
    municipality_id: Mapped[int] = mapped_column(ForeignKey("municipality.id"), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    last_number: Mapped[int] = mapped_column(Integer)


LISTING_FILTERS = ["public", "state", "kind", "department_id"]


class Paper(Timestamped, Base):
    """A Vorlage (Beschlussvorlage, Mitteilungsvorlage, Antrag, …)."""

    __tablename__ = "paper"
    __table_args__ = (
        UniqueConstraint("municipality_id", "reference"),
        # The latest papers of a municipality (portal start page, Atom feed), newest submission first.
        Index("ix_paper_submitted", "municipality_id", "submitted_at", "id"),
        # The lists and the search, newest first and by date: the columns the filters test are in the
        # index, so a page's ids are found without reading the papers a filter leaves out.
        Index(
            "ix_paper_listing", "municipality_id", "id", postgresql_include=[*LISTING_FILTERS, "paper_date"]
        ),
        Index("ix_paper_dated", "municipality_id", "paper_date", "id", postgresql_include=LISTING_FILTERS),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    version: Mapped[int] = mapped_column(Integer)
    municipality_id: Mapped[int] = mapped_column(ForeignKey("municipality.id"), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    state: Mapped[str] = mapped_column(String(32), index=True)
    reference: Mapped[str | None] = mapped_column(String(40))  # Drucksachen-Nr., assigned at submission
    file_reference: Mapped[str | None] = mapped_column(String(100))  # Aktenzeichen
    department_id: Mapped[int] = mapped_column(ForeignKey("department.id"), index=True)
    paper_date: Mapped[dt.date] = mapped_column(Date)
    subject: Mapped[str] = mapped_column(Text)
    proposed_resolution: Mapped[str] = mapped_column(Text, default="")
    justification: Mapped[str] = mapped_column(Text, default="")
    financial_impact: Mapped[bool] = mapped_column(Boolean, default=False)
    public: Mapped[bool] = mapped_column(Boolean, default=True)
    signed_place: Mapped[str | None] = mapped_column(String(100))
    signed_on: Mapped[dt.date | None] = mapped_column(Date)
    signatory_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    submitted_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    decided_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    resolution_text: Mapped[str | None] = mapped_column(Text)  # the adopted text, once decided
    superseded_by_id: Mapped[int | None] = mapped_column(ForeignKey("paper.id"))
    closing_reason: Mapped[str | None] = mapped_column(Text)  # withdrawal or settlement
    # A decision that still needs an approval, with its rule (e.g. § 65 Abs. 3 NKomVG); None once recorded.
    pending_approval: Mapped[str | None] = mapped_column(Text)
    # Stemmed words of subject, proposed resolution and justification: what the search tests on SQLite
    # (PostgreSQL: the column search_vector, migration 0022). Never read in Python, so not loaded.
    search_text: Mapped[str] = mapped_column(Text, default="", server_default="", deferred=True)

    __mapper_args__ = {"version_id_col": version}

    department: Mapped[Department] = relationship()
    signatory: Mapped[Person | None] = relationship()
    attachments: Mapped[list[Attachment]] = relationship(
        back_populates="paper", order_by="Attachment.position", cascade="all, delete-orphan"
    )
    cosignatures: Mapped[list[Cosignature]] = relationship(
        back_populates="paper", order_by="Cosignature.id", cascade="all, delete-orphan"
    )
    consultations: Mapped[list[Consultation]] = relationship(
        back_populates="paper",
        order_by=lambda: (Consultation.stage, Consultation.position),
        foreign_keys="Consultation.paper_id",
    )


class Attachment(Timestamped, Base):
    """Anlage: metadata of an attached file (the file itself is stored by the workers)."""

    __tablename__ = "attachment"
    id: Mapped[int] = mapped_column(primary_key=True)
    paper_id: Mapped[int] = mapped_column(ForeignKey("paper.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(300))
    file_name: Mapped[str | None] = mapped_column(String(300))
    media_type: Mapped[str | None] = mapped_column(String(100))
    size_bytes: Mapped[int | None] = mapped_column(Integer)
    public: Mapped[bool] = mapped_column(Boolean, default=True)

    paper: Mapped[Paper] = relationship(back_populates="attachments")


class Cosignature(Timestamped, Base):
    """Mitzeichnung by another department; a required one must be given before submission."""

    __tablename__ = "cosignature"
    __table_args__ = (UniqueConstraint("paper_id", "department_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    paper_id: Mapped[int] = mapped_column(ForeignKey("paper.id"), index=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("department.id"))
    required: Mapped[bool] = mapped_column(Boolean, default=True)
    signed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    signed_by: Mapped[str | None] = mapped_column(String(200))
    comment: Mapped[str | None] = mapped_column(Text)

    paper: Mapped[Paper] = relationship(back_populates="cosignatures")
    department: Mapped[Department] = relationship()


class Consultation(Timestamped, Base):
    """One step of the Beratungsfolge: one body deliberating the paper in one role."""

    __tablename__ = "consultation"
    id: Mapped[int] = mapped_column(primary_key=True)
    version: Mapped[int] = mapped_column(Integer)
    paper_id: Mapped[int] = mapped_column(ForeignKey("paper.id"), index=True)
    body_id: Mapped[int] = mapped_column(ForeignKey("body.id"), index=True)
    stage: Mapped[int] = mapped_column(Integer)  # steps of one stage run in parallel
    position: Mapped[int] = mapped_column(Integer)  # order within the stage
    role: Mapped[str] = mapped_column(String(32))
    authoritative: Mapped[bool] = mapped_column(Boolean)
    state: Mapped[str] = mapped_column(String(32), index=True)
    meeting_id: Mapped[int | None] = mapped_column(ForeignKey("meeting.id"), index=True)
    agenda_item_id: Mapped[int | None] = mapped_column(
        ForeignKey("agenda_item.id", use_alter=True, name="fk_consultation_agenda_item_id_agenda_item")
    )
    outcome: Mapped[str | None] = mapped_column(String(32))
    outcome_wording: Mapped[str | None] = mapped_column(Text)
    resolution_text: Mapped[str | None] = mapped_column(Text)
    referred_from_id: Mapped[int | None] = mapped_column(ForeignKey("consultation.id"))
    # For a step that ended with 'deferred' for lack of quorum: the next invitation must say so.
    quorum_failed: Mapped[bool] = mapped_column(Boolean, default=False)
    # Its part in an urgent procedure (``Urgency``): decides in place of the body that cannot wait, or
    # approves / is informed of that decision afterwards; with the reason why that body cannot wait.
    urgency: Mapped[str | None] = mapped_column(String(16))
    urgency_reason: Mapped[str | None] = mapped_column(Text)
    # Imported from a source that published the step without its state (dealt with there in private): it is
    # published here without state, outcome and wording as well (``workflow.publication.private_steps``).
    state_withheld: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())

    __mapper_args__ = {"version_id_col": version}

    paper: Mapped[Paper] = relationship(back_populates="consultations", foreign_keys=[paper_id])
    body: Mapped[Body] = relationship()
    meeting: Mapped[Meeting | None] = relationship(foreign_keys=[meeting_id])
    agenda_item: Mapped[AgendaItem | None] = relationship(foreign_keys=[agenda_item_id], post_update=True)
    mayor_decision: Mapped[MayorDecision | None] = relationship(back_populates="consultation")


class MayorDecision(Base):
    """An urgent decision the mayor took without a meeting for an urgent step, alone or with one member (§ 60
    Abs. 1 Satz 2 GO NRW, § 89 Satz 2 NKomVG, § 70 Abs. 3 HGO); the outcome stands on the step."""

    __tablename__ = "mayor_decision"
    id: Mapped[int] = mapped_column(primary_key=True)
    consultation_id: Mapped[int] = mapped_column(ForeignKey("consultation.id"), unique=True)
    mayor_id: Mapped[int] = mapped_column(ForeignKey("person.id"))
    member_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    reason: Mapped[str] = mapped_column(Text)  # why even the deciding body could not be convened in time
    decided_on: Mapped[dt.date] = mapped_column(Date)
    recorded_by: Mapped[str] = mapped_column(String(200))
    recorded_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)

    consultation: Mapped[Consultation] = relationship(back_populates="mayor_decision")
    mayor: Mapped[Person] = relationship(foreign_keys=[mayor_id])
    member: Mapped[Person | None] = relationship(foreign_keys=[member_id])


class Meeting(Timestamped, Base):
    """A Sitzung of one body, or a joint meeting of several."""

    __tablename__ = "meeting"
    id: Mapped[int] = mapped_column(primary_key=True)
    version: Mapped[int] = mapped_column(Integer)
    municipality_id: Mapped[int] = mapped_column(ForeignKey("municipality.id"), index=True)
    name: Mapped[str] = mapped_column(String(300))
    state: Mapped[str] = mapped_column(String(32), index=True)
    start: Mapped[dt.datetime] = mapped_column(UTCDateTime, index=True)
    end: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    location: Mapped[str | None] = mapped_column(String(300))
    location_id: Mapped[int | None] = mapped_column(ForeignKey("location.id"))  # an imported place
    second_session: Mapped[bool] = mapped_column(Boolean, default=False)  # after a failed quorum
    invitation_sent_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    invitation_channel: Mapped[str | None] = mapped_column(String(16))
    urgent: Mapped[bool] = mapped_column(Boolean, default=False)
    urgent_reason: Mapped[str | None] = mapped_column(Text)
    cancelled_reason: Mapped[str | None] = mapped_column(Text)
    sequence: Mapped[int] = mapped_column(Integer, default=0)  # iCalendar SEQUENCE, raised on change

    __mapper_args__ = {"version_id_col": version}

    bodies: Mapped[list[Body]] = relationship(secondary="meeting_body", order_by="Body.id")
    agenda_items: Mapped[list[AgendaItem]] = relationship(
        back_populates="meeting", order_by="AgendaItem.order", foreign_keys="AgendaItem.meeting_id"
    )
    attendance: Mapped[list[Attendance]] = relationship(back_populates="meeting", order_by="Attendance.id")


class MeetingBody(Base):
    __tablename__ = "meeting_body"
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meeting.id"), primary_key=True)
    body_id: Mapped[int] = mapped_column(ForeignKey("body.id"), primary_key=True, index=True)


class AgendaItem(Timestamped, Base):
    """A TOP: number as printed, order from 0, public part (Ö) or non-public part (N)."""

    __tablename__ = "agenda_item"
    __table_args__ = (UniqueConstraint("meeting_id", "order"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    version: Mapped[int] = mapped_column(Integer)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meeting.id"), index=True)
    number: Mapped[str] = mapped_column(String(20))
    order: Mapped[int] = mapped_column(Integer)
    public: Mapped[bool] = mapped_column(Boolean)
    title: Mapped[str] = mapped_column(Text)
    consultation_id: Mapped[int | None] = mapped_column(ForeignKey("consultation.id"), index=True)
    matter: Mapped[str | None] = mapped_column(String(32))  # vocabulary.Matter: Wahl, Hauptsatzung
    late_addition: Mapped[bool] = mapped_column(Boolean, default=False)
    second_session: Mapped[bool] = mapped_column(Boolean, default=False)
    # An imported item's result as the old system worded it (OParl AgendaItem.result, free text).
    result_wording: Mapped[str | None] = mapped_column(Text)
    # An imported item's resolution text as the old system recorded it (an item result has its own).
    resolution_text: Mapped[str | None] = mapped_column(Text)

    __mapper_args__ = {"version_id_col": version}

    meeting: Mapped[Meeting] = relationship(back_populates="agenda_items", foreign_keys=[meeting_id])
    consultation: Mapped[Consultation | None] = relationship(foreign_keys=[consultation_id])
    result: Mapped[ItemResult | None] = relationship(back_populates="agenda_item", uselist=False)


class Attendance(Timestamped, Base):
    __tablename__ = "attendance"
    __table_args__ = (UniqueConstraint("meeting_id", "person_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meeting.id"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"))
    status: Mapped[str] = mapped_column(String(16))

    meeting: Mapped[Meeting] = relationship(back_populates="attendance")
    person: Mapped[Person] = relationship()


class MeetingQuorum(Base):
    """The quorum of one body at a meeting: established by the chair at the opening (then presumed, even as
    members leave) and, if it happened, when its lack was formally established and from which agenda item on
    (§ 53 Abs. 1 HGO, § 49 Abs. 1 GO NRW, § 65 Abs. 1 NKomVG)."""

    __tablename__ = "meeting_quorum"
    __table_args__ = (UniqueConstraint("meeting_id", "body_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meeting.id"))
    body_id: Mapped[int] = mapped_column(ForeignKey("body.id"))
    established_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    present: Mapped[int] = mapped_column(Integer)  # voting members present at the opening
    needed: Mapped[int] = mapped_column(Integer)
    established_by: Mapped[str] = mapped_column(String(200))
    lack_established_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    lacking_from_item_id: Mapped[int | None] = mapped_column(ForeignKey("agenda_item.id"))


class Circulation(Timestamped, Base):
    """A decision in writing without a meeting (Umlaufverfahren) on one step of a paper: the text circulated,
    who started it, and how it ended (``vocabulary.CirculationState``). Its members' answers are rows of
    ``circulation_answer``, one per member from the start; the result, once every member answered, is an
    ``item_result`` that names the circulation instead of an agenda item."""

    __tablename__ = "circulation"
    id: Mapped[int] = mapped_column(primary_key=True)
    version: Mapped[int] = mapped_column(Integer)
    municipality_id: Mapped[int] = mapped_column(ForeignKey("municipality.id"), index=True)
    paper_id: Mapped[int] = mapped_column(ForeignKey("paper.id"), index=True)
    consultation_id: Mapped[int] = mapped_column(ForeignKey("consultation.id"), index=True)
    body_id: Mapped[int] = mapped_column(ForeignKey("body.id"))
    state: Mapped[str] = mapped_column(String(16))
    resolution_text: Mapped[str] = mapped_column(Text)  # the proposed resolution the members answer on
    simple_matter: Mapped[bool] = mapped_column(Boolean, default=False)  # confirmed by the starter (HGO)
    started_by: Mapped[str] = mapped_column(String(200))
    started_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    ended_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    objected_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))

    __mapper_args__ = {"version_id_col": version}

    body: Mapped[Body] = relationship()
    consultation: Mapped[Consultation] = relationship()
    answers: Mapped[list[CirculationAnswer]] = relationship(
        back_populates="circulation", cascade="all, delete-orphan", order_by="CirculationAnswer.person_id"
    )
    result: Mapped[ItemResult | None] = relationship(back_populates="circulation", uselist=False)


class CirculationAnswer(Base):
    """One member's written answer (``vocabulary.CirculationChoice``); None until they answer."""

    __tablename__ = "circulation_answer"
    circulation_id: Mapped[int] = mapped_column(
        ForeignKey("circulation.id", ondelete="CASCADE"), primary_key=True
    )
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), primary_key=True)
    voting_right: Mapped[bool] = mapped_column(Boolean)
    answer: Mapped[str | None] = mapped_column(String(8))
    answered_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    answered_by: Mapped[str | None] = mapped_column(String(200))

    circulation: Mapped[Circulation] = relationship(back_populates="answers")
    person: Mapped[Person] = relationship()


class ItemResult(Timestamped, Base):
    """The result of one agenda item: who was there, the votes, and the outcome. One per item; a decision
    without a meeting names its circulation instead of an agenda item (exactly one of the two)."""

    __tablename__ = "item_result"
    __table_args__ = (
        CheckConstraint(
            "(agenda_item_id IS NULL) <> (circulation_id IS NULL)", name="agenda_item_or_circulation"
        ),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    version: Mapped[int] = mapped_column(Integer)
    agenda_item_id: Mapped[int | None] = mapped_column(ForeignKey("agenda_item.id"), unique=True)
    circulation_id: Mapped[int | None] = mapped_column(ForeignKey("circulation.id"), unique=True)
    outcome: Mapped[str] = mapped_column(String(32))
    outcome_wording: Mapped[str] = mapped_column(Text)
    resolution_text: Mapped[str | None] = mapped_column(Text)
    referred_to_body_id: Mapped[int | None] = mapped_column(ForeignKey("body.id"))
    quorum_failed: Mapped[bool] = mapped_column(Boolean, default=False)
    # Yes votes for taking up an item added after the invitation (e.g. two thirds, § 58 Abs. 2 HGO).
    late_item_approval: Mapped[int | None] = mapped_column(Integer)
    # The body decided that an item added after the invitation brooks no delay (§ 48 Abs. 1 Satz 5 GO NRW).
    urgency_decided: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # Who presided for this item (the chair, or the deputy standing in): the casting vote is theirs.
    presided_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    revision: Mapped[int] = mapped_column(Integer, default=1)
    recorded_by: Mapped[str] = mapped_column(String(200))
    recorded_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)

    __mapper_args__ = {"version_id_col": version}

    agenda_item: Mapped[AgendaItem | None] = relationship(back_populates="result")
    circulation: Mapped[Circulation | None] = relationship(back_populates="result")
    present: Mapped[list[ItemPresence]] = relationship(
        back_populates="result", cascade="all, delete-orphan", order_by="ItemPresence.person_id"
    )
    recusals: Mapped[list[Recusal]] = relationship(
        back_populates="result", cascade="all, delete-orphan", order_by="Recusal.person_id"
    )
    votes: Mapped[list[Vote]] = relationship(
        back_populates="result", cascade="all, delete-orphan", order_by="Vote.position"
    )


class ItemPresence(Base):
    """Who was in the room for this item (recused members left it and are not listed)."""

    __tablename__ = "item_presence"
    result_id: Mapped[int] = mapped_column(ForeignKey("item_result.id", ondelete="CASCADE"), primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), primary_key=True)
    result: Mapped[ItemResult] = relationship(back_populates="present")


class Recusal(Base):
    """Befangenheit: the member did not take part in deliberation and vote."""

    __tablename__ = "recusal"
    result_id: Mapped[int] = mapped_column(ForeignKey("item_result.id", ondelete="CASCADE"), primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), primary_key=True)
    reason: Mapped[str | None] = mapped_column(Text)
    result: Mapped[ItemResult] = relationship(back_populates="recusals")
    person: Mapped[Person] = relationship()


class Vote(Base):
    """One vote on one motion of an item; the ``decisive`` one is the vote the outcome rests on."""

    __tablename__ = "vote"
    id: Mapped[int] = mapped_column(primary_key=True)
    result_id: Mapped[int] = mapped_column(ForeignKey("item_result.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    subject: Mapped[str] = mapped_column(Text)
    yes: Mapped[int] = mapped_column(Integer)
    no: Mapped[int] = mapped_column(Integer)
    abstain: Mapped[int] = mapped_column(Integer)
    decisive: Mapped[bool] = mapped_column(Boolean)
    casting_vote: Mapped[str | None] = mapped_column(String(8))  # chair's vote on a tie, where allowed

    result: Mapped[ItemResult] = relationship(back_populates="votes")
    faction_counts: Mapped[list[VoteFactionCount]] = relationship(
        back_populates="vote", cascade="all, delete-orphan", order_by="VoteFactionCount.faction_id"
    )
    named: Mapped[list[NamedVote]] = relationship(
        back_populates="vote", cascade="all, delete-orphan", order_by="NamedVote.person_id"
    )


class VoteFactionCount(Base):
    __tablename__ = "vote_faction_count"
    vote_id: Mapped[int] = mapped_column(ForeignKey("vote.id", ondelete="CASCADE"), primary_key=True)
    faction_id: Mapped[int] = mapped_column(ForeignKey("faction.id"), primary_key=True)
    yes: Mapped[int] = mapped_column(Integer)
    no: Mapped[int] = mapped_column(Integer)
    abstain: Mapped[int] = mapped_column(Integer)
    vote: Mapped[Vote] = relationship(back_populates="faction_counts")
    faction: Mapped[Faction] = relationship()


class NamedVote(Base):
    """Namentliche Abstimmung, or a member's demand that their vote be minuted (HGO § 61)."""

    __tablename__ = "named_vote"
    vote_id: Mapped[int] = mapped_column(ForeignKey("vote.id", ondelete="CASCADE"), primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), primary_key=True)
    choice: Mapped[str] = mapped_column(String(8))
    vote: Mapped[Vote] = relationship(back_populates="named")
    person: Mapped[Person] = relationship()


class AuditEvent(Base):
    """Append-only audit trail: who did what, when, with the state before and after.

    The migration adds database triggers that refuse UPDATE and DELETE on this table.
    """

    __tablename__ = "audit_event"
    __table_args__ = (Index("ix_audit_event_entity", "entity_type", "entity_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    occurred_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    actor: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(64))
    entity_type: Mapped[str] = mapped_column(String(32))
    entity_id: Mapped[int] = mapped_column(Integer)
    paper_id: Mapped[int | None] = mapped_column(Integer, index=True)
    meeting_id: Mapped[int | None] = mapped_column(Integer, index=True)
    before: Mapped[dict[str, Any] | None] = mapped_column(JsonType)
    after: Mapped[dict[str, Any] | None] = mapped_column(JsonType)
    reason: Mapped[str | None] = mapped_column(Text)


class OutboxMessage(Base):
    """A domain event written in the use case's transaction; the relay hands it to the workers."""

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_pending", "published_at", "id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    event_type: Mapped[str] = mapped_column(String(64))
    payload: Mapped[dict[str, Any]] = mapped_column(JsonType)
    published_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)


class User(Timestamped, Base):
    """Someone who logs in: coordination office, department, secretary, council member or administrator."""

    __tablename__ = "app_user"
    id: Mapped[int] = mapped_column(primary_key=True)
    municipality_id: Mapped[int] = mapped_column(ForeignKey("municipality.id"), index=True)
    username: Mapped[str] = mapped_column(String(100), unique=True)
    display_name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(300))
    role: Mapped[str] = mapped_column(String(32))
    department_id: Mapped[int | None] = mapped_column(ForeignKey("department.id"))  # role department
    person_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))  # role council_member
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Where reminders reach the coordination office and secretaries (council members use their person's).
    email: Mapped[str | None] = mapped_column(String(200))

    bodies: Mapped[list[Body]] = relationship(secondary="user_body", order_by="Body.id")  # secretary of


class UserBody(Base):
    __tablename__ = "user_body"
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id", ondelete="CASCADE"), primary_key=True)
    body_id: Mapped[int] = mapped_column(ForeignKey("body.id"), primary_key=True)


class ApiToken(Base):
    """A bearer token; only its SHA-256 is stored, so a database dump gives no one a login."""

    __tablename__ = "api_token"
    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, index=True)


class IdempotencyRecord(Base):
    """The first answer to a POST with an Idempotency-Key, returned again on a retry."""

    __tablename__ = "idempotency_record"
    __table_args__ = (UniqueConstraint("user_id", "key"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(200))
    method: Mapped[str] = mapped_column(String(10))
    path: Mapped[str] = mapped_column(String(500))
    request_hash: Mapped[str] = mapped_column(String(64))
    status_code: Mapped[int | None] = mapped_column(Integer)  # None while the first request runs
    response: Mapped[Any | None] = mapped_column(JsonType)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)


def _sha512_of_content(context: Any) -> str:
    content = context.get_current_parameters().get("content")
    return hashlib.sha512(content or b"").hexdigest()


class StoredFile(Timestamped, Base):
    """A generated document (Vorlage, invitation, minutes, resolution extract) or its PDF derivative.

    Each rendering is kept as its own row: ``output_key`` is deterministic (what was rendered, from which
    event), so a task that runs twice finds its earlier output instead of writing a second copy. A PDF points to
    its DOCX master through ``master_file_id``. ``public`` follows the subject (a non-public paper's or
    agenda item's documents are never published).
    """

    __tablename__ = "stored_file"
    id: Mapped[int] = mapped_column(primary_key=True)
    municipality_id: Mapped[int] = mapped_column(ForeignKey("municipality.id"), index=True)
    kind: Mapped[str] = mapped_column(String(32))  # vorlage, invitation, minutes, resolution_extract
    paper_id: Mapped[int | None] = mapped_column(ForeignKey("paper.id"), index=True)
    meeting_id: Mapped[int | None] = mapped_column(ForeignKey("meeting.id"), index=True)
    agenda_item_id: Mapped[int | None] = mapped_column(ForeignKey("agenda_item.id"), index=True)
    version: Mapped[int] = mapped_column(Integer)  # 1, 2, … per subject and kind
    output_key: Mapped[str] = mapped_column(String(200), unique=True)
    name: Mapped[str] = mapped_column(String(300))  # what a reader sees, e.g. "Beschlussvorlage 1562/13"
    file_name: Mapped[str] = mapped_column(String(300))
    media_type: Mapped[str] = mapped_column(String(100))
    size_bytes: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    # Computed from ``content`` on INSERT (ORM and Core alike) unless given: OParl's sha512Checksum.
    sha512: Mapped[str] = mapped_column(String(128), default=_sha512_of_content)
    content: Mapped[bytes] = mapped_column(LargeBinary)
    master_file_id: Mapped[int | None] = mapped_column(ForeignKey("stored_file.id"), index=True)
    public: Mapped[bool] = mapped_column(Boolean)
    # Rendered while its paper was a draft: only for those who may read the draft, even after submission.
    draft: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())


class PdfClaim(Base):
    """A worker converting a DOCX master to PDF, outside any transaction: other workers leave the master to
    it until ``claimed_at`` is older than the claim's lifetime (a worker that died meanwhile). Deleted when
    the PDF is stored (or the conversion failed)."""

    __tablename__ = "pdf_claim"
    master_file_id: Mapped[int] = mapped_column(ForeignKey("stored_file.id"), primary_key=True)
    claimed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)


class Depublication(Base):
    """An object that was published and no longer is (OParl answers it with ``deleted: true``).

    Published objects are never removed from the record; when one is withdrawn from the public (a paper made
    non-public, and with it its steps, agenda items and files), a row here keeps its original ``created`` and
    the moment it left the public, so incremental OParl clients learn to delete their copy.
    """

    __tablename__ = "depublication"
    __table_args__ = (
        UniqueConstraint("object_type", "object_id"),
        Index("ix_depublication_listing", "municipality_id", "object_type", "object_id"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    municipality_id: Mapped[int] = mapped_column(ForeignKey("municipality.id"))
    object_type: Mapped[str] = mapped_column(String(32))  # paper, consultation, agenda_item, file
    object_id: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)  # when the object itself was created
    depublished_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    reason: Mapped[str | None] = mapped_column(Text)


class MailDelivery(Base):
    """One mail to one recipient for one reason (an outbox event's job or a reminder): sent at most once.

    The row is claimed before the SMTP conversation and marked sent after it. A claim whose worker died in
    between is taken over only after ``lease_until``; the mail then goes out again with the same Message-ID,
    so the recipient's client shows it once (the one window SMTP leaves open; see docs/workers.md).
    """

    __tablename__ = "mail_delivery"
    __table_args__ = (UniqueConstraint("dedupe_key", "recipient"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    dedupe_key: Mapped[str] = mapped_column(String(200))  # e.g. "invitation:outbox:17"
    recipient: Mapped[str] = mapped_column(String(200))
    state: Mapped[str] = mapped_column(String(16))  # claimed, sent, failed, rejected (5xx: not retried)
    message_id: Mapped[str] = mapped_column(String(300))
    subject: Mapped[str] = mapped_column(String(500))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    lease_until: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    sent_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


class Reminder(Base):
    """A reminder kept in the database with its due time; beat scans for due ones (no long broker ETAs).

    ``kind``: ``invitation_deadline`` (coordination office), ``meeting`` (members, one row per offset),
    ``results_overdue`` (secretaries). ``state``: pending → queued → sent, or cancelled when no longer
    needed (meeting cancelled, invitation already sent, results already recorded).
    """

    __tablename__ = "reminder"
    __table_args__ = (
        UniqueConstraint("meeting_id", "kind", "offset_key"),
        Index("ix_reminder_due", "state", "due_at"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meeting.id"), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    offset_key: Mapped[str] = mapped_column(String(32))  # e.g. "7d", "1d", "48h"
    due_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    state: Mapped[str] = mapped_column(String(16))
    queued_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    sent_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)


class FeedToken(Base):
    """The secret of a calendar feed (a body's non-public meetings, or one person's meetings).

    Only its SHA-256 is stored, like API tokens; the feed URL carries the token itself.
    """

    __tablename__ = "feed_token"
    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    body_id: Mapped[int | None] = mapped_column(ForeignKey("body.id"), index=True)
    person_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


class WebSession(Base):
    """A login of the web pages (the session cookie); only the SHA-256 of the cookie value is stored.

    ``csrf_token`` is the secret every form of this session carries in a hidden field.
    """

    __tablename__ = "web_session"
    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id", ondelete="CASCADE"), index=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    last_seen_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, index=True)


class LoginFailure(Base):
    """One failed login, counted per user name and per address for the throttle (``workflow.login_throttle``)."""

    __tablename__ = "login_failure"
    __table_args__ = (Index("ix_login_failure_key", "key_kind", "key_value", "failed_at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    key_kind: Mapped[str] = mapped_column(String(16))  # "username" or "address"
    key_value: Mapped[str] = mapped_column(String(200))
    failed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)


class LegislativeTerm(Timestamped, Base):
    """A legislative term (Wahlperiode) of a municipality, as its old council system recorded it. A
    municipality without one publishes the term that its memberships begin."""

    __tablename__ = "legislative_term"
    id: Mapped[int] = mapped_column(primary_key=True)
    municipality_id: Mapped[int] = mapped_column(ForeignKey("municipality.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    start_date: Mapped[dt.date | None] = mapped_column(Date)
    end_date: Mapped[dt.date | None] = mapped_column(Date)


class Location(Timestamped, Base):
    """A place where meetings are held, as an old council system recorded it (its address in parts). A
    meeting keeps its place as text too; one without a location row publishes that text as its Location."""

    __tablename__ = "location"
    id: Mapped[int] = mapped_column(primary_key=True)
    municipality_id: Mapped[int] = mapped_column(ForeignKey("municipality.id"), index=True)
    description: Mapped[str | None] = mapped_column(Text)
    street_address: Mapped[str | None] = mapped_column(String(300))
    room: Mapped[str | None] = mapped_column(String(200))
    postal_code: Mapped[str | None] = mapped_column(String(20))
    locality: Mapped[str | None] = mapped_column(String(200))


class AlertSubscription(Base):
    """An e-mail alert of a member of the public (no account): a body's new papers and results, or a search.

    Stored only after the form was sent with consent; alerts go out only once ``confirmed_at`` is set (double
    opt-in). ``token`` is the secret of the confirmation and the unsubscribe link. Unsubscribing deletes the
    row; an unconfirmed row is deleted when its confirmation link expires (``workflow.alerts``).
    """

    __tablename__ = "alert_subscription"
    __table_args__ = (UniqueConstraint("municipality_id", "email", "target"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    municipality_id: Mapped[int] = mapped_column(ForeignKey("municipality.id"), index=True)
    email: Mapped[str] = mapped_column(String(254))
    # "gremium:stvv" or "suche:" + the search's query string (the same filters as the search page)
    target: Mapped[str] = mapped_column(String(600))
    body_id: Mapped[int | None] = mapped_column(ForeignKey("body.id", ondelete="CASCADE"), index=True)
    search: Mapped[dict[str, Any] | None] = mapped_column(JsonType)
    token: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    confirmed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


class AlertSent(Base):
    """An item (``paper:17``, ``result:42``) an alert subscription was mailed: never mailed twice."""

    __tablename__ = "alert_sent"
    subscription_id: Mapped[int] = mapped_column(
        ForeignKey("alert_subscription.id", ondelete="CASCADE"), primary_key=True
    )
    item_key: Mapped[str] = mapped_column(String(64), primary_key=True)
    sent_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)


class AlertRequest(Base):
    """One subscription request, counted per address for the limit; only the address's SHA-256 is kept,
    and only for ``workflow.alerts.REQUEST_WINDOW``."""

    __tablename__ = "alert_request"
    __table_args__ = (Index("ix_alert_request_key", "address_hash", "requested_at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    address_hash: Mapped[str] = mapped_column(String(64))
    requested_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
