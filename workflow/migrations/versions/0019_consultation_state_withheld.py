"""consultation: a step imported from a source that did not publish its state

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-07 10:30:00

consultation.state_withheld: the source published the step without its state (dealt with in private, e.g.
in a non-public meeting); it is published here without its state, outcome and wording too.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # A plain ADD COLUMN on both (SQLite's batch mode would copy the table).
    op.add_column(
        "consultation", sa.Column("state_withheld", sa.Boolean(), server_default=sa.false(), nullable=False)
    )


def downgrade() -> None:
    # Native on both (SQLite >= 3.35): a batch copy would have to rebuild the table's references.
    op.drop_column("consultation", "state_withheld")
