"""stored files: mark renderings made while the paper was a draft

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-22 06:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # A plain ADD COLUMN on both: SQLite's batch mode would copy the table, and dropping the old copy fails
    # once a PDF refers to its DOCX master within the table.
    op.add_column("stored_file", sa.Column("draft", sa.Boolean(), server_default=sa.false(), nullable=False))
    # Renderings made before this column: a draft's Vorlage (and its PDF) is named "… (Entwurf <id>)", as a
    # draft has no Drucksachen-Nr. yet.
    op.execute(
        "UPDATE stored_file SET draft = TRUE WHERE kind = 'vorlage' AND public = FALSE AND name LIKE '%(Entwurf %'"
    )


def downgrade() -> None:
    # Native on both (SQLite >= 3.35): a batch copy of the table fails on SQLite once a PDF refers to its
    # DOCX master within the table.
    op.drop_column("stored_file", "draft")
