"""Decisions without a meeting (Umlaufverfahren)

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07 07:30:00

circulation: a step of a paper decided in writing by its body (§ 67 Abs. 1 Satz 3 HGO, § 78 Abs. 3 NKomVG),
with circulation_answer, one row per member. item_result names either its agenda item or its circulation.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "circulation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("municipality_id", sa.Integer(), nullable=False),
        sa.Column("paper_id", sa.Integer(), nullable=False),
        sa.Column("consultation_id", sa.Integer(), nullable=False),
        sa.Column("body_id", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("resolution_text", sa.Text(), nullable=False),
        sa.Column("simple_matter", sa.Boolean(), nullable=False),
        sa.Column("started_by", sa.String(length=200), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("objected_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("modified_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["municipality_id"], ["municipality.id"], name=op.f("fk_circulation_municipality_id_municipality")
        ),
        sa.ForeignKeyConstraint(["paper_id"], ["paper.id"], name=op.f("fk_circulation_paper_id_paper")),
        sa.ForeignKeyConstraint(
            ["consultation_id"], ["consultation.id"], name=op.f("fk_circulation_consultation_id_consultation")
        ),
        sa.ForeignKeyConstraint(["body_id"], ["body.id"], name=op.f("fk_circulation_body_id_body")),
        sa.ForeignKeyConstraint(
            ["objected_by_id"], ["person.id"], name=op.f("fk_circulation_objected_by_id_person")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_circulation")),
    )
    op.create_index(op.f("ix_circulation_municipality_id"), "circulation", ["municipality_id"])
    op.create_index(op.f("ix_circulation_paper_id"), "circulation", ["paper_id"])
    op.create_index(op.f("ix_circulation_consultation_id"), "circulation", ["consultation_id"])
    op.create_table(
        "circulation_answer",
        sa.Column("circulation_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("voting_right", sa.Boolean(), nullable=False),
        sa.Column("answer", sa.String(length=8), nullable=True),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("answered_by", sa.String(length=200), nullable=True),
        sa.ForeignKeyConstraint(
            ["circulation_id"],
            ["circulation.id"],
            name=op.f("fk_circulation_answer_circulation_id_circulation"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["person.id"], name=op.f("fk_circulation_answer_person_id_person")
        ),
        sa.PrimaryKeyConstraint("circulation_id", "person_id", name=op.f("pk_circulation_answer")),
    )
    with op.batch_alter_table("item_result") as batch:
        batch.alter_column("agenda_item_id", existing_type=sa.Integer(), nullable=True)
        batch.add_column(sa.Column("circulation_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(
            "fk_item_result_circulation_id_circulation", "circulation", ["circulation_id"], ["id"]
        )
        batch.create_unique_constraint("uq_item_result_circulation_id", ["circulation_id"])
        batch.create_check_constraint(
            op.f("ck_item_result_agenda_item_or_circulation"),
            "(agenda_item_id IS NULL) <> (circulation_id IS NULL)",
        )


def downgrade() -> None:
    op.execute("DELETE FROM item_result WHERE circulation_id IS NOT NULL")
    with op.batch_alter_table("item_result") as batch:
        batch.drop_constraint(op.f("ck_item_result_agenda_item_or_circulation"), type_="check")
        batch.drop_constraint("uq_item_result_circulation_id", type_="unique")
        batch.drop_constraint("fk_item_result_circulation_id_circulation", type_="foreignkey")
        batch.drop_column("circulation_id")
        batch.alter_column("agenda_item_id", existing_type=sa.Integer(), nullable=False)
    op.drop_table("circulation_answer")
    op.drop_index(op.f("ix_circulation_consultation_id"), table_name="circulation")
    op.drop_index(op.f("ix_circulation_paper_id"), table_name="circulation")
    op.drop_index(op.f("ix_circulation_municipality_id"), table_name="circulation")
    op.drop_table("circulation")
