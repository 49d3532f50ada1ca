"""The public portal's texts per municipality: Impressum, Datenschutz, Gebärdensprache

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-07 07:40:00

municipality.portal: what the municipality file sets under ``municipality.portal`` (all optional).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    json = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
    op.add_column("municipality", sa.Column("portal", json, nullable=False, server_default="{}"))


def downgrade() -> None:
    with op.batch_alter_table("municipality") as batch:
        batch.drop_column("portal")
