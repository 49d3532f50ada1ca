"""Municipal law on the result path: late-item urgency, who presided, pending approval

Revision ID: 0012
Revises: 0009
Create Date: 2026-12-07 05:20:00

item_result.urgency_decided: the body decided at the meeting that an item added after the invitation
brooks no delay or is of utmost urgency (§ 48 Abs. 1 Satz 5 GO NRW).
item_result.presided_by_id: who presided for the item; the casting vote in the Hessen Magistrat is theirs
(§ 68 Abs. 2 HGO).
paper.pending_approval: a decision taken with more than half of the members recused needs the
Kommunalaufsicht's approval (§ 65 Abs. 3 NKomVG) until it is recorded.
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
    op.add_column("paper", sa.Column("pending_approval", sa.Text(), nullable=True))
    with op.batch_alter_table("item_result") as batch:
        batch.add_column(sa.Column("presided_by_id", sa.Integer(), nullable=True))
        batch.create_foreign_key("fk_item_result_presided_by_id_person", "person", ["presided_by_id"], ["id"])


def downgrade() -> None:
    with op.batch_alter_table("item_result") as batch:
        batch.drop_constraint("fk_item_result_presided_by_id_person", type_="foreignkey")
        batch.drop_column("presided_by_id")
    op.drop_column("item_result", "urgency_decided")
    op.drop_column("paper", "pending_approval")
