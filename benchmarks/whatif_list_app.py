"""A what-if, not what ships: the app with the two fixes that docs/benchmarks.md suggests for listing and
searching, patched in at start-up, to measure what they would gain.

1. Full-text search names the text search configuration as the constant ``'german'::regconfig``. The app
   binds ``'german'`` as a parameter and casts it (``CAST(%(param)s AS REGCONFIG)``); that expression is not
   the one of the index ``ix_paper_fulltext``, so PostgreSQL neither uses the index nor knows how many papers
   match, and walks the whole table newest first, computing ``to_tsvector`` for every row until 51 match.
2. A council member's list checks "non-public paper of one of my bodies" with a correlated ``EXISTS`` that
   is only evaluated for non-public papers, instead of ``paper.id IN (SELECT paper_id FROM consultation …)``,
   which PostgreSQL answers by hashing every step of those bodies on every request.

Run it with ``python -m benchmarks.list_search --app benchmarks.whatif_list_app:app``.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, exists, func, literal_column, select
from sqlalchemy.orm import Session

import api.routes.papers as routes
from api.main import app
from workflow.access import DRAFT_STATES, Principal, Role, member_body_ids
from workflow.models import Consultation, Paper
from workflow.search import matches as shipped_matches

__all__ = ["app"]

GERMAN: ColumnElement[Any] = literal_column("'german'::regconfig")
_shipped_matches = shipped_matches


def matches(query: str, dialect: str) -> ColumnElement[bool]:
    if dialect != "postgresql":
        return _shipped_matches(query, dialect)
    document = func.to_tsvector(
        GERMAN, Paper.subject + " " + Paper.proposed_resolution + " " + Paper.justification
    )
    return document.op("@@")(func.websearch_to_tsquery(GERMAN, query))


def _visible(query: Any, session: Session, who: Principal | None, town_id: int) -> Any:
    published = Paper.state.not_in([s.value for s in DRAFT_STATES])
    if who is None or who.municipality_id != town_id:
        return query.where(Paper.public.is_(True), published)
    if who.role in (Role.admin, Role.coordination):
        return query
    if who.role is Role.department:
        return query.where(published | (Paper.department_id == who.department_id))
    if who.role is Role.secretary:
        return query.where(published)
    bodies = member_body_ids(session, who.person_id)
    of_my_bodies = exists(
        select(Consultation.id).where(
            Consultation.paper_id == Paper.id,
            Consultation.body_id.in_(bodies),
            Paper.public.is_(False),  # refers to the outer row: evaluated per non-public paper, not hashed
        )
    )
    return query.where(published, Paper.public.is_(True) | of_my_bodies)


routes.matches = matches  # type: ignore[attr-defined]  # the route looks the name up in its module
routes._visible = _visible
