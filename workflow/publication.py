"""What the public sees (OParl and any other publication) and how it learns of changes.

Its parts:

* **Visibility** as SQL expressions (and ``paper_public`` for a loaded paper): a paper is public once submitted and
  while marked public; a meeting is public when at least one of its bodies meets in public (a meeting of
  only non-public bodies, e.g. the Magistrat, is not published at all); an agenda item is public when it is
  in the public part of a public meeting and does not deal with a non-public paper; a step of the
  Beratungsfolge is public with its paper; a generated document is public when marked so and everything it
  belongs to is public.
* **Parents follow their children**: ``workflow.stamps`` raises a published parent's ``modified_at`` when
  a row it embeds is written.
* **Depublication**: ``depublish_paper`` withdraws a published paper from the public with its steps,
  agenda items and documents, and records each of them in ``depublication`` so that OParl answers them with
  ``deleted: true`` from then on.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import ColumnElement, and_, exists, false, or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from workflow.access import DRAFT_STATES
from workflow.audit import emit, record_audit
from workflow.db import transaction
from workflow.errors import RuleViolation
from workflow.models import (
    AgendaItem,
    Body,
    Consultation,
    Depublication,
    Location,
    Meeting,
    MeetingBody,
    Paper,
    StoredFile,
)
from workflow.source_models import ImportedFile
from workflow.stamps import raise_modified
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


def imported_file_is_public() -> ColumnElement[bool]:
    """A file record of an imported object: public while it and what it belongs to are."""
    paper_ok = or_(
        ImportedFile.paper_id.is_(None),
        exists(select(Paper.id).where(Paper.id == ImportedFile.paper_id, paper_is_public())),
    )
    meeting_ok = or_(ImportedFile.meeting_id.is_(None), meeting_is_public(ImportedFile.meeting_id))
    item_ok = or_(
        ImportedFile.agenda_item_id.is_(None),
        exists(
            select(AgendaItem.id).where(AgendaItem.id == ImportedFile.agenda_item_id, agenda_item_is_public())
        ),
    )
    return and_(ImportedFile.public.is_(True), paper_ok, meeting_ok, item_ok)


def location_is_public() -> ColumnElement[bool]:
    """A recorded place: public while a public meeting is held there."""
    return exists(select(Meeting.id).where(Meeting.location_id == Location.id, meeting_is_public()))


def paper_public(paper: Paper) -> bool:
    return bool(paper.public) and paper.state not in DRAFT_VALUES


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
        raise_modified(connection, items, and_(items.c.meeting_id == meeting_id, items.c.order >= order), now)
        raise_modified(connection, meetings, meetings.c.id == meeting_id, now)


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
