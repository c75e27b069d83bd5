"""Reports that a stored item is about a topic it did not match (`/missed`), for training.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | tuple[str, ...] | None = None
depends_on: str | tuple[str, ...] | None = None

# Timestamps are always UTC; bot.storage.tables.UTCDateTime adds tzinfo back on SQLite.
WHEN = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "miss_report",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("topic", sa.String(100), nullable=False),
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("created_at", WHEN, nullable=False),
        sa.ForeignKeyConstraint(
            ["item_id"], ["item.id"], name=op.f("fk_miss_report_item_id_item"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_miss_report")),
        sa.UniqueConstraint("item_id", "topic", "user_id", name="uq_miss_report"),
    )


def downgrade() -> None:
    op.drop_table("miss_report")
