"""Indexes for the paper lists and the search: newest first and by the paper's date

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-07 22:30:00

ix_paper_listing and ix_paper_dated hold, beside their keys, the columns the filters of the paper search
test (public, state, kind, department, date): a page's ids are found in the index alone, and PostgreSQL
passes over the papers a filter leaves out without reading them (a date range five years back: 18 -> 5 ms,
docs/benchmarks.md). ix_paper_dated also serves the search sorted by date.
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0021"
down_revision: str | None = "0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

FILTERS = ["public", "state", "kind", "department_id"]


def upgrade() -> None:
    op.create_index(
        "ix_paper_listing", "paper", ["municipality_id", "id"], postgresql_include=[*FILTERS, "paper_date"]
    )
    op.create_index(
        "ix_paper_dated", "paper", ["municipality_id", "paper_date", "id"], postgresql_include=FILTERS
    )


def downgrade() -> None:
    op.drop_index("ix_paper_dated", table_name="paper")
    op.drop_index("ix_paper_listing", table_name="paper")
