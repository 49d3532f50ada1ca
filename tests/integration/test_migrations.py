"""The Alembic migrations build exactly the schema the models describe, on both backends."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import text

from tests.conftest import Database
from workflow import source_models as _source_models  # noqa: F401  (its tables are in Base.metadata)
from workflow.db import compared_with_models, downgrade, upgrade
from workflow.models import Base


def _compare(conn: object) -> list[object]:
    context = MigrationContext.configure(
        conn,  # type: ignore[arg-type]
        opts={
            "compare_type": True,
            "include_object": compared_with_models,
        },
    )
    return list(compare_metadata(context, Base.metadata))


def test_migrated_schema_matches_the_models(db: Database) -> None:
    with db.engine.connect() as conn:
        assert _compare(conn) == []


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
        assert _compare(conn) == []


def test_the_german_full_text_column_is_kept_by_postgresql_and_indexed(pg: Database) -> None:
    with pg.engine.connect() as conn:
        definition = conn.execute(
            text("SELECT indexdef FROM pg_indexes WHERE indexname = 'ix_paper_search_vector'")
        ).scalar_one()
        generated = conn.execute(
            text(
                "SELECT pg_get_expr(d.adbin, d.adrelid) FROM pg_attrdef d JOIN pg_attribute a "
                "ON a.attrelid = d.adrelid AND a.attnum = d.adnum "
                "WHERE d.adrelid = 'paper'::regclass AND a.attname = 'search_vector'"
            )
        ).scalar_one()
    assert "USING gin (search_vector)" in definition
    assert generated.startswith("to_tsvector('german'::regconfig")
    for column in ("subject", "proposed_resolution", "justification"):
        assert column in generated


def test_the_search_uses_the_german_full_text_index(pg: Database) -> None:
    from sqlalchemy import select

    from workflow.models import Paper
    from workflow.search import matches

    query = select(Paper.id).where(matches("Städtepartnerschaft", "postgresql"))
    with pg.engine.connect() as conn:
        conn.execute(text("SET enable_seqscan = off"))  # a tiny test table: make the index the only way
        compiled = query.compile(conn)  # with its parameters bound as the driver sends them
        plan = "\n".join(str(row[0]) for row in conn.exec_driver_sql(f"EXPLAIN {compiled}", compiled.params))
    assert "ix_paper_search_vector" in plan, plan


def test_migrations_go_down_and_up_again_with_documents_stored(db: Database) -> None:
    # A PDF refers to its DOCX master within the same table: SQLite's batch copy of a table trips over such
    # rows, so every downgrade after 0004 must work with them present.
    from tests.oparl.world import add_document
    from tests.scenario import Scenario, berlin

    paper = Scenario(db.sessions).submitted_paper(subject="Vorlage", when="2014-01-10 10:00")
    add_document(db.sessions, kind="vorlage", name="Alt", paper_id=paper.id, now=berlin("2014-01-11 09:00"))
    db.engine.dispose()
    downgrade(db.url, "0004")
    db.engine.dispose()
    upgrade(db.url)
    with db.engine.connect() as conn:
        assert _compare(conn) == []
        assert conn.execute(text("SELECT count(*) FROM stored_file")).scalar_one() == 2
