"""Transient database errors are retried; real mistakes are not."""

from __future__ import annotations

import sqlite3
import threading
import time

import pytest
from sqlalchemy.exc import IntegrityError, OperationalError

from bot.storage import SourceSpec, create_engine_for
from bot.storage.retry import is_transient, retries_transient


def locked() -> OperationalError:
    return OperationalError("UPDATE source", {}, sqlite3.OperationalError("database is locked"))


def test_locked_database_is_retried_until_it_works() -> None:
    """A call failing with 'database is locked' is run again and its result returned."""
    calls: list[int] = []

    @retries_transient
    def flaky() -> str:
        calls.append(1)
        if len(calls) < 3:
            raise locked()
        return "done"

    assert flaky() == "done"
    assert len(calls) == 3


def test_integrity_errors_are_not_retried() -> None:
    """A constraint violation is a bug or a real conflict: raised at once."""
    calls: list[int] = []

    @retries_transient
    def conflicting() -> None:
        calls.append(1)
        raise IntegrityError("INSERT", {}, sqlite3.IntegrityError("UNIQUE constraint failed"))

    with pytest.raises(IntegrityError):
        conflicting()
    assert len(calls) == 1
    assert is_transient(locked())
    assert not is_transient(ValueError("x"))


def test_persistent_lock_gives_up_after_a_few_attempts() -> None:
    """A lock that never clears is re-raised after the last attempt."""
    calls: list[int] = []

    @retries_transient
    def stuck() -> None:
        calls.append(1)
        raise locked()

    with pytest.raises(OperationalError):
        stuck()
    assert len(calls) == 4


def test_sqlite_writer_waits_for_another_writer(sqlite_url: str, now) -> None:  # type: ignore[no-untyped-def]
    """A store write waits out another process's write lock instead of failing."""
    from bot.storage import open_store

    store = open_store(sqlite_url)
    other = create_engine_for(sqlite_url)
    try:
        release = threading.Event()
        locked = threading.Event()

        def hold_lock() -> None:
            with other.begin() as conn:  # BEGIN IMMEDIATE: holds the write lock
                conn.exec_driver_sql("SELECT 1")
                locked.set()
                release.wait(5)

        holder = threading.Thread(target=hold_lock)
        holder.start()
        assert locked.wait(5), "the other writer never took the lock"
        threading.Timer(0.3, release.set).start()
        started = time.monotonic()
        store.sync_config_sources([SourceSpec(name="a", url="https://a.example")], now=now)
        waited = time.monotonic() - started
        holder.join(5)
        assert 0.15 < waited < 5
        assert [h.name for h in store.source_health()] == ["a"]
    finally:
        store.close()
        other.dispose()
