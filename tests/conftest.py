"""Database fixtures shared by every test area: SQLite files and isolated PostgreSQL schemas."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import uuid
from collections.abc import Iterator
from functools import cache
from pathlib import Path

import psycopg
import pytest
from hypothesis import HealthCheck, settings

from bot.storage import Store, open_store
from bot.storage.migrate import HEAD
from tests.support.skips import (
    POSTGRES_REASON_START,
    pytest_terminal_summary,
    skip_or_fail_in_ci,
)

__all__ = ["pytest_terminal_summary"]  # the hook naming, at the end of a run, what did not run

# Property tests are part of CI: the same examples every run (derandomize), no example database
# on disk, and few enough examples that all of them together take seconds. A test asking for
# more sets its own max_examples. NARCOWATCH_FUZZ=deep runs many more, randomly, by hand.
settings.register_profile(
    "ci",
    derandomize=True,
    database=None,
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    print_blob=True,
)
settings.register_profile(
    "deep",
    max_examples=2000,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.load_profile("deep" if os.environ.get("NARCOWATCH_FUZZ") == "deep" else "ci")


def pytest_runtest_setup(item: pytest.Item) -> None:
    """Fail a grouped test when `--dist loadgroup` does not keep its xdist group on one worker.

    pytest-xdist marks a grouped test by appending `@group` to its node id in the worker;
    where pytest makes the node id read-only (9.2 did), groups are silently ignored and the
    CPU-heavy timed tests run side by side.
    """
    if not getattr(item.config.option, "loadgroup", False):
        return
    grouped = "PYTEST_XDIST_WORKER" in os.environ and item.get_closest_marker("xdist_group")
    if grouped and "@" not in item.nodeid:
        pytest.fail(
            "this test is in an xdist_group, but this pytest and pytest-xdist do not keep "
            "groups on one worker (its node id has no @group suffix; see pyproject.toml)",
            pytrace=False,
        )


POSTGRES_HOST = "127.0.0.1"
POSTGRES_PORT = 5432
POSTGRES_ADMIN = f"postgresql://postgres@{POSTGRES_HOST}:{POSTGRES_PORT}/test"


@cache
def postgres_unavailable() -> str | None:
    """Why the test PostgreSQL server cannot be used, or None when it can (checked once)."""
    try:
        with psycopg.connect(POSTGRES_ADMIN, connect_timeout=3) as conn:
            conn.execute("SELECT 1")
    except psycopg.Error as exc:
        first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        return f"{POSTGRES_REASON_START} at {POSTGRES_HOST}:{POSTGRES_PORT} ({first_line})"
    return None


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    """A URL for a fresh SQLite file in the test's temporary directory."""
    return f"sqlite:///{tmp_path / 'narcowatch.db'}"


def schema_url(schema: str) -> str:
    """A URL whose connections live in `schema` (through search_path)."""
    return (
        f"postgresql+psycopg://postgres@{POSTGRES_HOST}:{POSTGRES_PORT}/test"
        f"?options=-csearch_path%3D{schema}%20-csynchronous_commit%3Doff"
    )


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A URL for a fresh, empty PostgreSQL schema of this test's own, dropped afterwards.

    Tests of several engineers share one database, so each test lives in `t_<hex>` through the
    connection's search_path. Skips when the server is down, unless $CI is set.
    """
    reason = postgres_unavailable()
    if reason is not None:
        skip_or_fail_in_ci(reason)
    schema = f"t_{uuid.uuid4().hex}"
    with psycopg.connect(POSTGRES_ADMIN, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    try:
        yield schema_url(schema)
    finally:
        with psycopg.connect(POSTGRES_ADMIN, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest) -> str:
    """An empty database of each kind in turn: SQLite, then PostgreSQL."""
    url: str = request.getfixturevalue(f"{request.param}_url")
    return url


@pytest.fixture(scope="session")
def migrated_sqlite_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file the migrations brought to head, once per test process."""
    path = tmp_path_factory.mktemp("migrated") / "narcowatch.db"
    open_store(f"sqlite:///{path}").close()
    return path


@pytest.fixture(scope="session")
def migrated_postgres_ddl() -> tuple[str, str] | None:
    """(template schema name, DDL) of a schema the migrations brought to head, read back with
    pg_dump once per test process; None without pg_dump or PostgreSQL (stores then migrate)."""
    pg_dump = shutil.which("pg_dump")
    if pg_dump is None or postgres_unavailable() is not None:
        return None
    template = f"tmpl_{uuid.uuid4().hex}"
    with psycopg.connect(POSTGRES_ADMIN, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{template}"')
    try:
        open_store(schema_url(template)).close()
        server = ["-h", POSTGRES_HOST, "-p", str(POSTGRES_PORT), "-U", "postgres", "test"]
        dumped = subprocess.run(
            [pg_dump, "--schema-only", "--no-owner", "--no-privileges", "-n", template, *server],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    finally:
        with psycopg.connect(POSTGRES_ADMIN, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA IF EXISTS "{template}" CASCADE')
    if dumped.returncode != 0:  # a pg_dump of another major version than the server, say
        return None
    # psql's meta-commands (\restrict) and the schema itself, which the test already has.
    lines = [line for line in dumped.stdout.splitlines() if not line.startswith("\\")]
    ddl = re.sub(rf"^CREATE SCHEMA {template};$", "", "\n".join(lines), flags=re.MULTILINE)
    return template, ddl


@pytest.fixture
def store(database_url: str, request: pytest.FixtureRequest) -> Iterator[Store]:
    """A migrated Store on `database_url`, closed afterwards.

    It starts as a copy of one migrated database (SQLite: the file; PostgreSQL: the schema's
    DDL), and then opens without running the migrations: hundreds of tests start 0.08 to
    0.15 s sooner each. The migrations have tests of their own (tests/storage/test_migrations).
    """
    # Each template is asked for by the stores that use it, so a SQLite-only run never
    # builds the PostgreSQL one.
    if database_url.startswith("sqlite:///"):
        template_file: Path = request.getfixturevalue("migrated_sqlite_file")
        shutil.copyfile(template_file, database_url.removeprefix("sqlite:///"))
    elif (migrated := request.getfixturevalue("migrated_postgres_ddl")) is not None:
        template, ddl = migrated
        schema = re.search(r"search_path%3D(\w+)", database_url)
        assert schema is not None, database_url
        with psycopg.connect(POSTGRES_ADMIN) as conn:
            conn.execute(ddl.replace(template, schema[1]).encode())
            conn.execute(f'INSERT INTO "{schema[1]}".alembic_version VALUES (%s)', (HEAD,))
    opened = open_store(database_url)
    try:
        yield opened
    finally:
        opened.close()
