"""What the public sees (OParl and any other publication) and how it learns of changes.

Three parts:

* **Visibility** as SQL expressions (and ``paper_public`` for a loaded paper): a paper is public once submitted and
  while marked public; a meeting is public when at least one of its bodies meets in public (a meeting of
  only non-public bodies, e.g. the Magistrat, is not published at all); an agenda item is public when it is
  in the public part of a public meeting and does not deal with a non-public paper; a step of the
  Beratungsfolge is public with its paper; a generated document is public when marked so and everything it
  belongs to is public.
* **Parents follow their children**: when a row that a published object embeds is written (a step of a
  paper, an agenda item or a result of a meeting, a document, a membership of a person or a body; a PDF for
  its DOCX master, which lists it), the parent's ``modified_at`` is raised in the same flush. This is done with a plain UPDATE that only ever raises the
  value, so it does not bump the parent's optimistic-locking version (the parent's own data did not change,
  and an editor holding its ETag must not get a 412 for it).
* **Depublication**: ``depublish_paper`` withdraws a published paper from the public with its steps,
  agenda items and documents, and records each of them in ``depublication`` so that OParl answers them with
  ``deleted: true`` from then on.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import ColumnElement, and_, event, exists, false, inspect, or_, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Mapper, Session, sessionmaker

from workflow.access import DRAFT_STATES
from workflow.audit import emit, record_audit
from workflow.db import transaction
from workflow.errors import RuleViolation
from workflow.models import (
    AgendaItem,
    Attendance,
    Body,
    Consultation,
    Depublication,
    ItemResult,
    Meeting,
    MeetingBody,
    Membership,
    Paper,
    Person,
    StoredFile,
)
from workflow.store import clock, get

DRAFT_VALUES = tuple(sorted(state.value for state in DRAFT_STATES))

# ---------------------------------------------------------------------------------------------- visibility


def paper_is_public() -> ColumnElement[bool]:
    return and_(Paper.public.is_(True), Paper.state.notin_(DRAFT_VALUES))


def meeting_is_public(meeting_id: Any = Meeting.id) -> ColumnElement[bool]:
    """A meeting of at least one public body, unless it left the public record (an imported meeting that
    its source deleted)."""
    return and_(
        exists(
            select(MeetingBody.meeting_id)
            .join(Body, Body.id == MeetingBody.body_id)
            .where(MeetingBody.meeting_id == meeting_id, Body.public.is_(True))
        ),
        ~exists(
            select(Depublication.id).where(
                Depublication.object_type == "meeting", Depublication.object_id == meeting_id
            )
        ),
    )


def consultation_is_public() -> ColumnElement[bool]:
    return exists(select(Paper.id).where(Paper.id == Consultation.paper_id, paper_is_public()))


def agenda_item_is_public() -> ColumnElement[bool]:
    paper_of_item = (
        select(Paper.id)
        .join(Consultation, Consultation.paper_id == Paper.id)
        .where(Consultation.id == AgendaItem.consultation_id, paper_is_public())
    )
    return and_(
        AgendaItem.public.is_(True),
        meeting_is_public(AgendaItem.meeting_id),
        or_(AgendaItem.consultation_id.is_(None), exists(paper_of_item)),
    )


def file_is_public() -> ColumnElement[bool]:
    paper_ok = or_(
        StoredFile.paper_id.is_(None),
        exists(select(Paper.id).where(Paper.id == StoredFile.paper_id, paper_is_public())),
    )
    meeting_ok = or_(StoredFile.meeting_id.is_(None), meeting_is_public(StoredFile.meeting_id))
    item_ok = or_(
        StoredFile.agenda_item_id.is_(None),
        exists(
            select(AgendaItem.id).where(AgendaItem.id == StoredFile.agenda_item_id, agenda_item_is_public())
        ),
    )
    return and_(StoredFile.public.is_(True), paper_ok, meeting_ok, item_ok)


def paper_public(paper: Paper) -> bool:
    return bool(paper.public) and paper.state not in DRAFT_VALUES


# ------------------------------------------------------------------------------ parents follow children


def _raise_modified(
    connection: Connection, table: Any, where: ColumnElement[bool], stamp: dt.datetime
) -> None:
    connection.execute(update(table).where(where, table.c.modified_at < stamp).values(modified_at=stamp))


def _stamp(target: Any) -> dt.datetime | None:
    value = inspect(target).dict.get("modified_at")
    return value if isinstance(value, dt.datetime) else None


def _after_consultation(_mapper: Mapper[Any], connection: Connection, target: Consultation) -> None:
    stamp = _stamp(target)
    if stamp is not None and target.paper_id is not None:
        _raise_modified(connection, Paper.__table__, Paper.__table__.c.id == target.paper_id, stamp)


def _after_agenda_item(_mapper: Mapper[Any], connection: Connection, target: AgendaItem) -> None:
    stamp = _stamp(target)
    if stamp is not None and target.meeting_id is not None:
        _raise_modified(connection, Meeting.__table__, Meeting.__table__.c.id == target.meeting_id, stamp)


def _after_attendance(_mapper: Mapper[Any], connection: Connection, target: Attendance) -> None:
    stamp = _stamp(target)
    if stamp is not None and target.meeting_id is not None:
        _raise_modified(connection, Meeting.__table__, Meeting.__table__.c.id == target.meeting_id, stamp)


def _raise_item_and_meeting(connection: Connection, item_id: int, stamp: dt.datetime) -> None:
    items = AgendaItem.__table__
    _raise_modified(connection, items, items.c.id == item_id, stamp)
    meeting_of_item = select(items.c.meeting_id).where(items.c.id == item_id).scalar_subquery()
    _raise_modified(connection, Meeting.__table__, Meeting.__table__.c.id == meeting_of_item, stamp)


def _after_result(_mapper: Mapper[Any], connection: Connection, target: ItemResult) -> None:
    stamp = _stamp(target)
    if stamp is not None and target.agenda_item_id is not None:
        _raise_item_and_meeting(connection, target.agenda_item_id, stamp)


def _after_file(_mapper: Mapper[Any], connection: Connection, target: StoredFile) -> None:
    stamp = _stamp(target)
    if stamp is None:
        return
    if target.paper_id is not None:
        _raise_modified(connection, Paper.__table__, Paper.__table__.c.id == target.paper_id, stamp)
    if target.meeting_id is not None:
        _raise_modified(connection, Meeting.__table__, Meeting.__table__.c.id == target.meeting_id, stamp)
    if target.agenda_item_id is not None:
        _raise_item_and_meeting(connection, target.agenda_item_id, stamp)
    if target.master_file_id is not None:  # the master lists its derivatives (OParl derivativeFile)
        files = StoredFile.__table__
        _raise_modified(connection, files, files.c.id == target.master_file_id, stamp)


def _after_membership(_mapper: Mapper[Any], connection: Connection, target: Membership) -> None:
    stamp = _stamp(target)
    if stamp is None:
        return
    # The person embeds its memberships; the body (OParl Organization) lists their URLs.
    if target.person_id is not None:
        _raise_modified(connection, Person.__table__, Person.__table__.c.id == target.person_id, stamp)
    if target.body_id is not None:
        _raise_modified(connection, Body.__table__, Body.__table__.c.id == target.body_id, stamp)


for _model, _listener in (
    (Consultation, _after_consultation),
    (AgendaItem, _after_agenda_item),
    (Attendance, _after_attendance),
    (ItemResult, _after_result),
    (StoredFile, _after_file),
    (Membership, _after_membership),
):
    for _event in ("after_insert", "after_update"):
        if not event.contains(_model, _event, _listener):
            event.listen(_model, _event, _listener)


# --------------------------------------------------------------------------------------------- depublish


def _tombstone(
    session: Session, municipality_id: int, kind: str, obj: Any, now: dt.datetime, reason: str
) -> None:
    session.add(
        Depublication(
            municipality_id=municipality_id,
            object_type=kind,
            object_id=obj.id,
            created_at=obj.created_at,
            depublished_at=now,
            reason=reason,
        )
    )


def _stamp_later_items(session: Session, hidden: list[AgendaItem], now: dt.datetime) -> None:
    """A published item's ``order`` counts the public items before it: the items from a withdrawn one on
    move up, so they and their meeting are stamped ``now`` for clients to fetch them again. Plain UPDATEs
    that only raise the stamp: the agenda itself did not change (no version bump, no 412 for an editor)."""
    first_hidden: dict[int, int] = {}
    for item in hidden:
        first_hidden[item.meeting_id] = min(item.order, first_hidden.get(item.meeting_id, item.order))
    connection = session.connection()
    items, meetings = AgendaItem.__table__, Meeting.__table__
    for meeting_id, order in first_hidden.items():
        _raise_modified(
            connection, items, and_(items.c.meeting_id == meeting_id, items.c.order >= order), now
        )
        _raise_modified(connection, meetings, meetings.c.id == meeting_id, now)


def depublish_paper(
    sessions: sessionmaker[Session], *, actor: str, paper_id: int, reason: str, now: dt.datetime | None = None
) -> Paper:
    """Withdraw a published paper from the public (e.g. published by mistake): it, its steps, its agenda
    items and its documents leave the public record and are answered as deleted from now on."""
    now = clock(now)
    reason = (reason or "").strip()
    if not reason:
        raise RuleViolation("A reason is required", german="Bitte einen Grund angeben")
    with transaction(sessions) as session:
        paper = get(session, Paper, paper_id, lock=True)
        if not paper_public(paper):
            raise RuleViolation(
                f"Paper {paper_id} is not published",
                german=f"Die Vorlage {paper.reference or paper_id} ist nicht veröffentlicht",
            )
        town = paper.municipality_id
        public_files = session.execute(
            select(StoredFile.id, StoredFile.created_at).where(
                file_is_public(), StoredFile.paper_id == paper.id
            )
        ).all()
        item_ids = [c.agenda_item_id for c in paper.consultations if c.agenda_item_id is not None]
        items = (
            list(
                session.scalars(
                    select(AgendaItem).where(AgendaItem.id.in_(item_ids), agenda_item_is_public())
                )
            )
            if item_ids
            else []
        )
        item_files = (
            session.execute(
                select(StoredFile.id, StoredFile.created_at).where(
                    file_is_public(), StoredFile.agenda_item_id.in_([i.id for i in items])
                )
            ).all()
            if items
            else []
        )
        _tombstone(session, town, "paper", paper, now, reason)
        for step in paper.consultations:
            _tombstone(session, town, "consultation", step, now, reason)
        for item in items:
            # ``item.public`` stays as it is: it places the item in the meeting's public or non-public part
            # (the internal agenda and its numbering); ``agenda_item_is_public`` hides it with its paper.
            _tombstone(session, town, "agenda_item", item, now, reason)
        file_ids = {row.id for row in [*public_files, *item_files]}
        for row in {r.id: r for r in [*public_files, *item_files]}.values():
            _tombstone(session, town, "file", row, now, reason)
        if file_ids:
            session.execute(
                update(StoredFile)
                .where(StoredFile.id.in_(file_ids))
                .values(public=false(), modified_at=now)
                .execution_options(synchronize_session=False)
            )
        paper.public = False
        paper.modified_at = now
        session.flush()
        _stamp_later_items(session, items, now)
        record_audit(
            session,
            actor=actor,
            action="paper.depublished",
            entity=paper,
            now=now,
            reason=reason,
            paper_id=paper.id,
        )
        emit(session, "PaperDepublished", now, paper_id=paper.id, reference=paper.reference)
    return paper
