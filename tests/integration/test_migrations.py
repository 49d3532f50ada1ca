"""The Alembic migrations build exactly the schema the models describe, on both backends."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import text

from tests.conftest import Database
from workflow.db import downgrade, upgrade
from workflow.models import Base


def test_migrated_schema_matches_the_models(db: Database) -> None:
    with db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        differences = compare_metadata(context, Base.metadata)
    assert differences == []


def test_migrations_go_down_to_nothing_and_up_again(db: Database) -> None:
    db.engine.dispose()
    downgrade(db.url, "base")
    with db.engine.connect() as conn:
        tables = (
            (
                conn.execute(text("SELECT name FROM sqlite_master WHERE type='table'"))
                if db.kind == "sqlite"
                else conn.execute(text("SELECT tablename FROM pg_tables WHERE schemaname = 'public'"))
            )
            .scalars()
            .all()
        )
    assert set(tables) <= {"alembic_version"}
    db.engine.dispose()
    upgrade(db.url)
    with db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        assert compare_metadata(context, Base.metadata) == []
