"""Database access: settings, engines, the one-transaction-per-use-case helper and migrations.

The embedded default is a SQLite file; ``GREMIENLAUF_DATABASE_URL`` points at PostgreSQL (psycopg 3).
The database is the source of truth in every mode.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy import ColumnElement, Engine, create_engine, event, literal
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.orm.exc import StaleDataError

from workflow import stamps
from workflow.errors import Conflict, RuleViolation, VersionConflict

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
WRITE_TRANSACTION = "gremienlauf_write_transaction"  # execution option: this transaction will write


class Settings(BaseSettings):
    """Settings read from the environment (prefix ``GREMIENLAUF_``)."""

    model_config = SettingsConfigDict(env_prefix="GREMIENLAUF_", extra="ignore")

    database_url: str = "sqlite:///var/gremienlauf.sqlite3"
    # Connections per process (PostgreSQL); a request holds at most one at a time. All 30 are kept once
    # opened: an overflow connection is closed when it returns to a full pool, and under load (more
    # requests at once than the pool's size) every third request then opened a new one (a new PostgreSQL
    # backend each time).
    db_pool_size: int = 30
    db_max_overflow: int = 0
    # Test each pooled connection before use (one extra round trip per checkout); it spares the first
    # request after a database restart an error. Off, a dead connection fails one request and the pool
    # is then renewed.
    db_pool_pre_ping: bool = True


def normalise_url(url: str) -> str:
    """Accept the plain ``postgresql://`` form and use psycopg 3 for it."""
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


def make_engine(url: str | None = None, **kwargs: Any) -> Engine:
    """Engine for ``url`` (default: the setting). SQLite gets WAL, foreign keys and write locks."""
    url = normalise_url(url or Settings().database_url)
    if url.startswith("sqlite"):
        database = url.split("///", 1)[-1]
        if database and database != ":memory:" and not database.startswith("file:"):
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 30}, **kwargs)
        _make_sqlite_transactions_lock(engine)
        return engine
    if "poolclass" not in kwargs:
        settings = Settings()
        kwargs.setdefault("pool_size", settings.db_pool_size)
        kwargs.setdefault("max_overflow", settings.db_max_overflow)
    engine = create_engine(url, pool_pre_ping=Settings().db_pool_pre_ping, **kwargs)
    # Several rows of one table in one flush (a result's presence rows, its audit events) go out as one
    # INSERT … VALUES (…), (…) as with psycopg2, not as psycopg 3's executemany in pipeline mode, whose
    # polling of the socket cost the API process CPU per result (docs/benchmarks.md).
    engine.dialect.use_insertmanyvalues_wo_returning = True
    return engine


def _make_sqlite_transactions_lock(engine: Engine) -> None:
    """SQLite has no row locks: a use case takes the write lock at BEGIN (``BEGIN IMMEDIATE``).

    pysqlite's own transaction handling would begin lazily and let two writers read the same state; the
    SQLAlchemy recipe for SQLite transactions is to switch it off and emit BEGIN ourselves. Reads outside a
    use case begin normally and do not block writers (WAL).
    """

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        immediate = connection.get_execution_options().get(WRITE_TRANSACTION, False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def in_text(count: int) -> ColumnElement[int]:
    """A LIMIT written into the statement's text instead of bound: PostgreSQL then may keep one plan for the
    prepared statement. With a bound LIMIT a plan made for the given value always looks cheaper than the
    generic one, so every execution is planned anew (milliseconds for the publication rule's subqueries)."""
    return literal(count, literal_execute=True)


_FLUSHED = "db.flushed"


def _note_flush(session: Session, _context: object) -> None:
    session.info[_FLUSHED] = True


def wrote_nothing(session: Session) -> bool:
    """Nothing was changed through ``session``: no pending change and no flush in its life so far."""
    return not (session.new or session.dirty or session.deleted or session.info.get(_FLUSHED))


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions on ``engine``, with the listeners that raise a published parent's ``modified_at`` and the
    one that notes a flush (``wrote_nothing``)."""
    stamps.install()
    # expire_on_commit=False: use cases return the objects they changed, readable after commit.
    factory = sessionmaker(engine, expire_on_commit=False)
    event.listen(factory, "after_flush", _note_flush)
    return factory


@contextmanager
def transaction(sessions: sessionmaker[Session]) -> Iterator[Session]:
    """One use case, one transaction: commit once at the end, roll back everything on any error.

    Lost races surface as domain errors: a stale version column → VersionConflict, a unique constraint
    hit by a concurrent writer → Conflict.
    """
    session = sessions()
    try:
        with session.begin():
            session.connection(execution_options={WRITE_TRANSACTION: True})
            yield session
    except StaleDataError as exc:
        raise VersionConflict(
            "Someone else changed this record in the meantime; reload and try again", detail=str(exc)
        ) from exc
    except IntegrityError as exc:
        # Only a unique constraint is a race another writer won; any other violation is bad input that
        # slipped past the checks, and retrying it would not help.
        unique = getattr(exc.orig, "sqlstate", None) == "23505" or "UNIQUE constraint failed" in str(exc.orig)
        if unique:
            raise Conflict(
                "The change conflicts with data recorded at the same time by someone else; reload and try again",
                german="Jemand anderes hat gleichzeitig dasselbe erfasst; bitte neu laden",
                detail=str(exc.orig),
            ) from exc
        raise RuleViolation(
            "The change refers to something that does not exist or leaves out a required value",
            detail=str(exc.orig).splitlines()[0],
        ) from exc
    except DBAPIError as exc:
        # PostgreSQL: deadlock_detected, serialization_failure, lock_not_available; SQLite: database locked.
        sqlstate = getattr(exc.orig, "sqlstate", None)
        sqlite_busy = isinstance(exc, OperationalError) and "database is locked" in str(exc.orig).lower()
        if sqlstate in ("40P01", "40001", "55P03") or sqlite_busy:
            raise Conflict(
                "Someone else was changing the same records at the same moment; please try again",
                german="Jemand anderes hat gleichzeitig dieselben Daten geändert; bitte noch einmal versuchen",
                detail=str(exc.orig),
            ) from exc
        raise
    finally:
        session.close()


# What only the migrations know, and a comparison of the schema with the models leaves out (PostgreSQL only):
# the generated German full-text column of a paper, not mapped so that the ORM never loads it, and its index.
MIGRATION_ONLY = {("column", "paper.search_vector"), ("index", "ix_paper_search_vector")}


def compared_with_models(obj: Any, name: str | None, kind: str, reflected: bool, compare_to: Any) -> bool:
    """Alembic's ``include_object``: False for what only the migrations know (``MIGRATION_ONLY``)."""
    qualified = f"{obj.table.name}.{name}" if kind == "column" else name
    return (kind, qualified) not in MIGRATION_ONLY


def alembic_config(url: str) -> Any:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", normalise_url(url).replace("%", "%%"))
    return config


def upgrade(url: str | None = None, revision: str = "head") -> None:
    """Apply the Alembic migrations up to ``revision``."""
    from alembic import command

    command.upgrade(alembic_config(url or Settings().database_url), revision)


def downgrade(url: str | None, revision: str) -> None:
    from alembic import command

    command.downgrade(alembic_config(url or Settings().database_url), revision)
