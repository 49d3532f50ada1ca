"""Indexes for the web pages with many papers: the latest submitted papers of a municipality

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-07 10:30:00

ix_paper_submitted: the portal's start page and the Atom feed of new papers list the most recently
submitted published papers; without it PostgreSQL sorted every paper of the municipality per request
(docs/benchmarks.md, issue 13).
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0020"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_paper_submitted", "paper", ["municipality_id", "submitted_at", "id"])


def downgrade() -> None:
    op.drop_index("ix_paper_submitted", table_name="paper")
