"""VACUUM ANALYZE paper after migration 0022 rewrote it (PostgreSQL)

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-07 23:50:00

Adding the generated column rewrote the table, and a rewritten table has an empty visibility map until a
VACUUM: the index-only scans of the paper lists (migration 0021) would read the table again. VACUUM cannot
run in a transaction, so it runs in an autocommit block, which first commits what the migrations before it
did; a revision of its own, so that an interrupted VACUUM leaves 0022 recorded and this one to run again.
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0023"
down_revision: str | None = "0022"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    with op.get_context().autocommit_block():
        op.execute("VACUUM ANALYZE paper")


def downgrade() -> None:
    pass  # nothing to undo
