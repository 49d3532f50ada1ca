"""What the public sees (OParl and any other publication) and how it learns of changes.

Its parts:

* **Visibility** as SQL expressions (and ``paper_public`` for a loaded paper): a paper is public once submitted and
  while marked public; a meeting is public when at least one of its bodies meets in public (a meeting of
  only non-public bodies, e.g. the Magistrat, is not published at all); an agenda item is public when it is
  in the public part of a public meeting and does not deal with a non-public paper; a step of the
  Beratungsfolge is public with its paper; a generated document is public when marked so and everything it
  belongs to is public; an attachment's title is public when the attachment is.
* **Dealt with in private**: a step whose agenda item or meeting is not public shows neither its outcome, its
  wording, its resolution nor where it was dealt with; so does a step imported from a source that published
  it without its state (``Consultation.state_withheld``: dealt with in private there); a paper whose
  deciding step was dealt with in private shows neither its decision (a deciding state, the adopted text,
  when it was decided) nor what follows from it. ``private_steps`` and ``decided_in_private`` say which, for loaded rows, with the same expressions.
* Every public surface (the pages, the JSON API without a token, OParl, the calendar and Atom feeds, the
  documents) asks these functions; ``workflow.access`` adds who may see more than the public.
* **Parents follow their children**: ``workflow.stamps`` raises a published parent's ``modified_at`` when
  a row it embeds is written.
* **Depublication**: ``depublish_paper`` withdraws a published paper from the public with its steps,
  agenda items and documents, and records each of them in ``depublication`` so that OParl answers them with
  ``deleted: true`` from then on.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any, Protocol

from sqlalchemy import ColumnElement, and_, exists, false, or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from workflow.audit import emit, record_audit
from workflow.db import transaction
from workflow.errors import RuleViolation
from workflow.models import (
    AgendaItem,
    Attachment,
    Body,
    Circulation,
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
from workflow.vocabulary import PaperState, Urgency

DRAFT_STATES = frozenset({PaperState.draft, PaperState.cosigning})
# Paper states that tell the decision: not shown while the decision was taken in private.
DECISION_STATES = frozenset(
    {
        PaperState.adopted,
        PaperState.adopted_amended,
        PaperState.rejected,
        PaperState.noted,
        PaperState.settled,
        PaperState.revoked,
    }
)
DRAFT_VALUES = tuple(sorted(state.value for state in DRAFT_STATES))

# ---------------------------------------------------------------------------------------------- visibility
# Each expression is built once per process (``functools.cache``; per column where it takes one): SQLAlchemy's
# expressions are immutable, any statement can reuse one, and building them anew took a good share of a page's
# CPU time.


@cache
def paper_is_public() -> ColumnElement[bool]:
    return and_(Paper.public.is_(True), Paper.state.notin_(DRAFT_VALUES))


@cache
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


@cache
def consultation_is_public() -> ColumnElement[bool]:
    return exists(select(Paper.id).where(Paper.id == Consultation.paper_id, paper_is_public()))


@cache
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


@cache
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


@cache
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


@cache
def location_is_public() -> ColumnElement[bool]:
    """A recorded place: public while a public meeting is held there."""
    return exists(select(Meeting.id).where(Meeting.location_id == Location.id, meeting_is_public()))


def paper_public(paper: Paper) -> bool:
    return bool(paper.public) and paper.state not in DRAFT_VALUES


def attachment_public(attachment: Attachment) -> bool:
    return bool(attachment.public)


# ------------------------------------------------------------------------ the rule for loaded rows


def public_ids(
    session: Session, model: Any, rule: ColumnElement[bool], ids: Iterable[int | None]
) -> set[int]:
    """Those of ``ids`` whose row of ``model`` the public may see under ``rule`` (one query)."""
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return set()
    return set(session.scalars(select(model.id).where(model.id.in_(wanted), rule)))


def public_meetings(session: Session, ids: Iterable[int | None]) -> set[int]:
    return public_ids(session, Meeting, meeting_is_public(), ids)


def public_agenda_items(session: Session, ids: Iterable[int | None]) -> set[int]:
    return public_ids(session, AgendaItem, agenda_item_is_public(), ids)


def public_agenda_items_of(session: Session, meeting_id: int) -> set[int]:
    """The ids of the meeting's agenda items that the public may see."""
    query = select(AgendaItem.id).where(AgendaItem.meeting_id == meeting_id, agenda_item_is_public())
    return set(session.scalars(query))


def public_files(session: Session, ids: Iterable[int | None]) -> set[int]:
    return public_ids(session, StoredFile, file_is_public(), ids)


class StepPlace(Protocol):
    """Where a step was dealt with: a ``Consultation`` or a row with these columns."""

    @property
    def id(self) -> int: ...
    @property
    def meeting_id(self) -> int | None: ...
    @property
    def agenda_item_id(self) -> int | None: ...
    @property
    def state_withheld(self) -> bool: ...


