"""agenda_item.matter: what an agenda item concerns where the law ties a rule to it (Wahl, Hauptsatzung)

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07 05:00:00

Hessen: with an election or the Hauptsatzung on the agenda the notice period is at least three days and
cannot be shortened (§ 58 Abs. 3 HGO); every profile: the Hauptsatzung needs a qualified majority.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # A plain ADD COLUMN (nullable, no default) on both databases: no table copy on SQLite.
    op.add_column("agenda_item", sa.Column("matter", sa.String(length=32), nullable=True))


def downgrade() -> None:
    op.drop_column("agenda_item", "matter")
