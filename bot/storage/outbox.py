"""Outbox rows: leasing alerts to send, recording what Telegram said, backlog, history."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Select, func, select, update

from bot.core.models import EntityHit, TermHit, TopicScore
from bot.storage.actors import acting_in
from bot.storage.leases import lease_due
from bot.storage.records import Alert, EditTarget
from bot.storage.retry import retries_transient
from bot.storage.stories import story_sources
from bot.storage.tables import ITEM, MATCH, OUTBOX, SOURCE
from bot.storage.transaction import AnyRow, StoreBase

o = OUTBOX.c
UNSENT = ("pending", "sending")
# The alert a row shows: the row itself, or for an edit row the alert it edits.
SHOWN = OUTBOX.alias("shown")


def _alert_query() -> Select[Any]:
    """Outbox rows joined with the alert they show and its match, item and source: all a
    message needs (an edit row re-renders the alert it edits)."""
    m, i, s, shown = MATCH.c, ITEM.c, SOURCE.c, SHOWN.c
    return (
        select(
            o.id.label("outbox_id"),
            shown.match_id,
            o.chat_id,
            o.message_thread_id,
            o.status,
            o.attempts,
            o.digest,
            o.created_at,
            o.telegram_message_id,
            o.last_error,
            o.kind,
            o.edit_of,
            shown.status.label("shown_status"),
            shown.telegram_message_id.label("shown_message_id"),
            shown.next_attempt_at.label("shown_next_attempt_at"),
            shown.digest.label("shown_digest"),
            shown.burst_more,
            i.story_id,
            s.id.label("source_id"),
            s.name.label("source_name"),
            i.id.label("item_id"),
            i.title,
            i.link,
            i.summary,
            i.published,
            m.topic,
            m.score,
            m.terms,
            m.entities,
            m.reasons,
        )
        .select_from(OUTBOX)
        .join(SHOWN, shown.id == func.coalesce(o.edit_of, o.id))
        .join(MATCH, m.id == shown.match_id)
        .join(ITEM, i.id == m.item_id)
        .join(SOURCE, s.id == i.source_id)
    )


def _alerts(conn: Connection, rows: Sequence[AnyRow]) -> list[Alert]:
    """Alerts of these rows, each with its story's sources."""
    stories = story_sources(conn, (row.story_id for row in rows if row.story_id is not None))
    return [_alert(row, stories.get(row.story_id, [])) for row in rows]


def _alert(row: AnyRow, story: Sequence[str]) -> Alert:
    score = TopicScore(
        topic=row.topic,
        score=row.score,
        matched=True,
        terms=tuple(TermHit(**term) for term in row.terms),
        entities=tuple(EntityHit(**entity) for entity in row.entities),
        reasons=tuple(row.reasons),
    )
    return Alert(
        outbox_id=row.outbox_id,
        match_id=row.match_id,
        chat_id=row.chat_id,
        message_thread_id=row.message_thread_id,
        status=row.status,
        attempts=row.attempts,
        digest=row.digest,
        created_at=row.created_at,
        source_id=row.source_id,
        source_name=row.source_name,
        item_id=row.item_id,
        title=row.title,
        link=row.link,
        summary=row.summary,
        published=row.published,
        score=score,
        telegram_message_id=row.telegram_message_id,
        last_error=row.last_error,
        sources=(row.source_name, *(name for name in story if name != row.source_name)),
        more=row.burst_more or 0,
        edit=EditTarget(
            outbox_id=row.edit_of,
            status=row.shown_status,
            telegram_message_id=row.shown_message_id,
            next_attempt_at=row.shown_next_attempt_at,
            digest=row.shown_digest,
        )
        if row.kind == "edit"
        else None,
    )


class OutboxStore(StoreBase):
    """Alerts waiting for Telegram, each leased to one sender so it goes out once."""

    @retries_transient
    def claim_outbox(
        self,
        *,
        now: datetime,
        limit: int,
        owner: str,
        lease_seconds: float,
        digest: bool = False,
    ) -> list[Alert]:
        """Lease up to `limit` due alerts (digest ones when `digest`), oldest first.

        Rows left 'sending' by a sender that died are taken again once their lease expires.
        """
        if limit <= 0:
            return []
        with self._transaction() as conn:
            ids = lease_due(
                conn,
                OUTBOX,
                now=now,
                limit=limit,
                owner=owner,
                lease_seconds=lease_seconds,
                where=o.digest.is_(digest),
            )
            if not ids:
                return []
            rows = conn.execute(
                _alert_query().where(o.id.in_(ids)).order_by(o.next_attempt_at, o.id)
            ).all()
            return _alerts(conn, rows)

    @retries_transient
    def mark_sent(self, outbox_id: int, telegram_message_id: int | None, now: datetime) -> None:
        """The alert went out: remember Telegram's message id."""
        self._finish(
            outbox_id,
            status="sent",
            telegram_message_id=telegram_message_id,
            sent_at=now,
            last_error=None,
        )

    @retries_transient
    def mark_retry(self, outbox_id: int, error: str, next_attempt_at: datetime) -> None:
        """Sending failed for now: try again at `next_attempt_at`."""
        self._finish(outbox_id, status="pending", last_error=error, next_attempt_at=next_attempt_at)

    @retries_transient
    def mark_failed(self, outbox_id: int, error: str) -> None:
        """Sending failed for good (e.g. Telegram rejected the message even as plain text)."""
        self._finish(outbox_id, status="failed", last_error=error)

    def _finish(self, outbox_id: int, **values: Any) -> None:
        with self._transaction() as conn:
            conn.execute(
                update(OUTBOX)
                .where(o.id == outbox_id)
                .values(lease_owner=None, lease_expires_at=None, **values)
            )

    @retries_transient
    def outbox_backlog(self, now: datetime) -> tuple[int, datetime | None]:
        """How many single alerts wait to be sent, and when the oldest was queued."""
        stmt = select(func.count(), func.min(o.created_at)).where(
            o.status.in_(UNSENT), o.digest.is_(False), o.created_at <= now
        )
        with self._transaction() as conn:
            count, oldest = conn.execute(stmt).one()
        # min() keeps the column's type, so `oldest` comes back UTC-aware on SQLite too.
        return int(count), oldest

    @retries_transient
    def alert(self, outbox_id: int) -> Alert | None:
        """One alert with its evidence (/why), whatever its status (edit rows are not alerts)."""
        with self._transaction() as conn:
            row = conn.execute(
                _alert_query().where(o.id == outbox_id, o.kind == "alert")
            ).one_or_none()
            return _alerts(conn, [row])[0] if row is not None else None

    @retries_transient
    def recent_matches(
        self, chat_id: int, n: int, places: Collection[str] | None = None
    ) -> list[Alert]:
        """A chat's latest `n` alerts, newest first, sent or not (/recent); only those with
        an actor in `places` (ISO codes) when given."""
        stmt = _alert_query().where(o.chat_id == chat_id, o.kind == "alert")
        if places is not None:
            stmt = stmt.where(acting_in(places))
        stmt = stmt.order_by(o.created_at.desc(), o.id.desc()).limit(max(n, 0))
        with self._transaction() as conn:
            rows = conn.execute(stmt).all()
            return _alerts(conn, rows)
