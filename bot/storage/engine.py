"""Database URLs -> SQLAlchemy engines: SQLite in WAL mode, PostgreSQL through psycopg 3."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, Connection, make_url
from sqlalchemy.exc import ArgumentError
from tenacity import retry, retry_if_exception, stop_after_delay, wait_random

from bot.core.redaction import url_without_password
from bot.errors import ConfigError, Problem

SQLITE_BUSY_TIMEOUT_MS = 10_000
_POSTGRES_NAMES = ("postgresql", "postgres", "postgresql+psycopg")
_SQLITE_NAMES = ("sqlite", "sqlite+pysqlite")
_SUPPORTED = "use sqlite:///path.db or postgresql://user@host:port/db"
READ_ONLY = "narcowatch_read_only"
"""Execution option for a connection whose transactions only read (see _sqlite_on_begin)."""


def _bad_url(origin: str, message: str) -> ConfigError:
    return ConfigError([Problem(file=origin, line=None, message=message)])


def normalise_url(url: str, *, origin: str = "database_url") -> URL:
    """The URL with the driver we ship (psycopg 3 for PostgreSQL), or ConfigError.

    `origin` names where the URL came from (`DATABASE_URL` or `database_url`) for the message.
    """
    shown = url_without_password(url.strip())
    try:
        parsed = make_url(url.strip())
    except (ArgumentError, ValueError) as exc:
        raise _bad_url(origin, f"cannot parse database URL {shown!r}; {_SUPPORTED}") from exc
    if parsed.drivername in _POSTGRES_NAMES:
        if not parsed.database:
            raise _bad_url(origin, f"database URL {shown!r} names no database; {_SUPPORTED}")
        return parsed.set(drivername="postgresql+psycopg")
    if parsed.drivername in _SQLITE_NAMES:
        if not parsed.database or parsed.database == ":memory:":
            raise _bad_url(origin, f"database URL {shown!r} names no SQLite file; {_SUPPORTED}")
        if parsed.host or parsed.username:
            raise _bad_url(origin, f"database URL {shown!r} names a host; {_SUPPORTED}")
        return parsed.set(drivername="sqlite+pysqlite")
    raise _bad_url(origin, f"unsupported database URL {shown!r}; {_SUPPORTED}")


def create_engine_for(url: str, *, origin: str = "database_url", **options: Any) -> Engine:
    """An engine for a narcowatch database URL, set up for a long-running daemon.

    SQLite: the file's directory is created; WAL, a busy timeout, foreign keys, and every
    transaction opened with BEGIN IMMEDIATE so writers queue instead of failing mid-transaction.
    PostgreSQL: pooled connections checked before use, so a restarted server is survived.
    """
    parsed = normalise_url(url, origin=origin)
    if parsed.drivername.startswith("sqlite"):
        return _sqlite_engine(parsed, **options)
    return create_engine(parsed, pool_pre_ping=True, **options)


def _sqlite_engine(url: URL, **options: Any) -> Engine:
    path = Path(url.database or "")
    path.parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, **options)
    event.listen(engine, "connect", _sqlite_on_connect)
    event.listen(engine, "begin", _sqlite_on_begin)
    return engine


def _sqlite_on_connect(dbapi_connection: Any, _record: Any) -> None:
    # Hand transaction control to us (see _sqlite_on_begin); pysqlite's own BEGIN is deferred.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
        _use_wal(cursor)
        cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.execute("PRAGMA foreign_keys = ON")
    finally:
        cursor.close()


def _is_locked(exc: BaseException) -> bool:
    return isinstance(exc, sqlite3.OperationalError) and "locked" in str(exc)


@retry(
    retry=retry_if_exception(_is_locked),
    stop=stop_after_delay(SQLITE_BUSY_TIMEOUT_MS / 1000),
    wait=wait_random(0.02, 0.2),
    reraise=True,
)
def _use_wal(cursor: Any) -> None:
    """Switch the file to WAL once (the mode sticks to the file).

    Changing the journal mode ignores the busy timeout and fails at once while another
    connection holds a lock, which happens when processes or threads open a new file together.
    """
    (mode,) = cursor.execute("PRAGMA journal_mode").fetchone()
    if mode != "wal":
        cursor.execute("PRAGMA journal_mode = WAL")


def _sqlite_on_begin(connection: Connection) -> None:
    # A deferred transaction that reads and then writes fails at once (SQLITE_BUSY_SNAPSHOT)
    # when another writer got in between; taking the write lock up front makes it wait instead.
    # One that only reads (the READ_ONLY execution option) takes no lock, so a search does not
    # hold up the poller's writes: in WAL mode readers and a writer run side by side.
    if connection.get_execution_options().get(READ_ONLY):
        connection.exec_driver_sql("BEGIN")
    else:
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def is_postgres(engine: Engine) -> bool:
    """Whether the engine talks to PostgreSQL (row locks, SKIP LOCKED) rather than SQLite."""
    return engine.dialect.name == "postgresql"
