"""Fixtures for the document tests: the Wetzlar Vorlage 1562/13 walked from draft to adopted, and readers."""

from __future__ import annotations

import contextlib
import datetime as dt
import io
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from docx import Document
from docx.document import Document as DocumentObject
from sqlalchemy import select

from gremienlauf import demo
from gremienlauf.demo_users import create_demo_users
from tests.conftest import Database, _postgres_copy, _sqlite_copy
from workflow.models import AgendaItem, Consultation

NOW = dt.datetime(2013, 12, 2, 9, 0, tzinfo=dt.UTC)


def read_docx(content: bytes) -> DocumentObject:
    return Document(io.BytesIO(content))


def texts(doc: DocumentObject) -> list[str]:
    """The text of every body paragraph, in order."""
    return [p.text for p in doc.paragraphs]


def rows(doc: DocumentObject, table: int) -> list[list[str]]:
    return [[cell.text for cell in row.cells] for row in doc.tables[table].rows]


def header_text(doc: DocumentObject) -> str:
    return "\n".join(p.text for p in doc.sections[0].header.paragraphs)


@dataclass
class Wetzlar:
    """The demo's Wetzlar run: Vorlage 1562/13 through Magistrat, two committees, HFA and StVV."""

    db: Database
    paper_id: int
    items: dict[str, int]  # body key → the paper's agenda item at that body
    meetings: dict[str, int]  # body key → meeting id


def _walk(db: Database) -> Wetzlar:
    create_demo_users(db.sessions)  # the demo records results as the bodies' secretaries
    with contextlib.redirect_stdout(io.StringIO()):
        paper_id = demo._wetzlar(db.sessions)
    items: dict[str, int] = {}
    meetings: dict[str, int] = {}
    with db.session() as s:
        for item in s.scalars(
            select(AgendaItem)
            .join(Consultation, AgendaItem.consultation_id == Consultation.id)
            .where(Consultation.paper_id == paper_id)
            .order_by(AgendaItem.id)
        ):
            key = item.meeting.bodies[0].key
            items[key], meetings[key] = item.id, item.meeting_id
    return Wetzlar(db, paper_id, items, meetings)


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def wetzlar(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Wetzlar]:
    """One database per module and backend with the whole Wetzlar run; tests add documents, never change it."""
    if request.param == "sqlite":
        copies = _sqlite_copy(request.getfixturevalue("sqlite_template"), tmp_path_factory.mktemp("wetzlar"))
    else:
        copies = _postgres_copy(request.getfixturevalue("postgres_template"))
    for db in copies:
        yield _walk(db)
