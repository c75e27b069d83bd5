"""Places and actors: the places a chat follows, and who acted in each match (a list on the
match, and one match_actor row each), the matches stored so far filled in from their reasons
(bot/storage/actor_backfill.py).

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from bot.matching.actor_ids import country_codes
from bot.storage.actor_backfill import backfill_actors

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | tuple[str, ...] | None = None
depends_on: str | tuple[str, ...] | None = None


def upgrade() -> None:
    # A nullable column: a plain ADD COLUMN on both back ends; NULL is "everywhere".
    op.add_column("chat", sa.Column("places", sa.JSON(), nullable=True))
    op.add_column("match", sa.Column("actors", sa.JSON(), nullable=True))
    op.create_table(
        "match_actor",
        sa.Column("match_id", sa.Integer(), nullable=False),
        sa.Column("actor", sa.String(100), nullable=False),
        sa.ForeignKeyConstraint(
            ["match_id"], ["match.id"], name=op.f("fk_match_actor_match_id_match"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("match_id", "actor", name=op.f("pk_match_actor")),
    )
    op.create_index("ix_match_actor_actor_match_id", "match_actor", ["actor", "match_id"])
    backfill_actors(op.get_bind(), country_codes())


def downgrade() -> None:
    op.drop_table("match_actor")
    with op.batch_alter_table("match") as batch:
        batch.drop_column("actors")
    with op.batch_alter_table("chat") as batch:
        batch.drop_column("places")
