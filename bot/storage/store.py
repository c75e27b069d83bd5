"""The Store: every storage job in one object over one engine (implements PollStore)."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import select, text

from bot.storage.briefing_runs import BriefingRuns
from bot.storage.briefings import BriefingQueries
from bot.storage.chats import ChatStore
from bot.storage.engine import create_engine_for
from bot.storage.health import HealthStore
from bot.storage.items import ItemStore
from bot.storage.migrate import upgrade_engine
from bot.storage.outbox import OutboxStore
from bot.storage.retry import retries_transient
from bot.storage.search import SearchQueries
from bot.storage.sources import SourceStore
from bot.storage.tables import META

if TYPE_CHECKING:
    from bot.services.ports import PollStore


class Store(
    SourceStore,
    ItemStore,
    OutboxStore,
    ChatStore,
    HealthStore,
    BriefingQueries,
    BriefingRuns,
    SearchQueries,
):
    """Sync storage API; the async daemon calls it through asyncio.to_thread.

    Every public method is one transaction, retried on transient database errors, and takes
    and returns frozen values, never ORM objects.
    """

    @retries_transient
    def ping(self) -> None:
        """Raise unless the database answers (for /healthz)."""
        with self._transaction() as conn:
            conn.execute(text("SELECT 1"))

    @retries_transient
    def get_meta(self, key: str) -> str | None:
        """A named value kept between runs, or None."""
        with self._transaction() as conn:
            return conn.execute(select(META.c.value).where(META.c.key == key)).scalar()

    @retries_transient
    def set_meta(self, key: str, value: str, *, now: datetime) -> None:
        """Store a named value, replacing any previous one."""
        with self._transaction() as conn:
            stored = self._insert_if_new(
                conn, META, ["key"], {"key": key, "value": value, "updated_at": now}
            )
            if not stored:
                conn.execute(
                    META.update().where(META.c.key == key).values(value=value, updated_at=now)
                )

    @retries_transient
    def claim_meta(self, key: str, value: str, *, now: datetime) -> bool:
        """Set a named value unless it already holds `value`; whether this call set it. Two
        processes claiming the same value at once: one gets True (what tells a piece of news
        once among daemons sharing the database)."""
        with self._transaction() as conn:
            if self._insert_if_new(
                conn, META, ["key"], {"key": key, "value": value, "updated_at": now}
            ):
                return True
            changed = conn.execute(
                META.update()
                .where(META.c.key == key, META.c.value != value)
                .values(value=value, updated_at=now)
            )
            return changed.rowcount == 1

    def close(self) -> None:
        """Close pooled connections."""
        self._engine.dispose()


def open_store(database_url: str, *, origin: str = "database_url", migrate: bool = True) -> Store:
    """A Store on `database_url`, migrated to the newest schema first unless told not to."""
    engine = create_engine_for(database_url, origin=origin)
    if migrate:
        upgrade_engine(engine)
    return Store(engine)


if TYPE_CHECKING:

    def _is_a_poll_store(store: Store) -> PollStore:
        """mypy proves here that Store keeps the PollStore contract the poller relies on."""
        return store
