"""Source trust: whether a source may reach private addresses (config and CLI yes, Telegram no).

Revision ID: 0003b
Revises: 0005
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0003b"
down_revision: str | None = "0005"
branch_labels: str | tuple[str, ...] | None = None
depends_on: str | tuple[str, ...] | None = None


def upgrade() -> None:
    with op.batch_alter_table("source") as batch:
        batch.add_column(
            sa.Column("trusted", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    # Config sources were always trusted. Rows added otherwise cannot be told apart (a Telegram
    # admin or an OPML import), so they stay untrusted: the safe side; an operator re-imports.
    source = sa.table("source", sa.column("origin", sa.String), sa.column("trusted", sa.Boolean))
    op.execute(source.update().where(source.c.origin == "config").values(trusted=True))


def downgrade() -> None:
    with op.batch_alter_table("source") as batch:
        batch.drop_column("trusted")
