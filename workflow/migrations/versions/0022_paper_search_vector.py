"""The German text of a paper as a stored tsvector (PostgreSQL): the search tests it without computing it

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-07 23:00:00

paper.search_vector is a generated column, to_tsvector('german', subject || ' ' || proposed_resolution ||
' ' || justification), kept by PostgreSQL on every write; ix_paper_search_vector (GIN) replaces the expression
index ix_paper_fulltext. A search that combines words with a body or a date range tests the words on the
papers the other filters let through: computing to_tsvector for each took about 50 microseconds, reading
the stored one a fraction of it (docs/benchmarks.md). SQLite keeps its stemmed search_text.
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0022"
down_revision: str | None = "0021"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

DOCUMENT = "to_tsvector('german'::regconfig, subject || ' ' || proposed_resolution || ' ' || justification)"


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(f"ALTER TABLE paper ADD COLUMN search_vector tsvector GENERATED ALWAYS AS ({DOCUMENT}) STORED")
    op.execute("CREATE INDEX ix_paper_search_vector ON paper USING gin (search_vector)")
    op.execute("DROP INDEX IF EXISTS ix_paper_fulltext")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(f"CREATE INDEX ix_paper_fulltext ON paper USING gin ({DOCUMENT})")
    op.execute("DROP INDEX IF EXISTS ix_paper_search_vector")
    op.execute("ALTER TABLE paper DROP COLUMN search_vector")
