"""Municipal law on the result path: late-item urgency, who presided, pending approval

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07 05:20:00

item_result.urgency_decided: the body decided at the meeting that an item added after the invitation
brooks no delay or is of utmost urgency (§ 48 Abs. 1 Satz 5 GO NRW).
item_result.presided_by_id: who presided for the item; the casting vote in the Hessen Magistrat is theirs
(§ 68 Abs. 2 HGO).
paper.pending_approval: a decision taken with more than half of the members recused needs the
Kommunalaufsicht's approval (§ 65 Abs. 3 NKomVG) until it is recorded.
meeting_quorum: the quorum established at the opening, then presumed until its lack is formally established
(§ 53 Abs. 1 HGO, § 49 Abs. 1 GO NRW, § 65 Abs. 1 NKomVG).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # ADD COLUMN with a constant default: no table copy on SQLite, no rewrite on PostgreSQL.
    op.add_column(
        "item_result",
        sa.Column("urgency_decided", sa.Boolean(), nullable=False, server_default=sa.false()),
    )
    op.add_column("paper", sa.Column("pending_approval", sa.Text(), nullable=True))
    op.create_table(
        "meeting_quorum",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("meeting_id", sa.Integer(), nullable=False),
        sa.Column("body_id", sa.Integer(), nullable=False),
        sa.Column("established_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("present", sa.Integer(), nullable=False),
        sa.Column("needed", sa.Integer(), nullable=False),
        sa.Column("established_by", sa.String(length=200), nullable=False),
        sa.Column("lack_established_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("lacking_from_item_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["meeting_id"], ["meeting.id"], name=op.f("fk_meeting_quorum_meeting_id_meeting")
        ),
        sa.ForeignKeyConstraint(["body_id"], ["body.id"], name=op.f("fk_meeting_quorum_body_id_body")),
        sa.ForeignKeyConstraint(
            ["lacking_from_item_id"],
            ["agenda_item.id"],
            name=op.f("fk_meeting_quorum_lacking_from_item_id_agenda_item"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_meeting_quorum")),
        sa.UniqueConstraint("meeting_id", "body_id", name=op.f("uq_meeting_quorum_meeting_id")),
    )
    with op.batch_alter_table("item_result") as batch:
        batch.add_column(sa.Column("presided_by_id", sa.Integer(), nullable=True))
        batch.create_foreign_key("fk_item_result_presided_by_id_person", "person", ["presided_by_id"], ["id"])


def downgrade() -> None:
    with op.batch_alter_table("item_result") as batch:
        batch.drop_constraint("fk_item_result_presided_by_id_person", type_="foreignkey")
        batch.drop_column("presided_by_id")
    op.drop_column("item_result", "urgency_decided")
    op.drop_column("paper", "pending_approval")
    op.drop_table("meeting_quorum")
