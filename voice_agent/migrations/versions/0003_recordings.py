"""Call recordings: one row per Twilio recording, linked to its conversation.

Revision ID: 0003_recordings
Revises: 0002
Create Date: 2026-12-06
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003_recordings"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "recordings",
        sa.Column("sid", sa.String(length=64), nullable=False),
        sa.Column("conversation_id", sa.String(length=36), nullable=False),
        sa.Column("call_sid", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("media_url", sa.Text(), nullable=False),
        sa.Column("duration_seconds", sa.Integer(), nullable=True),
        sa.Column("channels", sa.Integer(), nullable=True),
        sa.Column("source", sa.String(length=32), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["conversation_id"],
            ["conversations.id"],
            name=op.f("fk_recordings_conversation_id_conversations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("sid", name=op.f("pk_recordings")),
    )
    op.create_index(
        op.f("ix_recordings_conversation_id"), "recordings", ["conversation_id"], unique=False
    )
    op.create_index(op.f("ix_recordings_created_at"), "recordings", ["created_at"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_recordings_created_at"), table_name="recordings")
    op.drop_index(op.f("ix_recordings_conversation_id"), table_name="recordings")
    op.drop_table("recordings")
