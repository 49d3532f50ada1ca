"""E-mail alerts of the public portal: subscriptions (double opt-in), what each was mailed, the request limit

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-07 08:20:00

alert_subscription: an address with the body or search it follows, the secret of its links and when it was
confirmed; deleted on unsubscribe. alert_sent: the items each subscription was mailed (never twice).
alert_request: the SHA-256 of an address per subscription request, for the per-address limit.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "alert_subscription",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("municipality_id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("target", sa.String(length=600), nullable=False),
        sa.Column("body_id", sa.Integer(), nullable=True),
        sa.Column("search", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=True),
        sa.Column("token", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("confirmed_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["municipality_id"],
            ["municipality.id"],
            name=op.f("fk_alert_subscription_municipality_id_municipality"),
        ),
        sa.ForeignKeyConstraint(
            ["body_id"], ["body.id"], name=op.f("fk_alert_subscription_body_id_body"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alert_subscription")),
        sa.UniqueConstraint(
            "municipality_id", "email", "target", name=op.f("uq_alert_subscription_municipality_id")
        ),
        sa.UniqueConstraint("token", name=op.f("uq_alert_subscription_token")),
    )
    op.create_index(op.f("ix_alert_subscription_municipality_id"), "alert_subscription", ["municipality_id"])
    op.create_index(op.f("ix_alert_subscription_body_id"), "alert_subscription", ["body_id"])
    op.create_table(
        "alert_sent",
        sa.Column("subscription_id", sa.Integer(), nullable=False),
        sa.Column("item_key", sa.String(length=64), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["subscription_id"],
            ["alert_subscription.id"],
            name=op.f("fk_alert_sent_subscription_id_alert_subscription"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("subscription_id", "item_key", name=op.f("pk_alert_sent")),
    )
    op.create_table(
        "alert_request",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("address_hash", sa.String(length=64), nullable=False),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alert_request")),
    )
    op.create_index("ix_alert_request_key", "alert_request", ["address_hash", "requested_at"])


def downgrade() -> None:
    op.drop_index("ix_alert_request_key", table_name="alert_request")
    op.drop_table("alert_request")
    op.drop_table("alert_sent")
    op.drop_index(op.f("ix_alert_subscription_body_id"), table_name="alert_subscription")
    op.drop_index(op.f("ix_alert_subscription_municipality_id"), table_name="alert_subscription")
    op.drop_table("alert_subscription")
