"""The few outbox and chat queries the Telegram side needs beyond the Store's own methods.

`TelegramStore` is the Store plus these, so the delivery worker and the bot commands get
one object that satisfies their Protocols (`bot.services.delivery_ports`, `subscriptions`).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import Engine, select, update

from bot.services.delivery_ports import TRANSIENT_PREFIX
from bot.storage.chats import chat_info
from bot.storage.records import ChatInfo, SourceSpec
from bot.storage.retry import retries_transient
from bot.storage.store import Store
from bot.storage.tables import CHAT, OUTBOX
from bot.storage.transaction import chunks

o = OUTBOX.c
c = CHAT.c


def wake_retries(engine: Engine, now: datetime) -> int:
    """Rows backing off after transient failures (network, 5xx) become due now.

    Backoff protects Telegram while it is down; once a send succeeds again, alerts should not
    sit out the rest of a 30-minute wait. Rate-limited and held rows are not touched.
    """
    with engine.begin() as conn:
        result = conn.execute(
            update(OUTBOX)
            .where(
                o.status == "pending",
                o.next_attempt_at > now,
                o.last_error.like(f"{TRANSIENT_PREFIX}%"),
            )
            .values(next_attempt_at=now)
        )
        return int(result.rowcount or 0)


def release_outbox(engine: Engine, outbox_id: int, next_attempt_at: datetime) -> None:
    """Hand a leased row back unsent, due at `next_attempt_at`, undoing the claim's attempt.

    For rows held back on purpose (quiet hours, a digest slot, a flooded or rate-limited chat),
    which must not use up the retry budget meant for real failures.
    """
    with engine.begin() as conn:
        conn.execute(
            update(OUTBOX)
            .where(o.id == outbox_id, o.status == "sending")
            .values(
                status="pending",
                next_attempt_at=next_attempt_at,
                lease_owner=None,
                lease_expires_at=None,
                attempts=o.attempts - 1,
            )
        )


def expire_outbox_leases(engine: Engine, now: datetime) -> int:
    """End every outbox lease at `now`, so the next claim takes those rows; returns how many.

    Only for a daemon that knows no other sender is alive (SQLite allows one per database):
    the rows were leased by a process that died, and would otherwise wait out its lease.
    """
    with engine.begin() as conn:
        result = conn.execute(
            update(OUTBOX)
            .where(o.status == "sending", o.lease_expires_at > now)
            .values(lease_expires_at=now)
        )
    return int(result.rowcount)


def drop_outbox(engine: Engine, outbox_id: int, reason: str) -> None:
    """The chat does not want this row any more (muted or inactive since it was queued)."""
    with engine.begin() as conn:
        conn.execute(
            update(OUTBOX)
            .where(o.id == outbox_id)
            .values(status="dropped", last_error=reason, lease_owner=None, lease_expires_at=None)
        )


def chat_settings(engine: Engine, chat_ids: Sequence[int]) -> dict[int, ChatInfo]:
    """These chats by id, in one query per 500 (unknown ids are left out)."""
    found: dict[int, ChatInfo] = {}
    with engine.begin() as conn:
        for part in chunks(list(chat_ids)):
            for row in conn.execute(select(CHAT).where(c.id.in_(part))).all():
                found[row.id] = chat_info(row)
    return found


class TelegramStore(Store):
    """The Store plus the queries above, as the Telegram runtime uses it."""

    @retries_transient
    def release_outbox(self, outbox_id: int, next_attempt_at: datetime) -> None:
        """See `release_outbox`."""
        release_outbox(self.engine, outbox_id, next_attempt_at)

    @retries_transient
    def wake_retries(self, now: datetime) -> int:
        """See `wake_retries`."""
        return wake_retries(self.engine, now)

    @retries_transient
    def expire_outbox_leases(self, now: datetime) -> int:
        """See `expire_outbox_leases`."""
        return expire_outbox_leases(self.engine, now)

    @retries_transient
    def drop_outbox(self, outbox_id: int, reason: str) -> None:
        """See `drop_outbox`."""
        drop_outbox(self.engine, outbox_id, reason)

    @retries_transient
    def chat_settings(self, chat_ids: Sequence[int]) -> dict[int, ChatInfo]:
        """See `chat_settings`."""
        return chat_settings(self.engine, chat_ids)

    def add_telegram_source(
        self, *, name: str, url: str, interval_s: float, now: datetime
    ) -> int | None:
        """Add a feed source from /addsource; None when the name is taken."""
        return self.add_source(SourceSpec(name=name, url=url, interval_s=interval_s), now=now)
