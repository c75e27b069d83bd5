"""Scheduled briefings: the chat's schedule, one row per briefing owed, matches by time.

Revision ID: 0006
Revises: 0003b
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision: str = "0006"
down_revision: str | None = "0003b"
branch_labels: str | tuple[str, ...] | None = None
depends_on: str | tuple[str, ...] | None = None

# Timestamps are always UTC; bot.storage.tables.UTCDateTime adds tzinfo back on SQLite.
WHEN = sa.DateTime(timezone=True)


def upgrade() -> None:
    # Plain ADD COLUMN on both back ends; the server default fills existing chats with "off".
    op.add_column("chat", sa.Column("briefing", sa.String(8), nullable=False, server_default="off"))
    op.add_column("chat", sa.Column("briefing_day", sa.Integer(), nullable=True))
    op.add_column("chat", sa.Column("briefing_minute", sa.Integer(), nullable=True))
    op.add_column("chat", sa.Column("briefing_since", WHEN, nullable=True))
    op.create_table(
        "briefing_run",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("mode", sa.String(8), nullable=False),
        sa.Column("period_end", WHEN, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", WHEN, nullable=False),
        sa.Column("lease_owner", sa.String(200), nullable=True),
        sa.Column("lease_expires_at", WHEN, nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("photo_message_id", sa.BigInteger(), nullable=True),
        sa.Column("telegram_message_id", sa.BigInteger(), nullable=True),
        sa.Column("created_at", WHEN, nullable=False),
        sa.Column("sent_at", WHEN, nullable=True),
        sa.ForeignKeyConstraint(
            ["chat_id"], ["chat.id"], name=op.f("fk_briefing_run_chat_id_chat"), ondelete="CASCADE"
        ),
        sa.UniqueConstraint("chat_id", "period_end", name="uq_briefing_run_chat_period"),
        sa.CheckConstraint(
            "status IN ('pending', 'sending', 'sent', 'failed')", name=op.f("ck_briefing_run_status")
        ),
    )
    op.create_index(
        "ix_briefing_run_status_next_attempt_at", "briefing_run", ["status", "next_attempt_at"]
    )
    op.create_index("ix_match_created_at", "match", ["created_at"])


def downgrade() -> None:
    op.drop_index("ix_match_created_at", table_name="match")
    op.drop_index("ix_briefing_run_status_next_attempt_at", table_name="briefing_run")
    op.drop_table("briefing_run")
    with op.batch_alter_table("chat") as batch:
        batch.drop_column("briefing_since")
        batch.drop_column("briefing_minute")
        batch.drop_column("briefing_day")
        batch.drop_column("briefing")
