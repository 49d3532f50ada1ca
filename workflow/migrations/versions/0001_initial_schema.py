"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-22 02:05:41.547268
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "audit_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("action", sa.String(length=64), nullable=False),
        sa.Column("entity_type", sa.String(length=32), nullable=False),
        sa.Column("entity_id", sa.Integer(), nullable=False),
        sa.Column("paper_id", sa.Integer(), nullable=True),
        sa.Column("meeting_id", sa.Integer(), nullable=True),
        sa.Column(
            "before",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
        ),
        sa.Column(
            "after",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
        ),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_event")),
    )
    with op.batch_alter_table("audit_event", schema=None) as batch_op:
        batch_op.create_index("ix_audit_event_entity", ["entity_type", "entity_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_audit_event_meeting_id"), ["meeting_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_audit_event_paper_id"), ["paper_id"], unique=False)

    op.create_table(
        "municipality",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("short_name", sa.String(length=100), nullable=False),
        sa.Column("profile", sa.String(length=32), nullable=False),
        sa.Column("website", sa.String(length=300), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("modified_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_municipality")),
        sa.UniqueConstraint("key", name=op.f("uq_municipality_key")),
    )
    op.create_table(
        "outbox",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("event_type", sa.String(length=64), nullable=False),
        sa.Column(
            "payload",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox")),
    )
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.create_index("ix_outbox_pending", ["published_at", "id"], unique=False)

    op.create_table(
        "body",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("municipality_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("short_name", sa.String(length=60), nullable=False),
        sa.Column("statutory_members", sa.Integer(), nullable=False),
        sa.Column("public", sa.Boolean(), nullable=False),
        sa.Column(
            "tags",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "settings_override",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("modified_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["municipality_id"], ["municipality.id"], name=op.f("fk_body_municipality_id_municipality")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_body")),
        sa.UniqueConstraint("municipality_id", "key", name=op.f("uq_body_municipality_id")),
    )
    op.create_table(
        "department",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("municipality_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("short_name", sa.String(length=100), nullable=True),
        sa.Column("email", sa.String(length=200), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("modified_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["municipality_id"], ["municipality.id"], name=op.f("fk_department_municipality_id_municipality")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_department")),
        sa.UniqueConstraint("municipality_id", "key", name=op.f("uq_department_municipality_id")),
    )
    op.create_table(
        "faction",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("municipality_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("short_name", sa.String(length=60), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("modified_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["municipality_id"], ["municipality.id"], name=op.f("fk_faction_municipality_id_municipality")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_faction")),
        sa.UniqueConstraint("municipality_id", "key", name=op.f("uq_faction_municipality_id")),
    )
    op.create_table(
        "meeting",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("municipality_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("state", sa.String(length=32), nullable=False),
        sa.Column("start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("end", sa.DateTime(timezone=True), nullable=True),
        sa.Column("location", sa.String(length=300), nullable=True),
        sa.Column("second_session", sa.Boolean(), nullable=False),
        sa.Column("invitation_sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("invitation_channel", sa.String(length=16), nullable=True),
        sa.Column("urgent", sa.Boolean(), nullable=False),
        sa.Column("urgent_reason", sa.Text(), nullable=True),
        sa.Column("cancelled_reason", sa.Text(), nullable=True),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("modified_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["municipality_id"], ["municipality.id"], name=op.f("fk_meeting_municipality_id_municipality")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_meeting")),
    )
    with op.batch_alter_table("meeting", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_meeting_municipality_id"), ["municipality_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_meeting_start"), ["start"], unique=False)
        batch_op.create_index(batch_op.f("ix_meeting_state"), ["state"], unique=False)

    op.create_table(
        "person",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("municipality_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("given_name", sa.String(length=100), nullable=False),
        sa.Column("family_name", sa.String(length=100), nullable=False),
        sa.Column("title", sa.String(length=60), nullable=True),
        sa.Column("function", sa.String(length=120), nullable=True),
        sa.Column("email", sa.String(length=200), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("modified_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["municipality_id"], ["municipality.id"], name=op.f("fk_person_municipality_id_municipality")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_person")),
        sa.UniqueConstraint("municipality_id", "key", name=op.f("uq_person_municipality_id")),
    )
    op.create_table(
        "reference_counter",
        sa.Column("municipality_id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("last_number", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["municipality_id"],
            ["municipality.id"],
            name=op.f("fk_reference_counter_municipality_id_municipality"),
        ),
        sa.PrimaryKeyConstraint("municipality_id", "year", name=op.f("pk_reference_counter")),
    )
    op.create_table(
        "attendance",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("meeting_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("modified_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["meeting_id"], ["meeting.id"], name=op.f("fk_attendance_meeting_id_meeting")
        ),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"], name=op.f("fk_attendance_person_id_person")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_attendance")),
        sa.UniqueConstraint("meeting_id", "person_id", name=op.f("uq_attendance_meeting_id")),
    )
    with op.batch_alter_table("attendance", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_attendance_meeting_id"), ["meeting_id"], unique=False)

    op.create_table(
        "meeting_body",
        sa.Column("meeting_id", sa.Integer(), nullable=False),
        sa.Column("body_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["body_id"], ["body.id"], name=op.f("fk_meeting_body_body_id_body")),
        sa.ForeignKeyConstraint(
            ["meeting_id"], ["meeting.id"], name=op.f("fk_meeting_body_meeting_id_meeting")
        ),
        sa.PrimaryKeyConstraint("meeting_id", "body_id", name=op.f("pk_meeting_body")),
    )
    with op.batch_alter_table("meeting_body", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_meeting_body_body_id"), ["body_id"], unique=False)

    op.create_table(
        "membership",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("body_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(length=32), nullable=False),
        sa.Column("voting_right", sa.Boolean(), nullable=False),
        sa.Column("faction_id", sa.Integer(), nullable=True),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("end_date", sa.Date(), nullable=True),
        sa.Column("substitute_of_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("modified_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["body_id"], ["body.id"], name=op.f("fk_membership_body_id_body")),
        sa.ForeignKeyConstraint(
            ["faction_id"], ["faction.id"], name=op.f("fk_membership_faction_id_faction")
        ),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"], name=op.f("fk_membership_person_id_person")),
        sa.ForeignKeyConstraint(
            ["substitute_of_id"], ["person.id"], name=op.f("fk_membership_substitute_of_id_person")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_membership")),
    )
    with op.batch_alter_table("membership", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_membership_body_id"), ["body_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_membership_person_id"), ["person_id"], unique=False)

    op.create_table(
        "paper",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("municipality_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("state", sa.String(length=32), nullable=False),
        sa.Column("reference", sa.String(length=20), nullable=True),
        sa.Column("file_reference", sa.String(length=100), nullable=True),
        sa.Column("department_id", sa.Integer(), nullable=False),
        sa.Column("paper_date", sa.Date(), nullable=False),
        sa.Column("subject", sa.Text(), nullable=False),
        sa.Column("proposed_resolution", sa.Text(), nullable=False),
        sa.Column("justification", sa.Text(), nullable=False),
        sa.Column("financial_impact", sa.Boolean(), nullable=False),
        sa.Column("public", sa.Boolean(), nullable=False),
        sa.Column("signed_place", sa.String(length=100), nullable=True),
        sa.Column("signed_on", sa.Date(), nullable=True),
        sa.Column("signatory_id", sa.Integer(), nullable=True),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("resolution_text", sa.Text(), nullable=True),
        sa.Column("superseded_by_id", sa.Integer(), nullable=True),
        sa.Column("closing_reason", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("modified_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["department_id"], ["department.id"], name=op.f("fk_paper_department_id_department")
        ),
        sa.ForeignKeyConstraint(
            ["municipality_id"], ["municipality.id"], name=op.f("fk_paper_municipality_id_municipality")
        ),
        sa.ForeignKeyConstraint(["signatory_id"], ["person.id"], name=op.f("fk_paper_signatory_id_person")),
        sa.ForeignKeyConstraint(
            ["superseded_by_id"], ["paper.id"], name=op.f("fk_paper_superseded_by_id_paper")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_paper")),
        sa.UniqueConstraint("municipality_id", "reference", name=op.f("uq_paper_municipality_id")),
    )
    with op.batch_alter_table("paper", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_paper_department_id"), ["department_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_paper_municipality_id"), ["municipality_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_paper_state"), ["state"], unique=False)

    op.create_table(
        "attachment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("paper_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("file_name", sa.String(length=300), nullable=True),
        sa.Column("media_type", sa.String(length=100), nullable=True),
        sa.Column("size_bytes", sa.Integer(), nullable=True),
        sa.Column("public", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("modified_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["paper_id"], ["paper.id"], name=op.f("fk_attachment_paper_id_paper")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_attachment")),
    )
    with op.batch_alter_table("attachment", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_attachment_paper_id"), ["paper_id"], unique=False)

    op.create_table(
        "consultation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("paper_id", sa.Integer(), nullable=False),
        sa.Column("body_id", sa.Integer(), nullable=False),
        sa.Column("stage", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(length=32), nullable=False),
        sa.Column("authoritative", sa.Boolean(), nullable=False),
        sa.Column("state", sa.String(length=32), nullable=False),
        sa.Column("meeting_id", sa.Integer(), nullable=True),
        sa.Column("agenda_item_id", sa.Integer(), nullable=True),
        sa.Column("outcome", sa.String(length=32), nullable=True),
        sa.Column("outcome_wording", sa.Text(), nullable=True),
        sa.Column("resolution_text", sa.Text(), nullable=True),
        sa.Column("referred_from_id", sa.Integer(), nullable=True),
        sa.Column("quorum_failed", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("modified_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["body_id"], ["body.id"], name=op.f("fk_consultation_body_id_body")),
        sa.ForeignKeyConstraint(
            ["meeting_id"], ["meeting.id"], name=op.f("fk_consultation_meeting_id_meeting")
        ),
        sa.ForeignKeyConstraint(["paper_id"], ["paper.id"], name=op.f("fk_consultation_paper_id_paper")),
        sa.ForeignKeyConstraint(
            ["referred_from_id"],
            ["consultation.id"],
            name=op.f("fk_consultation_referred_from_id_consultation"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_consultation")),
    )
    with op.batch_alter_table("consultation", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_consultation_body_id"), ["body_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_consultation_meeting_id"), ["meeting_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_consultation_paper_id"), ["paper_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_consultation_state"), ["state"], unique=False)

    op.create_table(
        "cosignature",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("paper_id", sa.Integer(), nullable=False),
        sa.Column("department_id", sa.Integer(), nullable=False),
        sa.Column("required", sa.Boolean(), nullable=False),
        sa.Column("signed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("signed_by", sa.String(length=200), nullable=True),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("modified_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["department_id"], ["department.id"], name=op.f("fk_cosignature_department_id_department")
        ),
        sa.ForeignKeyConstraint(["paper_id"], ["paper.id"], name=op.f("fk_cosignature_paper_id_paper")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cosignature")),
        sa.UniqueConstraint("paper_id", "department_id", name=op.f("uq_cosignature_paper_id")),
    )
    with op.batch_alter_table("cosignature", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_cosignature_paper_id"), ["paper_id"], unique=False)

    op.create_table(
        "agenda_item",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("meeting_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=20), nullable=False),
        sa.Column("order", sa.Integer(), nullable=False),
        sa.Column("public", sa.Boolean(), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("consultation_id", sa.Integer(), nullable=True),
        sa.Column("late_addition", sa.Boolean(), nullable=False),
        sa.Column("second_session", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("modified_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["consultation_id"], ["consultation.id"], name=op.f("fk_agenda_item_consultation_id_consultation")
        ),
        sa.ForeignKeyConstraint(
            ["meeting_id"], ["meeting.id"], name=op.f("fk_agenda_item_meeting_id_meeting")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_agenda_item")),
        sa.UniqueConstraint("meeting_id", "order", name=op.f("uq_agenda_item_meeting_id")),
    )
    with op.batch_alter_table("agenda_item", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_agenda_item_consultation_id"), ["consultation_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_agenda_item_meeting_id"), ["meeting_id"], unique=False)

    op.create_table(
        "item_result",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("agenda_item_id", sa.Integer(), nullable=False),
        sa.Column("outcome", sa.String(length=32), nullable=False),
        sa.Column("outcome_wording", sa.Text(), nullable=False),
        sa.Column("resolution_text", sa.Text(), nullable=True),
        sa.Column("referred_to_body_id", sa.Integer(), nullable=True),
        sa.Column("quorum_failed", sa.Boolean(), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("recorded_by", sa.String(length=200), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("modified_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["agenda_item_id"], ["agenda_item.id"], name=op.f("fk_item_result_agenda_item_id_agenda_item")
        ),
        sa.ForeignKeyConstraint(
            ["referred_to_body_id"], ["body.id"], name=op.f("fk_item_result_referred_to_body_id_body")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_item_result")),
        sa.UniqueConstraint("agenda_item_id", name=op.f("uq_item_result_agenda_item_id")),
    )
    op.create_table(
        "item_presence",
        sa.Column("result_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"], name=op.f("fk_item_presence_person_id_person")),
        sa.ForeignKeyConstraint(
            ["result_id"],
            ["item_result.id"],
            name=op.f("fk_item_presence_result_id_item_result"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("result_id", "person_id", name=op.f("pk_item_presence")),
    )
    op.create_table(
        "recusal",
        sa.Column("result_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"], name=op.f("fk_recusal_person_id_person")),
        sa.ForeignKeyConstraint(
            ["result_id"],
            ["item_result.id"],
            name=op.f("fk_recusal_result_id_item_result"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("result_id", "person_id", name=op.f("pk_recusal")),
    )
    op.create_table(
        "vote",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("result_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("subject", sa.Text(), nullable=False),
        sa.Column("yes", sa.Integer(), nullable=False),
        sa.Column("no", sa.Integer(), nullable=False),
        sa.Column("abstain", sa.Integer(), nullable=False),
        sa.Column("decisive", sa.Boolean(), nullable=False),
        sa.Column("casting_vote", sa.String(length=8), nullable=True),
        sa.ForeignKeyConstraint(
            ["result_id"], ["item_result.id"], name=op.f("fk_vote_result_id_item_result"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_vote")),
    )
    with op.batch_alter_table("vote", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_vote_result_id"), ["result_id"], unique=False)

    op.create_table(
        "named_vote",
        sa.Column("vote_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("choice", sa.String(length=8), nullable=False),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"], name=op.f("fk_named_vote_person_id_person")),
        sa.ForeignKeyConstraint(
            ["vote_id"], ["vote.id"], name=op.f("fk_named_vote_vote_id_vote"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("vote_id", "person_id", name=op.f("pk_named_vote")),
    )
    op.create_table(
        "vote_faction_count",
        sa.Column("vote_id", sa.Integer(), nullable=False),
        sa.Column("faction_id", sa.Integer(), nullable=False),
        sa.Column("yes", sa.Integer(), nullable=False),
        sa.Column("no", sa.Integer(), nullable=False),
        sa.Column("abstain", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["faction_id"], ["faction.id"], name=op.f("fk_vote_faction_count_faction_id_faction")
        ),
        sa.ForeignKeyConstraint(
            ["vote_id"], ["vote.id"], name=op.f("fk_vote_faction_count_vote_id_vote"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("vote_id", "faction_id", name=op.f("pk_vote_faction_count")),
    )

    # consultation and agenda_item refer to each other: the second key comes after both tables exist.
    with op.batch_alter_table("consultation", schema=None) as batch_op:
        batch_op.create_foreign_key(
            "fk_consultation_agenda_item_id_agenda_item", "agenda_item", ["agenda_item_id"], ["id"]
        )
    _make_audit_append_only()


APPEND_ONLY_MESSAGE = "audit_event is append-only"


def _make_audit_append_only() -> None:
    """The audit trail is append-only: the database itself refuses UPDATE and DELETE."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"""
            CREATE FUNCTION audit_event_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN RAISE EXCEPTION '{APPEND_ONLY_MESSAGE}'; END $$;
        """)
        op.execute("""
            CREATE TRIGGER audit_event_no_change BEFORE UPDATE OR DELETE ON audit_event
            FOR EACH ROW EXECUTE FUNCTION audit_event_append_only();
        """)
    else:
        for verb in ("UPDATE", "DELETE"):
            op.execute(f"""
                CREATE TRIGGER audit_event_no_{verb.lower()} BEFORE {verb} ON audit_event
                BEGIN SELECT RAISE(ABORT, '{APPEND_ONLY_MESSAGE}'); END;
            """)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS audit_event_no_change ON audit_event")
        op.execute("DROP FUNCTION IF EXISTS audit_event_append_only()")
    with op.batch_alter_table("consultation", schema=None) as batch_op:
        batch_op.drop_constraint("fk_consultation_agenda_item_id_agenda_item", type_="foreignkey")
    op.drop_table("vote_faction_count")
    op.drop_table("named_vote")
    with op.batch_alter_table("vote", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_vote_result_id"))

    op.drop_table("vote")
    op.drop_table("recusal")
    op.drop_table("item_presence")
    op.drop_table("item_result")
    with op.batch_alter_table("agenda_item", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_agenda_item_meeting_id"))
        batch_op.drop_index(batch_op.f("ix_agenda_item_consultation_id"))

    op.drop_table("agenda_item")
    with op.batch_alter_table("cosignature", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_cosignature_paper_id"))

    op.drop_table("cosignature")
    with op.batch_alter_table("consultation", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_consultation_state"))
        batch_op.drop_index(batch_op.f("ix_consultation_paper_id"))
        batch_op.drop_index(batch_op.f("ix_consultation_meeting_id"))
        batch_op.drop_index(batch_op.f("ix_consultation_body_id"))

    op.drop_table("consultation")
    with op.batch_alter_table("attachment", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_attachment_paper_id"))

    op.drop_table("attachment")
    with op.batch_alter_table("paper", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_paper_state"))
        batch_op.drop_index(batch_op.f("ix_paper_municipality_id"))
        batch_op.drop_index(batch_op.f("ix_paper_department_id"))

    op.drop_table("paper")
    with op.batch_alter_table("membership", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_membership_person_id"))
        batch_op.drop_index(batch_op.f("ix_membership_body_id"))

    op.drop_table("membership")
    with op.batch_alter_table("meeting_body", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_meeting_body_body_id"))

    op.drop_table("meeting_body")
    with op.batch_alter_table("attendance", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_attendance_meeting_id"))

    op.drop_table("attendance")
    op.drop_table("reference_counter")
    op.drop_table("person")
    with op.batch_alter_table("meeting", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_meeting_state"))
        batch_op.drop_index(batch_op.f("ix_meeting_start"))
        batch_op.drop_index(batch_op.f("ix_meeting_municipality_id"))

    op.drop_table("meeting")
    op.drop_table("faction")
    op.drop_table("department")
    op.drop_table("body")
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_index("ix_outbox_pending")

    op.drop_table("outbox")
    op.drop_table("municipality")
    with op.batch_alter_table("audit_event", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_audit_event_paper_id"))
        batch_op.drop_index(batch_op.f("ix_audit_event_meeting_id"))
        batch_op.drop_index("ix_audit_event_entity")

    op.drop_table("audit_event")
