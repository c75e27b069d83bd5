"""Chat rows: who gets alerts, about what, how (threshold, mute, digest), and their feedback
(verdicts on alerts, reports of missed items)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, delete, func, select, update

from bot.storage.records import ChatInfo, SubscriptionInfo
from bot.storage.retry import retries_transient
from bot.storage.tables import (
    CHAT,
    DIGEST_MODES,
    FEEDBACK,
    ITEM,
    MATCH,
    MISS_REPORT,
    OUTBOX,
    SOURCE,
    SUBSCRIPTION,
    VERDICTS,
)
from bot.storage.transaction import AnyRow, StoreBase

c = CHAT.c
sub = SUBSCRIPTION.c

MAX_MUTED_SOURCES = 2000
"""Sources one chat may mute: more than a deployment polls (the target is 1,000)."""
LARGEST_SOURCE_ID = 2**31 - 1
"""Source ids are 32-bit integers in PostgreSQL: a larger one names no source."""


def chat_info(row: AnyRow) -> ChatInfo:
    """A chat row as a frozen ChatInfo."""
    return ChatInfo(
        id=row.id,
        type=row.type,
        title=row.title,
        active=row.active,
        threshold=row.threshold,
        muted_until=row.muted_until,
        digest=row.digest,
        quiet_start=row.quiet_start,
        quiet_end=row.quiet_end,
        timezone=row.timezone,
        muted_sources=tuple(row.muted_sources or ()),
        created_at=row.created_at,
        deactivated_reason=row.deactivated_reason,
        places=tuple(row.places or ()),
    )


class ChatStore(StoreBase):
    """Chats, their subscriptions and preferences; each setter says whether the chat exists."""

    @retries_transient
    def upsert_chat(self, chat_id: int, *, type: str, title: str | None, now: datetime) -> ChatInfo:
        """Create the chat, or refresh its type and title and make it active again (/start)."""
        with self._transaction() as conn:
            inserted = self._insert_if_new(
                conn,
                CHAT,
                ["id"],
                {
                    "id": chat_id,
                    "type": type,
                    "title": title,
                    "active": True,
                    "digest": "off",
                    "timezone": "UTC",
                    "muted_sources": [],
                    "created_at": now,
                },
            )
            if not inserted:
                conn.execute(
                    update(CHAT)
                    .where(c.id == chat_id)
                    .values(type=type, title=title, active=True, deactivated_reason=None)
                )
            row = conn.execute(select(CHAT).where(c.id == chat_id)).one()
        return chat_info(row)

    @retries_transient
    def get_chat(self, chat_id: int) -> ChatInfo | None:
        """The chat, or None when it never talked to the bot."""
        with self._transaction() as conn:
            row = conn.execute(select(CHAT).where(c.id == chat_id)).one_or_none()
        return chat_info(row) if row is not None else None

    @retries_transient
    def deactivate_chat(self, chat_id: int, reason: str) -> int:
        """The chat blocked the bot or is gone: stop alerting it and drop its unsent alerts.

        Returns how many unsent alerts were dropped.
        """
        with self._transaction() as conn:
            conn.execute(
                update(CHAT).where(c.id == chat_id).values(active=False, deactivated_reason=reason)
            )
            dropped = conn.execute(
                update(OUTBOX)
                .where(OUTBOX.c.chat_id == chat_id, OUTBOX.c.status.in_(("pending", "sending")))
                .values(
                    status="dropped", last_error=reason, lease_owner=None, lease_expires_at=None
                )
            ).rowcount
        return dropped

    @retries_transient
    def subscribe(
        self, chat_id: int, topic: str, thread_id: int | None = None, *, now: datetime
    ) -> bool:
        """Follow a topic (in a forum thread, if given); False when already subscribed, in
        which case the thread is updated."""
        with self._transaction() as conn:
            inserted = self._insert_if_new(
                conn,
                SUBSCRIPTION,
                ["chat_id", "topic"],
                {
                    "chat_id": chat_id,
                    "topic": topic,
                    "message_thread_id": thread_id,
                    "created_at": now,
                },
            )
            if not inserted:
                conn.execute(
                    update(SUBSCRIPTION)
                    .where(sub.chat_id == chat_id, sub.topic == topic)
                    .values(message_thread_id=thread_id)
                )
        return bool(inserted)

    @retries_transient
    def unsubscribe(self, chat_id: int, topic: str) -> bool:
        """Stop following a topic; False when the chat did not follow it."""
        with self._transaction() as conn:
            result = conn.execute(
                delete(SUBSCRIPTION).where(sub.chat_id == chat_id, sub.topic == topic)
            )
        return result.rowcount > 0

    @retries_transient
    def subscriptions_of(self, chat_id: int) -> list[SubscriptionInfo]:
        """The chat's topics, alphabetically."""
        stmt = select(SUBSCRIPTION).where(sub.chat_id == chat_id).order_by(sub.topic)
        with self._transaction() as conn:
            rows = conn.execute(stmt).all()
        return [SubscriptionInfo(r.chat_id, r.topic, r.message_thread_id) for r in rows]

    def set_threshold(self, chat_id: int, threshold: float | None) -> bool:
        """The minimum score for this chat's alerts (None: each topic's own threshold)."""
        if threshold is not None and not 0.0 <= threshold <= 1.0:
            raise ValueError(f"threshold {threshold} is not between 0 and 1")
        return self._set(chat_id, threshold=threshold)

    def set_mute(self, chat_id: int, until: datetime | None) -> bool:
        """Mute the chat until a time (None: unmute); alerts made meanwhile are not sent."""
        return self._set(chat_id, muted_until=until)

    def set_digest(self, chat_id: int, mode: str) -> bool:
        """Single alerts ('off') or an hourly/daily digest."""
        if mode not in DIGEST_MODES:
            raise ValueError(f"digest must be one of {', '.join(DIGEST_MODES)}, not {mode!r}")
        return self._set(chat_id, digest=mode)

    def set_quiet_hours(
        self, chat_id: int, *, start: int | None, end: int | None, timezone: str
    ) -> bool:
        """Quiet hours as minutes after local midnight (None, None: none) in `timezone`."""
        return self._set(chat_id, quiet_start=start, quiet_end=end, timezone=timezone)

    def set_places(self, chat_id: int, places: Sequence[str]) -> bool:
        """The places the chat follows, as keys (empty: everywhere)."""
        return self._set(chat_id, places=list(places) or None)

    @retries_transient
    def chat_places(self, chat_id: int) -> tuple[str, ...]:
        """The places a chat follows (empty: everywhere, or no such chat)."""
        with self._transaction() as conn:
            found = conn.execute(select(c.places).where(c.id == chat_id)).scalar()
        return tuple(found or ())

    @retries_transient
    def _set(self, chat_id: int, **values: Any) -> bool:
        with self._transaction() as conn:
            result = conn.execute(update(CHAT).where(c.id == chat_id).values(**values))
        return result.rowcount > 0

    @retries_transient
    def mute_source(self, chat_id: int, source_id: int, *, muted: bool = True) -> bool:
        """Stop (or resume) alerts from one source for this chat (the inline button).

        False, and nothing stored, for an unknown chat, a source id no source has (a button
        can be forged with any id), or a chat that has muted MAX_MUTED_SOURCES already.
        """
        with self._transaction() as conn:
            current = self._muted_sources(conn, chat_id)
            if current is None:
                return False
            if muted and source_id not in current:
                if not 1 <= source_id <= LARGEST_SOURCE_ID or len(current) >= MAX_MUTED_SOURCES:
                    return False
                known = conn.execute(select(SOURCE.c.id).where(SOURCE.c.id == source_id)).first()
                if known is None:
                    return False
            wanted = current | {source_id} if muted else current - {source_id}
            conn.execute(update(CHAT).where(c.id == chat_id).values(muted_sources=sorted(wanted)))
        return True

    def _muted_sources(self, conn: Connection, chat_id: int) -> set[int] | None:
        stmt = select(c.muted_sources).where(c.id == chat_id).with_for_update()
        row = conn.execute(stmt).one_or_none()
        return None if row is None else set(row.muted_sources or ())

    @retries_transient
    def delivered_to(self, match_id: int, chat_id: int) -> bool:
        """Whether an alert of this match was sent to this chat, or is being sent (so its
        buttons are real): Telegram shows the message before the sender writes down that it
        went, and a press in that moment was refused (seen in CI)."""
        o = OUTBOX.c
        stmt = select(o.id).where(
            o.match_id == match_id, o.chat_id == chat_id, o.status.in_(("sent", "sending"))
        )
        with self._transaction() as conn:
            return conn.execute(stmt.limit(1)).first() is not None

    @retries_transient
    def record_feedback(
        self, match_id: int, chat_id: int, user_id: int, verdict: str, *, now: datetime
    ) -> None:
        """A user's verdict on an alert; a second press by the same user replaces the first."""
        if verdict not in VERDICTS:
            raise ValueError(f"verdict must be one of {', '.join(VERDICTS)}, not {verdict!r}")
        with self._transaction() as conn:
            inserted = self._insert_if_new(
                conn,
                FEEDBACK,
                ["match_id", "user_id"],
                {
                    "match_id": match_id,
                    "chat_id": chat_id,
                    "user_id": user_id,
                    "verdict": verdict,
                    "created_at": now,
                },
            )
            if not inserted:
                conn.execute(
                    update(FEEDBACK)
                    .where(FEEDBACK.c.match_id == match_id, FEEDBACK.c.user_id == user_id)
                    .values(verdict=verdict, chat_id=chat_id, created_at=now)
                )

    @retries_transient
    def item_topics(self, item_id: int) -> frozenset[str] | None:
        """The topics a stored item matched (None: no such item)."""
        with self._transaction() as conn:
            if conn.execute(select(ITEM.c.id).where(ITEM.c.id == item_id)).first() is None:
                return None
            rows = conn.execute(select(MATCH.c.topic).where(MATCH.c.item_id == item_id))
            return frozenset(rows.scalars())

    @retries_transient
    def misses_reported(self, user_id: int, *, since: datetime) -> int:
        """How many items a user has reported missed since a time."""
        r = MISS_REPORT.c
        stmt = select(func.count()).where(r.user_id == user_id, r.created_at >= since)
        with self._transaction() as conn:
            return int(conn.execute(stmt).scalar_one())

    @retries_transient
    def record_miss(
        self, item_id: int, topic: str, chat_id: int, user_id: int, *, now: datetime
    ) -> bool:
        """A user's report that a stored item is about a topic it did not match; False when
        this user had reported it already (a report counts once)."""
        with self._transaction() as conn:
            return self._insert_if_new(
                conn,
                MISS_REPORT,
                ["item_id", "topic", "user_id"],
                {
                    "item_id": item_id,
                    "topic": topic,
                    "chat_id": chat_id,
                    "user_id": user_id,
                    "created_at": now,
                },
            )

    @retries_transient
    def feedback_counts(self, match_id: int) -> dict[str, int]:
        """How many users said relevant / not_relevant about one match."""
        f = FEEDBACK.c
        with self._transaction() as conn:
            verdicts = conn.execute(select(f.verdict).where(f.match_id == match_id)).scalars()
            counts = dict.fromkeys(VERDICTS, 0)
            for verdict in verdicts:
                counts[verdict] += 1
        return counts
