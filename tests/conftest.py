"""Database fixtures shared by every test area: SQLite files and isolated PostgreSQL schemas."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from functools import cache
from pathlib import Path

import psycopg
import pytest
from hypothesis import HealthCheck, settings

from bot.storage import Store, open_store
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
        yield (
            f"postgresql+psycopg://postgres@{POSTGRES_HOST}:{POSTGRES_PORT}/test"
            f"?options=-csearch_path%3D{schema}%20-csynchronous_commit%3Doff"
        )
    finally:
        with psycopg.connect(POSTGRES_ADMIN, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest) -> str:
    """An empty database of each kind in turn: SQLite, then PostgreSQL."""
    url: str = request.getfixturevalue(f"{request.param}_url")
    return url


@pytest.fixture
def store(database_url: str) -> Iterator[Store]:
    """A migrated Store on `database_url`, closed afterwards."""
    opened = open_store(database_url)
    try:
        yield opened
    finally:
        opened.close()
