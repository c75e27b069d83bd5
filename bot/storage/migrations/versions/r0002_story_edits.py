"""Outbox edit rows: an alert edited to list another source of its story.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | tuple[str, ...] | None = None
depends_on: str | tuple[str, ...] | None = None


def upgrade() -> None:
    # Batch mode on SQLite (see env.py): the table is copied to add the constraints.
    with op.batch_alter_table("outbox") as batch:
        # The server default fills existing rows: every row so far is an alert.
        batch.add_column(sa.Column("kind", sa.String(8), nullable=False, server_default="alert"))
        batch.add_column(sa.Column("edit_of", sa.Integer(), nullable=True))
        batch.create_check_constraint("kind", "kind IN ('alert', 'edit')")
        batch.create_foreign_key(
            op.f("fk_outbox_edit_of_outbox"), "outbox", ["edit_of"], ["id"], ondelete="CASCADE"
        )


def downgrade() -> None:
    with op.batch_alter_table("outbox") as batch:
        batch.drop_constraint(op.f("fk_outbox_edit_of_outbox"), type_="foreignkey")
        batch.drop_constraint("kind", type_="check")
        batch.drop_column("edit_of")
        batch.drop_column("kind")
