"""The coordination office's submission inbox ("Eingang"): the drafts it may submit now, and those still
waiting for co-signatures (with the departments that have not signed yet), oldest change first."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from workflow.models import Cosignature, Paper
from workflow.papers import allowed_paper_triggers
from workflow.vocabulary import PaperState


@dataclass(frozen=True)
class Waiting:
    paper: Paper
    #: The departments whose required co-signature is still missing.
    missing: list[str]


@dataclass(frozen=True)
class Inbox:
    ready: list[Paper] = field(default_factory=list)
    waiting: list[Waiting] = field(default_factory=list)


def submission_inbox(session: Session, municipality_id: int, department_id: int | None = None) -> Inbox:
    """Drafts and papers in co-signing of the municipality (of one department, if given): ready when the
    paper machine allows ``submit`` now (every required co-signature given), else waiting."""
    query = (
        select(Paper)
        .options(
            selectinload(Paper.cosignatures).selectinload(Cosignature.department),
            selectinload(Paper.department),
            selectinload(Paper.consultations),
        )
        .where(
            Paper.municipality_id == municipality_id,
            Paper.state.in_([PaperState.draft, PaperState.cosigning]),
        )
    )
    if department_id is not None:
        query = query.where(Paper.department_id == department_id)
    inbox = Inbox()
    for paper in session.scalars(query.order_by(Paper.modified_at, Paper.id)):
        if "submit" in allowed_paper_triggers(paper):
            inbox.ready.append(paper)
        elif paper.state == PaperState.cosigning:
            missing = [c.department.name for c in paper.cosignatures if c.required and c.signed_at is None]
            inbox.waiting.append(Waiting(paper, missing))
    return inbox
