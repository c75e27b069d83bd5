"""Applies the Alembic migrations bundled in the package, from the daemon or `db upgrade`."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import Connection, Engine, text
from sqlalchemy.exc import DBAPIError

from bot.storage.engine import create_engine_for, is_postgres

if TYPE_CHECKING:
    from alembic.config import Config

# Any fixed number: processes starting together on one PostgreSQL migrate one after another.
_MIGRATION_LOCK_KEY = 0x6E6172636F  # "narco"

HEAD = "0010"
"""The newest bundled migration (a test checks it is Alembic's head). A database already there
is opened without loading Alembic: a command opening the store starts 0.15 s sooner."""


def alembic_config() -> Config:
    """Alembic configured in code, with the migrations shipped inside the package."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", "bot.storage:migrations")
    return config


def head_revision() -> str | None:
    """The newest revision in the bundled migrations."""
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def current_revision(connection: Connection) -> str | None:
    """The revision the database is at (None for an empty database)."""
    from alembic.runtime.migration import MigrationContext

    return MigrationContext.configure(connection).get_current_revision()


def at_head(engine: Engine) -> bool:
    """Whether the database is already at HEAD (False when it cannot tell: no table yet)."""
    try:
        with engine.connect() as connection:
            rows = connection.execute(text("SELECT version_num FROM alembic_version")).all()
    except DBAPIError:
        return False
    return [row[0] for row in rows] == [HEAD]


def upgrade_engine(engine: Engine, *, revision: str = "head") -> None:
    """Bring the engine's database to `revision` in one transaction; a no-op when already there."""
    if revision == "head" and at_head(engine):
        return
    from alembic import command

    config = alembic_config()
    with engine.begin() as connection:
        if is_postgres(engine):
            # Held until commit, so a second process waits and then finds nothing to do.
            connection.execute(
                text("SELECT pg_advisory_xact_lock(:key)"), {"key": _MIGRATION_LOCK_KEY}
            )
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


def upgrade(database_url: str, *, origin: str = "database_url") -> None:
    """Apply every pending migration to the database at `database_url`."""
    engine = create_engine_for(database_url, origin=origin)
    try:
        upgrade_engine(engine)
    finally:
        engine.dispose()
