"""OParl: depublished objects (answered with deleted: true)

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-22 06:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "depublication",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("municipality_id", sa.Integer(), nullable=False),
        sa.Column("object_type", sa.String(length=32), nullable=False),
        sa.Column("object_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("depublished_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["municipality_id"],
            ["municipality.id"],
            name=op.f("fk_depublication_municipality_id_municipality"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_depublication")),
        sa.UniqueConstraint("object_type", "object_id", name=op.f("uq_depublication_object_type")),
    )
    op.create_index(
        "ix_depublication_listing",
        "depublication",
        ["municipality_id", "object_type", "object_id"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("ix_depublication_listing", table_name="depublication")
    op.drop_table("depublication")
