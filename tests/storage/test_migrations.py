"""Alembic migrations: apply on an empty database, are idempotent, and match the tables."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

from bot.storage import create_engine_for, upgrade
from bot.storage.migrate import current_revision, head_revision
from bot.storage.tables import METADATA

TABLES = {"source", "item", "match", "chat", "subscription", "outbox", "feedback", "meta"}


def test_upgrade_creates_every_table_and_is_idempotent(database_url: str) -> None:
    """Upgrading an empty database twice creates all tables once and ends at head."""
    upgrade(database_url)
    upgrade(database_url)
    engine = create_engine_for(database_url)
    try:
        with engine.connect() as conn:
            assert set(inspect(conn).get_table_names()) >= TABLES
            assert current_revision(conn) == head_revision()
    finally:
        engine.dispose()


def test_migrated_schema_has_no_autogenerate_diff(database_url: str) -> None:
    """After upgrading, Alembic autogenerate finds nothing between database and tables.py."""
    upgrade(database_url)
    engine = create_engine_for(database_url)
    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            assert compare_metadata(context, METADATA) == []
    finally:
        engine.dispose()


def test_diff_check_notices_a_missing_index(database_url: str) -> None:
    """The autogenerate comparison is live: a dropped index shows up as a difference."""
    upgrade(database_url)
    engine = create_engine_for(database_url)
    try:
        with engine.begin() as conn:
            conn.exec_driver_sql("DROP INDEX ix_item_fetched_at")
        with engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn), METADATA)
        assert [op[0] for op in diff] == ["add_index"]
    finally:
        engine.dispose()


def test_db_upgrade_command_migrates_database_url(tmp_path: Path) -> None:
    """`narcowatch db upgrade` migrates the database named by $DATABASE_URL and exits 0."""
    db_file = tmp_path / "cli" / "nw.db"
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{db_file}"}
    done = subprocess.run(
        [sys.executable, "-m", "bot", "db", "upgrade", "--config", str(tmp_path / "none.yaml")],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    engine = create_engine_for(f"sqlite:///{db_file}")
    try:
        with engine.connect() as conn:
            assert current_revision(conn) == head_revision()
    finally:
        engine.dispose()


def test_db_upgrade_command_rejects_bad_url(tmp_path: Path) -> None:
    """A bad $DATABASE_URL makes `narcowatch db upgrade` print `DATABASE_URL: ...` and exit 2."""
    env = {**os.environ, "DATABASE_URL": "mysql://root@localhost/nw"}
    done = subprocess.run(
        [sys.executable, "-m", "bot", "db", "upgrade"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        cwd=tmp_path,
    )
    assert done.returncode == 2
    assert done.stderr.startswith("DATABASE_URL: unsupported database URL")
