"""Urgent procedures: Eil- und Dringlichkeitsentscheidungen

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-07 07:45:00

consultation.urgency: the step's part in the profile's urgent procedure ('decision': decides in place of
the body that cannot wait; 'follow_up': approves the decision or is informed of it), with
consultation.urgency_reason, why that body cannot wait (§ 60 Abs. 1 GO NRW, § 89 NKomVG, § 70 Abs. 3 HGO).
mayor_decision: an urgent decision the mayor took without a meeting, alone or with one member.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("consultation", sa.Column("urgency", sa.String(length=16), nullable=True))
    op.add_column("consultation", sa.Column("urgency_reason", sa.Text(), nullable=True))
    op.create_table(
        "mayor_decision",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("consultation_id", sa.Integer(), nullable=False),
        sa.Column("mayor_id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("decided_on", sa.Date(), nullable=False),
        sa.Column("recorded_by", sa.String(length=200), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["consultation_id"],
            ["consultation.id"],
            name=op.f("fk_mayor_decision_consultation_id_consultation"),
        ),
        sa.ForeignKeyConstraint(["mayor_id"], ["person.id"], name=op.f("fk_mayor_decision_mayor_id_person")),
        sa.ForeignKeyConstraint(
            ["member_id"], ["person.id"], name=op.f("fk_mayor_decision_member_id_person")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mayor_decision")),
        sa.UniqueConstraint("consultation_id", name=op.f("uq_mayor_decision_consultation_id")),
    )


def downgrade() -> None:
    op.drop_table("mayor_decision")
    op.drop_column("consultation", "urgency_reason")
    op.drop_column("consultation", "urgency")
