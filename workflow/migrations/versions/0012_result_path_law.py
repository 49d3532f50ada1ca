"""Municipal law on the result path: the urgency decision on a late item (NRW)

Revision ID: 0012
Revises: 0009
Create Date: 2026-12-07 05:20:00

item_result.urgency_decided: the body decided at the meeting that an item added after the invitation
brooks no delay or is of utmost urgency (§ 48 Abs. 1 Satz 5 GO NRW).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # ADD COLUMN with a constant default: no table copy on SQLite, no rewrite on PostgreSQL.
    op.add_column(
        "item_result",
        sa.Column("urgency_decided", sa.Boolean(), nullable=False, server_default=sa.false()),
    )


def downgrade() -> None:
    op.drop_column("item_result", "urgency_decided")
