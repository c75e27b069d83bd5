"""Briefing runs: one row per (chat, period), queued idempotently, leased, sent once.

The unique (chat_id, period_end) key makes queueing safe for any number of daemons ticking
at once (INSERT ... ON CONFLICT DO NOTHING); claiming leases rows with FOR UPDATE SKIP
LOCKED exactly as the outbox does, so a run goes out once and a dead sender's lease expires.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select, update

from bot.storage.leases import lease_due
from bot.storage.records import BriefingDue
from bot.storage.retry import retries_transient
from bot.storage.tables import BRIEFING_RUN
from bot.storage.transaction import StoreBase

r = BRIEFING_RUN.c


class BriefingRuns(StoreBase):
    """Scheduled briefings owed to chats and their delivery state."""

    @retries_transient
    def queue_briefings(self, due: Sequence[tuple[int, str, datetime]], *, now: datetime) -> int:
        """Queue a run per (chat id, mode, slot) unless one exists; how many were new."""
        added = 0
        with self._transaction() as conn:
            for chat_id, mode, slot in due:
                row = {
                    "chat_id": chat_id,
                    "mode": mode,
                    "period_end": slot,
                    "status": "pending",
                    "attempts": 0,
                    "next_attempt_at": now,
                    "created_at": now,
                }
                stmt = self._insert_ignoring(BRIEFING_RUN, ["chat_id", "period_end"]).values(row)
                added += len(conn.execute(stmt.returning(r.id)).all())
        return added

    @retries_transient
    def claim_briefings(
        self, *, now: datetime, limit: int, owner: str, lease_seconds: float
    ) -> list[BriefingDue]:
        """Lease up to `limit` due runs (expired 'sending' leases included), oldest first."""
        with self._transaction() as conn:
            ids = lease_due(
                conn, BRIEFING_RUN, now=now, limit=limit, owner=owner, lease_seconds=lease_seconds
            )
            if not ids:
                return []
            rows = conn.execute(
                select(r.id, r.chat_id, r.mode, r.period_end, r.attempts, r.photo_message_id)
                .where(r.id.in_(ids))
                .order_by(r.next_attempt_at, r.id)
            ).all()
        return [BriefingDue(*row) for row in rows]

    def _settle(self, run_id: int, **values: Any) -> None:
        with self._transaction() as conn:
            conn.execute(
                update(BRIEFING_RUN)
                .where(r.id == run_id)
                .values(lease_owner=None, lease_expires_at=None, **values)
            )

    @retries_transient
    def briefing_photo_sent(self, run_id: int, message_id: int) -> None:
        """The picture is out: a retry after this sends only the text."""
        with self._transaction() as conn:
            conn.execute(
                update(BRIEFING_RUN).where(r.id == run_id).values(photo_message_id=message_id)
            )

    @retries_transient
    def briefing_sent(self, run_id: int, message_id: int | None, now: datetime) -> None:
        """The briefing went out."""
        self._settle(
            run_id, status="sent", telegram_message_id=message_id, sent_at=now, last_error=None
        )

    @retries_transient
    def briefing_retry(self, run_id: int, error: str | None, when: datetime) -> None:
        """Not now (failure, quiet hours, rate limit): due again at `when`."""
        self._settle(run_id, status="pending", last_error=error, next_attempt_at=when)

    @retries_transient
    def briefing_hold(self, run_id: int, when: datetime) -> None:
        """Hand the run back unsent until `when` (quiet hours): the claim was no attempt."""
        self._settle(run_id, status="pending", next_attempt_at=when, attempts=r.attempts - 1)

    @retries_transient
    def briefing_failed(self, run_id: int, error: str) -> None:
        """Give up on this run (chat gone, rejected, too many attempts)."""
        self._settle(run_id, status="failed", last_error=error)

    @retries_transient
    def briefing_runs(self, chat_id: int) -> list[dict[str, Any]]:
        """A chat's runs, oldest first (for tests and /status)."""
        with self._transaction() as conn:
            rows = conn.execute(
                select(BRIEFING_RUN).where(r.chat_id == chat_id).order_by(r.period_end)
            ).all()
        return [dict(row._mapping) for row in rows]
