"""The read session of a request: it ends with a commit when nothing was written through it (the pooled
connection keeps its prepared statements), and anything changed or flushed through it is rolled back."""

from __future__ import annotations

from sqlalchemy import select

from api.deps import read_session
from tests.conftest import Database
from workflow.db import wrote_nothing
from workflow.models import Municipality


def _name(db: Database) -> str:
    with db.sessions() as s:
        return s.scalars(select(Municipality.name).where(Municipality.key == "wetzlar")).one()


def test_a_session_that_only_read_wrote_nothing_and_one_that_changed_or_flushed_did(db: Database) -> None:
    with db.sessions() as s:
        town = s.scalars(select(Municipality).where(Municipality.key == "wetzlar")).one()
        assert wrote_nothing(s)
        town.name = "Geändert"
        assert not wrote_nothing(s)  # pending
        s.flush()
        assert not s.dirty
        assert not wrote_nothing(s)  # flushed, not yet visible to anyone else
        s.rollback()


def test_what_a_request_changed_through_its_read_session_is_rolled_back(db: Database) -> None:
    before = _name(db)
    for flush in (False, True):
        requests = read_session(db.sessions)
        session = next(requests)
        town = session.scalars(select(Municipality).where(Municipality.key == "wetzlar")).one()
        town.name = "Geändert durch eine Seite"
        if flush:
            session.flush()
        assert next(requests, None) is None  # the request ends
        assert _name(db) == before


def test_a_request_that_only_read_ends_its_transaction_with_a_commit(db: Database) -> None:
    requests = read_session(db.sessions)
    session = next(requests)
    session.scalars(select(Municipality)).all()
    assert session.in_transaction()
    assert next(requests, None) is None
    assert not session.in_transaction()
