"""Alembic environment: migrates the connection it is handed, or the URL given to `alembic`."""

from __future__ import annotations

import os

from alembic import context
from sqlalchemy import Connection

from bot.storage.engine import create_engine_for
from bot.storage.search import include_name
from bot.storage.tables import METADATA


def run_on(connection: Connection) -> None:
    """Run pending migrations on one connection; SQLite alters tables by copying (batch mode)."""
    context.configure(
        connection=connection,
        target_metadata=METADATA,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        include_name=include_name,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_from_url() -> None:
    """For developers running `alembic` by hand: `-x url=...`, else $DATABASE_URL."""
    url = context.get_x_argument(as_dictionary=True).get("url") or os.environ.get("DATABASE_URL")
    if not url:
        raise SystemExit("give the database as `alembic -x url=...` or $DATABASE_URL")
    engine = create_engine_for(url, origin="DATABASE_URL")
    try:
        with engine.connect() as connection:
            run_on(connection)
    finally:
        engine.dispose()


if context.is_offline_mode():
    raise SystemExit("narcowatch migrations run online only (narcowatch db upgrade)")

_given = context.config.attributes.get("connection")
if _given is not None:
    run_on(_given)
else:
    run_from_url()
