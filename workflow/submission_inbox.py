"""The coordination office's submission inbox ("Eingang"): the drafts it may submit now, and those still
waiting for co-signatures (with the departments that have not signed yet), oldest change first; each list
one page at a time with its count, filtered by department and by words of the Betreff or the
Drucksachen-Nr., all in SQL."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Select, select
from sqlalchemy.orm import Session, selectinload

from workflow.models import Cosignature, Paper
from workflow.paging import PAGE_SIZE, Page, page_of
from workflow.papers import cosignature_missing, submittable
from workflow.search import subject_or_reference_has
from workflow.vocabulary import PaperState


@dataclass(frozen=True)
class Waiting:
    paper: Paper
    #: The departments whose required co-signature is still missing.
    missing: list[str]


@dataclass(frozen=True)
class Inbox:
    #: Ready: the paper machine allows ``submit`` now (every required co-signature given).
    ready: Page[Paper]
    #: In co-signing with a required co-signature missing.
    waiting: Page[Waiting]


def _papers(municipality_id: int, department_id: int | None, text: str) -> Select[Paper]:
    query = select(Paper).where(Paper.municipality_id == municipality_id)
    if department_id is not None:
        query = query.where(Paper.department_id == department_id)
    return query.where(subject_or_reference_has(text)).order_by(Paper.modified_at, Paper.id)


def submission_inbox(
    session: Session,
    municipality_id: int,
    department_id: int | None = None,
    text: str = "",
    *,
    ready_page: int = 1,
    waiting_page: int = 1,
    size: int = PAGE_SIZE,
) -> Inbox:
    """Page ``ready_page`` of the papers ready to submit and page ``waiting_page`` of those waiting for a
    co-signature, of the municipality (of one department, if given; with every word of ``text`` in the
    Betreff or the Drucksachen-Nr., if given)."""
    papers = _papers(municipality_id, department_id, text)
    ready = page_of(
        session,
        papers.where(submittable()).options(
            selectinload(Paper.department), selectinload(Paper.consultations)
        ),
        ready_page,
        size,
    )
    waiting = page_of(
        session,
        papers.where(Paper.state == PaperState.cosigning, cosignature_missing()).options(
            selectinload(Paper.cosignatures).selectinload(Cosignature.department),
            selectinload(Paper.department),
            selectinload(Paper.consultations),
        ),
        waiting_page,
        size,
    )
    missing = [
        Waiting(p, [c.department.name for c in p.cosignatures if c.required and c.signed_at is None])
        for p in waiting.items
    ]
    return Inbox(ready, Page(missing, waiting.total, waiting.number, waiting.size))