def private_steps(session: Session, steps: Sequence[StepPlace]) -> set[int]:
    """The steps dealt with (or to be dealt with) in private: on a non-public agenda item or in a non-public
    meeting, or without a meeting by a non-public body (in writing, Umlaufverfahren; or an urgent decision
    taken without a meeting in place of one); and the steps imported from a source that did not publish
    their state. Their outcome, wording, resolution and place are the content of the non-public
    deliberation."""
    items = public_agenda_items(session, (s.agenda_item_id for s in steps))
    meetings = public_meetings(session, (s.meeting_id for s in steps))
    private = {
        s.id
        for s in steps
        if (s.agenda_item_id is not None and s.agenda_item_id not in items)
        or (s.meeting_id is not None and s.meeting_id not in meetings)
        or s.state_withheld
    }
    return private | without_meeting_in_private(session, [s.id for s in steps if s.meeting_id is None])


def without_meeting_in_private(session: Session, step_ids: Sequence[int]) -> set[int]:
    """Of these steps, those a non-public body decides without a meeting: put to it in writing, or taken
    in its place by the urgent procedure."""
    if not step_ids:
        return set()
    in_writing = session.scalars(
        select(Circulation.consultation_id)
        .join(Body, Body.id == Circulation.body_id)
        .where(Circulation.consultation_id.in_(step_ids), Body.public.is_(False))
    )
    urgent = session.scalars(
        select(Consultation.id)
        .join(Body, Body.id == Consultation.body_id)
        .where(
            Consultation.id.in_(step_ids),
            Consultation.urgency == Urgency.decision.value,
            Body.public.is_(False),
        )
    )
    return set(in_writing) | set(urgent)


def decides(step: Consultation) -> bool:
    """A step whose outcome is the paper's decision: the authoritative one, or an urgent decision."""
    return bool(step.authoritative) or step.urgency == Urgency.decision.value


def decided_in_private(session: Session, paper_ids: Iterable[int]) -> set[int]:
    """Papers whose deciding step (or urgent decision) was, or is to be, dealt with in private: their
    decision is not published."""
    wanted = set(paper_ids)
    if not wanted:
        return set()
    rows = session.execute(
        select(
            Consultation.id,
            Consultation.paper_id,
            Consultation.agenda_item_id,
            Consultation.meeting_id,
            Consultation.state_withheld,
        ).where(
            Consultation.paper_id.in_(wanted),
            or_(Consultation.authoritative.is_(True), Consultation.urgency == Urgency.decision.value),
        )
    ).all()
    private = private_steps(session, rows)
    return {r.paper_id for r in rows if r.id in private}


#: What the public reads instead of a deciding state it may not see.
WITHHELD_STATE_LABEL = "in nichtöffentlicher Sitzung beraten"


@dataclass(frozen=True)
class Withheld:
    """What the public does not see of a paper it may see: the steps dealt with in private, whether its
    decision was taken in private, and its non-public attachments."""

    steps: frozenset[int] = frozenset()
    decision: bool = False
    attachments: frozenset[int] = frozenset()

    def state(self, state: str) -> str | None:
        return state if not self.decision or PaperState(state) not in DECISION_STATES else None


def withheld(session: Session, paper: Paper) -> Withheld:
    """``decision`` as ``decided_in_private`` says of the paper, from its steps' ``private_steps``."""
    private = private_steps(session, paper.consultations)
    return Withheld(
        steps=frozenset(private),
        decision=any(s.id in private for s in paper.consultations if decides(s)),
        attachments=frozenset(a.id for a in paper.attachments if not attachment_public(a)),
    )


def decided_in_private_clause() -> ColumnElement[bool]:
    """``decided_in_private`` as a WHERE clause on ``Paper`` (for filtering lists by state)."""
    item_hidden = and_(
        Consultation.agenda_item_id.is_not(None),
        ~exists(
            select(AgendaItem.id).where(AgendaItem.id == Consultation.agenda_item_id, agenda_item_is_public())
        ),
    )
    meeting_hidden = and_(Consultation.meeting_id.is_not(None), ~meeting_is_public(Consultation.meeting_id))
    private_body = exists(select(Body.id).where(Body.id == Consultation.body_id, Body.public.is_(False)))
    in_writing = and_(
        Consultation.meeting_id.is_(None),
        exists(
            select(Circulation.id)
            .join(Body, Body.id == Circulation.body_id)
            .where(Circulation.consultation_id == Consultation.id, Body.public.is_(False))
        ),
    )
    urgent = and_(
        Consultation.meeting_id.is_(None), Consultation.urgency == Urgency.decision.value, private_body
    )
    return exists(
        select(Consultation.id).where(
            Consultation.paper_id == Paper.id,
            or_(Consultation.authoritative.is_(True), Consultation.urgency == Urgency.decision.value),
            or_(item_hidden, meeting_hidden, in_writing, urgent, Consultation.state_withheld.is_(True)),
        )
    )


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
