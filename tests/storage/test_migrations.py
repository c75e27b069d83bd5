"""Alembic migrations: apply on an empty database, are idempotent, and match the tables."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from click.testing import CliRunner
from sqlalchemy import inspect

from bot.cli import main
from bot.storage import create_engine_for, upgrade
from bot.storage.migrate import HEAD, current_revision, head_revision
from bot.storage.search import include_name
from bot.storage.tables import METADATA

# What env.py compares too: the search index's objects are made by hand (bot/storage/search.py).
COMPARE = {"compare_type": True, "include_name": include_name}

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


def test_processes_starting_together_both_migrate_cleanly(database_url: str) -> None:
    """Two processes upgrading one empty database at once both succeed (lock, then no-op)."""
    errors: list[BaseException] = []
    barrier = threading.Barrier(2)

    def migrate() -> None:
        barrier.wait()
        try:
            upgrade(database_url)
        except BaseException as exc:  # collected for the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=migrate) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert revision_of(database_url) == head_revision()


def test_migrated_schema_has_no_autogenerate_diff(database_url: str) -> None:
    """After upgrading, Alembic autogenerate finds nothing between database and tables.py."""
    upgrade(database_url)
    engine = create_engine_for(database_url)
    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(conn, opts=COMPARE)
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
            diff = compare_metadata(MigrationContext.configure(conn, opts=COMPARE), METADATA)
        assert [op[0] for op in diff] == ["add_index"]
    finally:
        engine.dispose()


def test_db_upgrade_command_migrates_config_database(tmp_path: Path) -> None:
    """`narcowatch db upgrade --config F` (a real subprocess) migrates F's database_url."""
    db_file = tmp_path / "cli" / "nw.db"
    config = tmp_path / "narcowatch.yaml"
    config.write_text(f"database_url: sqlite:///{db_file}\n")
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "NARCOWATCH_CONFIG"}}
    done = subprocess.run(
        [sys.executable, "-m", "bot", "db", "upgrade", "--config", str(config)],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "up to date" in done.stdout
    assert revision_of(f"sqlite:///{db_file}") == head_revision()


def test_database_url_env_wins_and_needs_no_config(tmp_path: Path) -> None:
    """$DATABASE_URL is migrated even when the config file does not exist."""
    url = f"sqlite:///{tmp_path / 'env.db'}"
    result = CliRunner().invoke(
        main,
        ["db", "upgrade", "--config", str(tmp_path / "missing.yaml")],
        env={"DATABASE_URL": url},
    )
    assert result.exit_code == 0, result.output
    assert revision_of(url) == head_revision()


def test_db_upgrade_command_rejects_bad_url() -> None:
    """A bad $DATABASE_URL makes `db upgrade` print `DATABASE_URL: ...` and exit 2."""
    result = CliRunner().invoke(
        main, ["db", "upgrade"], env={"DATABASE_URL": "mysql://root@localhost/nw"}
    )
    assert result.exit_code == 2
    assert result.stderr.startswith("DATABASE_URL: unsupported database URL")


def revision_of(url: str) -> str | None:
    engine = create_engine_for(url)
    try:
        with engine.connect() as conn:
            return current_revision(conn)
    finally:
        engine.dispose()


def test_the_head_constant_is_alembics_head() -> None:
    """HEAD, which lets a migrated database open without loading Alembic, is the newest
    bundled migration: a new migration must move it."""
    assert head_revision() == HEAD


def test_a_database_at_head_is_opened_without_alembic(tmp_path: Path) -> None:
    """Opening a migrated database again does not import Alembic at all."""
    url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    upgrade(url)
    code = (
        "import sys\nfrom bot.storage import open_store\n"
        f"open_store({url!r}).close()\n"
        "print('alembic' in sys.modules)"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert done.stdout.strip() == "False"
