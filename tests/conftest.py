"""Shared fixtures: a fresh, migrated database per test with the three example municipalities.

The ``db`` fixture runs a test on the embedded default (SQLite) and on the machine's real PostgreSQL. A
template database is migrated and loaded once per run; each test gets a cheap copy of it (a file copy for
SQLite, ``CREATE DATABASE … TEMPLATE`` for PostgreSQL). PostgreSQL tests are skipped when the server is
unreachable, except under ``CI=true``, where they fail instead.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.orm import Session, sessionmaker

from workflow.db import make_engine, make_session_factory, upgrade
from workflow.municipality import EXAMPLES, example_path
from workflow.setup import import_municipality

POSTGRES_URL = os.environ.get("GREMIENLAUF_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
IN_CI = os.environ.get("CI", "").lower() == "true"
SETUP_TIME = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)


def _admin_url(database: str | None = None) -> str:
    base = POSTGRES_URL.replace("postgresql://", "postgresql+psycopg://", 1)
    return base if database is None else base.rsplit("/", 1)[0] + f"/{database}"


def postgres_available() -> bool:
    try:
        engine = create_engine(_admin_url(), connect_args={"connect_timeout": 3})
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        engine.dispose()
        return True
    except Exception:
        return False


def require_postgres() -> None:
    if not postgres_available():
        if IN_CI:
            pytest.fail(f"CI=true but PostgreSQL is not reachable at {POSTGRES_URL}")
        pytest.skip(f"PostgreSQL not reachable at {POSTGRES_URL} (set GREMIENLAUF_TEST_POSTGRES_URL)")


def _load_examples(url: str) -> None:
    upgrade(url)
    engine = make_engine(url)
    sessions = make_session_factory(engine)
    for name in EXAMPLES:
        import_municipality(sessions, example_path(name), actor="test-setup", now=SETUP_TIME)
    engine.dispose()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "template.sqlite3"
    _load_examples(f"sqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def postgres_template() -> Iterator[str]:
    require_postgres()
    name = f"gl_template_{os.getpid()}"
    admin = create_engine(_admin_url(), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    _load_examples(_admin_url(name))
    yield name
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@dataclass
class Database:
    """One test's database: its URL, engine and session factory."""

    kind: str
    url: str
    engine: Engine
    sessions: sessionmaker[Session]

    def session(self) -> Session:
        return self.sessions()


def _sqlite_copy(template: Path, tmp_path: Path) -> Iterator[Database]:
    path = tmp_path / "test.sqlite3"
    shutil.copyfile(template, path)
    url = f"sqlite:///{path}"
    engine = make_engine(url)
    yield Database("sqlite", url, engine, make_session_factory(engine))
    engine.dispose()


def _postgres_copy(template: str) -> Iterator[Database]:
    name = f"gl_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(_admin_url(), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{template}"'))
    url = _admin_url(name)
    engine = make_engine(url)
    try:
        yield Database("postgresql", url, engine, make_session_factory(engine))
    finally:
        engine.dispose()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    """A fresh database with the three example municipalities, on SQLite and on PostgreSQL."""
    if request.param == "sqlite":
        yield from _sqlite_copy(request.getfixturevalue("sqlite_template"), tmp_path)
    else:
        yield from _postgres_copy(request.getfixturevalue("postgres_template"))


@pytest.fixture
def pg(request: pytest.FixtureRequest) -> Iterator[Database]:
    """A fresh PostgreSQL database only (for tests about real row locks and concurrency)."""
    yield from _postgres_copy(request.getfixturevalue("postgres_template"))


@pytest.fixture
def sqlite_db(sqlite_template: Path, tmp_path: Path) -> Iterator[Database]:
    yield from _sqlite_copy(sqlite_template, tmp_path)
