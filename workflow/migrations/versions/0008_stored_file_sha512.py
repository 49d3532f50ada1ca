"""stored_file.sha512: the SHA-512 of each generated document (OParl File.sha512Checksum), computed once

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-22 06:00:00

The column is filled for existing rows in batches, so the documents' contents are never all in memory at
once.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BATCH = 100


def upgrade() -> None:
    # NOT NULL from the start, with a placeholder default for the rows already there (filled in below). On
    # SQLite the placeholder default stays in the schema: removing it would mean copying the table, which a
    # PDF's reference to its DOCX master (stored_file → stored_file) makes fail; nothing relies on it, the
    # model computes the value on every INSERT.
    op.add_column(
        "stored_file",
        sa.Column("sha512", sa.String(length=128), nullable=False, server_default=""),
    )
    files = sa.table(
        "stored_file",
        sa.column("id", sa.Integer()),
        sa.column("content", sa.LargeBinary()),
        sa.column("sha512", sa.String()),
    )
    connection = op.get_bind()
    last = 0
    while True:
        rows = connection.execute(
            sa.select(files.c.id, files.c.content).where(files.c.id > last).order_by(files.c.id).limit(BATCH)
        ).all()
        if not rows:
            break
        for row in rows:
            connection.execute(
                sa.update(files)
                .where(files.c.id == row.id)
                .values(sha512=hashlib.sha512(row.content or b"").hexdigest())
            )
        last = rows[-1].id
    if connection.dialect.name != "sqlite":
        op.alter_column("stored_file", "sha512", server_default=None)


def downgrade() -> None:
    op.drop_column("stored_file", "sha512")  # native on both (SQLite >= 3.35), no copy of the table
