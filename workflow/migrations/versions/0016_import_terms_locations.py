"""Legislative terms and locations of imported municipalities; an imported agenda item's resolution text

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-07 08:15:00

legislative_term: the terms (Wahlperioden) an old council system recorded, published in OParl instead of the
term derived from the memberships. location: the places an old system recorded (address in parts), and
meeting.location_id; a meeting keeps its place as text too. agenda_item.resolution_text: the resolution text an old system recorded for an agenda item
(recorded results keep theirs in item_result).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("agenda_item", sa.Column("resolution_text", sa.Text(), nullable=True))
    op.create_table(
        "legislative_term",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("municipality_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("start_date", sa.Date(), nullable=True),
        sa.Column("end_date", sa.Date(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("modified_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["municipality_id"],
            ["municipality.id"],
            name=op.f("fk_legislative_term_municipality_id_municipality"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_legislative_term")),
    )
    op.create_index(op.f("ix_legislative_term_municipality_id"), "legislative_term", ["municipality_id"])
    op.create_table(
        "location",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("municipality_id", sa.Integer(), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("street_address", sa.String(length=300), nullable=True),
        sa.Column("room", sa.String(length=200), nullable=True),
        sa.Column("postal_code", sa.String(length=20), nullable=True),
        sa.Column("locality", sa.String(length=200), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("modified_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["municipality_id"], ["municipality.id"], name=op.f("fk_location_municipality_id_municipality")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_location")),
    )
    op.create_index(op.f("ix_location_municipality_id"), "location", ["municipality_id"])
    # On SQLite the table is copied (env.py runs migrations with foreign keys off and checks them after).
    with op.batch_alter_table("meeting") as batch:
        batch.add_column(sa.Column("location_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(op.f("fk_meeting_location_id_location"), "location", ["location_id"], ["id"])


def downgrade() -> None:
    with op.batch_alter_table("meeting") as batch:
        batch.drop_constraint(op.f("fk_meeting_location_id_location"), type_="foreignkey")
        batch.drop_column("location_id")
    op.drop_index(op.f("ix_location_municipality_id"), table_name="location")
    op.drop_table("location")
    op.drop_index(op.f("ix_legislative_term_municipality_id"), table_name="legislative_term")
    op.drop_table("legislative_term")
    op.drop_column("agenda_item", "resolution_text")
