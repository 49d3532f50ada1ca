"""OParl import: the source of imported history, its runs, the identity of each imported object, the
quarantine, the file records of the old system, an imported agenda item's result wording, and room
for the longer Drucksachen-Nr. of other systems

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07 04:30:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON = sa.JSON().with_variant(sa.dialects.postgresql.JSONB(), "postgresql")


def _reference_length(old: int, new: int) -> None:
    # On SQLite the table is copied (env.py runs migrations with foreign keys off and checks them after).
    with op.batch_alter_table("paper") as batch:
        batch.alter_column("reference", type_=sa.String(length=new), existing_type=sa.String(length=old))


def upgrade() -> None:
    op.add_column("agenda_item", sa.Column("result_wording", sa.Text(), nullable=True))
    # Real Drucksachen-Nr. are longer than our own ("27/2019 3. Ergänzung").
    _reference_length(20, 40)
    op.create_table(
        "import_source",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("municipality_id", sa.Integer(), nullable=False),
        sa.Column("entry_url", sa.String(length=1000), nullable=False),
        sa.Column("body_url", sa.String(length=1000), nullable=False),
        sa.Column("system_url", sa.String(length=1000), nullable=True),
        sa.Column("oparl_version", sa.String(length=100), nullable=True),
        sa.Column("vendor", sa.String(length=300), nullable=True),
        sa.Column("high_water_mark", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["municipality_id"],
            ["municipality.id"],
            name=op.f("fk_import_source_municipality_id_municipality"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_import_source")),
        sa.UniqueConstraint("body_url", name=op.f("uq_import_source_body_url")),
    )
    op.create_index(op.f("ix_import_source_municipality_id"), "import_source", ["municipality_id"])
    op.create_table(
        "import_run",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source_id", sa.Integer(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("since", sa.DateTime(timezone=True), nullable=True),
        sa.Column("high_water_mark", sa.DateTime(timezone=True), nullable=True),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("counts", JSON, nullable=False),
        sa.ForeignKeyConstraint(
            ["source_id"], ["import_source.id"], name=op.f("fk_import_run_source_id_import_source")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_import_run")),
    )
    op.create_index(op.f("ix_import_run_source_id"), "import_run", ["source_id"])
    op.create_table(
        "source_record",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source_id", sa.Integer(), nullable=False),
        sa.Column("url", sa.String(length=1000), nullable=False),
        sa.Column("oparl_type", sa.String(length=32), nullable=False),
        sa.Column("local_type", sa.String(length=32), nullable=False),
        sa.Column("local_id", sa.Integer(), nullable=True),
        sa.Column("parent_url", sa.String(length=1000), nullable=True),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("source_modified", sa.DateTime(timezone=True), nullable=True),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("first_run_id", sa.Integer(), nullable=False),
        sa.Column("last_run_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["source_id"], ["import_source.id"], name=op.f("fk_source_record_source_id_import_source")
        ),
        sa.ForeignKeyConstraint(
            ["first_run_id"], ["import_run.id"], name=op.f("fk_source_record_first_run_id_import_run")
        ),
        sa.ForeignKeyConstraint(
            ["last_run_id"], ["import_run.id"], name=op.f("fk_source_record_last_run_id_import_run")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_source_record")),
        sa.UniqueConstraint("source_id", "url", name=op.f("uq_source_record_source_id")),
    )
    op.create_index("ix_source_record_local", "source_record", ["local_type", "local_id"])
    op.create_index("ix_source_record_parent", "source_record", ["source_id", "parent_url"])
    op.create_table(
        "quarantined_object",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("url", sa.String(length=1000), nullable=False),
        sa.Column("oparl_type", sa.String(length=32), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["run_id"], ["import_run.id"], name=op.f("fk_quarantined_object_run_id_import_run")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_quarantined_object")),
    )
    op.create_index(op.f("ix_quarantined_object_run_id"), "quarantined_object", ["run_id"])
    op.create_table(
        "imported_file",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("municipality_id", sa.Integer(), nullable=False),
        sa.Column("paper_id", sa.Integer(), nullable=True),
        sa.Column("meeting_id", sa.Integer(), nullable=True),
        sa.Column("agenda_item_id", sa.Integer(), nullable=True),
        sa.Column("role", sa.String(length=32), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("file_name", sa.String(length=300), nullable=True),
        sa.Column("media_type", sa.String(length=100), nullable=True),
        sa.Column("size_bytes", sa.BigInteger(), nullable=True),
        sa.Column("file_date", sa.Date(), nullable=True),
        sa.Column("access_url", sa.String(length=1000), nullable=False),
        sa.Column("download_url", sa.String(length=1000), nullable=True),
        sa.Column("public", sa.Boolean(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=True),
        sa.Column("sha512", sa.String(length=128), nullable=True),
        sa.Column("content", sa.LargeBinary(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("modified_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["municipality_id"],
            ["municipality.id"],
            name=op.f("fk_imported_file_municipality_id_municipality"),
        ),
        sa.ForeignKeyConstraint(["paper_id"], ["paper.id"], name=op.f("fk_imported_file_paper_id_paper")),
        sa.ForeignKeyConstraint(
            ["meeting_id"], ["meeting.id"], name=op.f("fk_imported_file_meeting_id_meeting")
        ),
        sa.ForeignKeyConstraint(
            ["agenda_item_id"], ["agenda_item.id"], name=op.f("fk_imported_file_agenda_item_id_agenda_item")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_imported_file")),
    )
    for column in ("municipality_id", "paper_id", "meeting_id", "agenda_item_id", "sha256"):
        op.create_index(op.f(f"ix_imported_file_{column}"), "imported_file", [column])


def downgrade() -> None:
    op.drop_table("imported_file")
    op.drop_table("quarantined_object")
    op.drop_table("source_record")
    op.drop_table("import_run")
    op.drop_table("import_source")
    op.drop_column("agenda_item", "result_wording")
    _reference_length(40, 20)
