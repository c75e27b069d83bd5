"""Database URLs and engine set-up: drivers, SQLite pragmas, clear errors for bad URLs."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text

from bot.errors import ConfigError
from bot.storage import create_engine_for, normalise_url


@pytest.mark.parametrize(
    ("url", "driver", "database"),
    [
        ("sqlite:///data/narcowatch.db", "sqlite+pysqlite", "data/narcowatch.db"),
        ("sqlite:////var/lib/nw/narcowatch.db", "sqlite+pysqlite", "/var/lib/nw/narcowatch.db"),
        ("postgresql://nw@db:5432/narcowatch", "postgresql+psycopg", "narcowatch"),
        ("postgresql+psycopg://nw:secret@db/narcowatch", "postgresql+psycopg", "narcowatch"),
    ],
)
def test_supported_urls_get_the_shipped_driver(url: str, driver: str, database: str) -> None:
    """Every documented URL form maps to pysqlite or psycopg 3 and keeps its database."""
    parsed = normalise_url(url)
    assert parsed.drivername == driver
    assert parsed.database == database


@pytest.mark.parametrize(
    ("url", "fragment"),
    [
        ("mysql://root@localhost/nw", "unsupported database URL"),
        ("not a url", "cannot parse database URL"),
        ("sqlite://", "names no SQLite file"),
        ("postgresql://nw:hunter2@db:5432/", "names no database"),
        ("mysql://root:hunter2@localhost/nw", "unsupported database URL 'mysql://root:***@"),
        ("postgresql://nw:hunter2@db:notaport/nw", "cannot parse database URL"),
        ("postgresql://nw:hun/ter2@[::1/nw", "cannot parse database URL 'postgresql://nw:***@"),
        ("postgresql://nw:hun@ter2@db:x/nw", "cannot parse database URL 'postgresql://nw:***@db"),
        ("postgresql://nw@db:x/nw?sslmode=require&password=hunter2", "password=***"),
        ("sqlite://nw:hunter2@db/nw.db", "names a host"),
    ],
)
def test_bad_urls_are_config_errors_naming_their_origin(url: str, fragment: str) -> None:
    """A bad URL is a ConfigError located at DATABASE_URL, without leaking a password."""
    with pytest.raises(ConfigError) as caught:
        create_engine_for(url, origin="DATABASE_URL")
    (problem,) = caught.value.problems
    assert problem.file == "DATABASE_URL"
    assert problem.line is None
    assert fragment in problem.message
    assert "hunter2" not in str(caught.value)
    assert "ter2" not in str(caught.value)


def test_sqlite_engine_creates_directory_and_sets_pragmas(tmp_path: Path) -> None:
    """A SQLite engine makes the file's directory and uses WAL, foreign keys, busy timeout."""
    path = tmp_path / "nested" / "dir" / "nw.db"
    engine = create_engine_for(f"sqlite:///{path}")
    try:
        with engine.connect() as conn:
            assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
            assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
            assert conn.execute(text("PRAGMA busy_timeout")).scalar() == 10_000
        assert path.exists()
    finally:
        engine.dispose()


@pytest.mark.postgres
def test_postgres_engine_honours_search_path(postgres_url: str) -> None:
    """The per-test schema given in the URL's options is the connection's current schema."""
    engine = create_engine_for(postgres_url)
    try:
        with engine.connect() as conn:
            schema = conn.execute(text("SELECT current_schema()")).scalar()
        assert schema is not None
        assert schema.startswith("t_")
        assert engine.pool._pre_ping  # type: ignore[attr-defined]
    finally:
        engine.dispose()
