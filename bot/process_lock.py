"""One `narcowatch run` per SQLite database: an exclusive lock file beside the database file."""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from bot.errors import NarcowatchError


class AlreadyRunningError(NarcowatchError):
    """Another daemon holds the database."""


def sqlite_path(database_url: str) -> Path | None:
    """The file of a `sqlite:///` URL, or None for other databases and in-memory SQLite."""
    if not database_url.startswith("sqlite:///"):
        return None
    path = database_url.removeprefix("sqlite:///").split("?", 1)[0]
    if not path or path == ":memory:":
        return None
    return Path(path)


@contextmanager
def single_daemon(database_url: str) -> Iterator[None]:
    """Hold `<db>.lock` for the daemon's life; raise AlreadyRunningError if another holds it.

    SQLite has one writer and no row leases, so two daemons would poll every source twice.
    flock is released by the kernel when the process dies, kill -9 included, so a crash never
    leaves a stale lock. PostgreSQL needs no lock: its instances share work through leases.
    """
    database = sqlite_path(database_url)
    if database is None:
        yield
        return
    lock_path = database.with_name(database.name + ".lock")
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 64, 0).decode(errors="replace").strip() or "another process"
            raise AlreadyRunningError(
                f"another narcowatch daemon (pid {holder}) is running on {database}; SQLite "
                "allows one daemon per database (use PostgreSQL to run several)"
            ) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, str(os.getpid()).encode(), 0)
        yield
    finally:
        os.close(fd)
