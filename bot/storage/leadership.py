"""Which process receives Telegram updates: the holder of a PostgreSQL advisory lock.

Telegram hands each update to one getUpdates caller, and two callers make each other fail
(409 Conflict), so among several `narcowatch run` processes exactly one polls for updates. It
holds a session-level advisory lock on a connection of its own; when the process dies the
connection closes and PostgreSQL frees the lock, so another process takes over at its next
try. SQLite runs one daemon per database (see bot/process_lock.py), which is always the leader.
"""

from __future__ import annotations

import contextlib
import logging

from sqlalchemy import Connection, Engine, text
from sqlalchemy.exc import SQLAlchemyError

from bot.storage.engine import is_postgres

log = logging.getLogger("narcowatch.leadership")

# Any constant works; it names "receives Telegram updates" among this database's locks.
UPDATES_LOCK_KEY = 0x6E77_7570  # "nwup"


class UpdatesLeadership:
    """Try to become, and check whether we still are, the process that receives updates."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._postgres = is_postgres(engine)
        self._connection: Connection | None = None

    def is_leader(self) -> bool:
        """True when this process holds (or has just taken) the lock; never raises."""
        if not self._postgres:
            return True
        try:
            if self._connection is not None:
                self._connection.execute(text("SELECT 1"))
                return True
            connection = self._engine.connect()
            held = connection.execute(
                text("SELECT pg_try_advisory_lock(:key)"), {"key": UPDATES_LOCK_KEY}
            ).scalar_one()
            if held:
                connection.commit()
                self._connection = connection
                log.info("leadership.acquired")
                return True
            connection.close()
            return False
        except SQLAlchemyError as exc:
            log.warning("leadership.lost", extra={"error": str(exc).splitlines()[0]})
            self.release()
            return False

    def release(self) -> None:
        """Give the lock up (closing the connection frees it)."""
        if self._connection is not None:
            # A broken connection has released the lock already.
            with contextlib.suppress(SQLAlchemyError):
                self._connection.close()
            self._connection = None
