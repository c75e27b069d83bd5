"""Full-text search: item.search_text, backfilled, and an index over it on each database.

SQLite: search_text is text, indexed by an FTS5 table (external content, unicode61 tokens):
the store adds the items it inserts, triggers follow deletes and updates. PostgreSQL: search_text is a tsvector, in a GIN index (built in;
no extension needed). See bot/storage/search.py for why documents are analysed in Python.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from bot.core.models import Item
from bot.search.analyze import document

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | tuple[str, ...] | None = None
depends_on: str | tuple[str, ...] | None = None

BATCH = 1000

SQLITE_INDEX = (
    # Only the index is stored; the text stays in item.search_text (content='item').
    "CREATE VIRTUAL TABLE item_search USING fts5(search_text, content='item', "
    "content_rowid='id', tokenize='unicode61 remove_diacritics 0')",
    "INSERT INTO item_search(item_search) VALUES ('rebuild')",
    # No insert trigger: FTS5 writes its pending index out at every savepoint, which a trigger
    # opens per row, so 50 new items cost 4 to 12 ms instead of 1. The store indexes the items it
    # inserts in one statement (bot.storage.search.index_items); deletes, rarer, and updates
    # go through triggers.
    "CREATE TRIGGER item_search_delete AFTER DELETE ON item BEGIN "
    "INSERT INTO item_search(item_search, rowid, search_text) "
    "VALUES ('delete', old.id, old.search_text); END",
    "CREATE TRIGGER item_search_update AFTER UPDATE OF search_text ON item BEGIN "
    "INSERT INTO item_search(item_search, rowid, search_text) "
    "VALUES ('delete', old.id, old.search_text); "
    "INSERT INTO item_search(rowid, search_text) VALUES (new.id, new.search_text); END",
)
POSTGRES_INDEX = (
    "CREATE INDEX ix_item_search_text ON item USING gin (search_text)",
    # Word frequencies for the planner: with the default sample a word in 0.01% of the items
    # looks like one in 0.2%, and the planner walks the items newest first for it (a second
    # on a million items) instead of asking the GIN index (10 ms).
    "ALTER TABLE item ALTER COLUMN search_text SET STATISTICS 1000",
)


def upgrade() -> None:
    connection = op.get_bind()
    postgres = connection.dialect.name == "postgresql"
    kind = postgresql.TSVECTOR() if postgres else sa.Text()
    op.add_column("item", sa.Column("search_text", kind, nullable=False, server_default=""))
    _backfill(connection)
    if not postgres:
        create, *statements = SQLITE_INDEX
        _create_fts5(connection, create)
    else:
        statements = list(POSTGRES_INDEX)
    for statement in statements:
        connection.exec_driver_sql(statement)


def _backfill(connection: sa.Connection) -> None:
    """Every stored item's search document, a batch of rows at a time."""
    item = sa.table(
        "item",
        sa.column("id", sa.Integer),
        sa.column("title", sa.Text),
        sa.column("summary", sa.Text),
        sa.column("content", sa.Text),
        sa.column("search_text"),
    )
    document_of: sa.ColumnElement[Any] = sa.bindparam("doc")
    if connection.dialect.name == "postgresql":
        document_of = sa.func.to_tsvector(sa.literal_column("'simple'::regconfig"), document_of)
    write = (
        item.update()
        .where(item.c.id == sa.bindparam("item_id"))
        .values(search_text=document_of)
    )
    last = 0
    while True:
        rows = connection.execute(
            sa.select(item.c.id, item.c.title, item.c.summary, item.c.content)
            .where(item.c.id > last)
            .order_by(item.c.id)
            .limit(BATCH)
        ).all()
        if not rows:
            return
        connection.execute(
            write,
            [
                {
                    "item_id": row.id,
                    "doc": document(
                        Item(title=row.title or "", summary=row.summary or "", content=row.content or "")
                    ),
                }
                for row in rows
            ],
        )
        last = rows[-1].id


def _create_fts5(connection: sa.Connection, statement: str) -> None:
    """The FTS5 table, or a clear error when this SQLite was built without FTS5."""
    try:
        connection.exec_driver_sql(statement)
    except sa.exc.OperationalError as exc:
        if "fts5" not in str(exc.orig):
            raise
        version = connection.exec_driver_sql("SELECT sqlite_version()").scalar()
        raise RuntimeError(
            f"this SQLite ({version}) has no FTS5 full-text search, which narcowatch needs: "
            "use a Python whose sqlite3 module has it (python.org builds and the official "
            "Docker images do)"
        ) from exc


def downgrade() -> None:
    connection = op.get_bind()
    if connection.dialect.name == "sqlite":
        for trigger in ("item_search_insert", "item_search_delete", "item_search_update"):
            connection.exec_driver_sql(f"DROP TRIGGER IF EXISTS {trigger}")
        connection.exec_driver_sql("DROP TABLE IF EXISTS item_search")
    else:
        op.drop_index("ix_item_search_text", table_name="item")
    with op.batch_alter_table("item") as batch:
        batch.drop_column("search_text")
