"""PDF claims: which DOCX master a worker is converting, while it converts outside any transaction

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-07 10:30:00

pdf_claim: one row per master being converted (its id, when the claim was taken); deleted when the PDF is
stored. A conversion takes seconds and no longer holds a transaction (nor SQLite's write lock) open.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "pdf_claim",
        sa.Column("master_file_id", sa.Integer(), nullable=False),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["master_file_id"], ["stored_file.id"], name=op.f("fk_pdf_claim_master_file_id_stored_file")
        ),
        sa.PrimaryKeyConstraint("master_file_id", name=op.f("pk_pdf_claim")),
    )


def downgrade() -> None:
    op.drop_table("pdf_claim")
