"""The storage side of /healthz: database reachable, failing sources, outbox backlog."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, or_, select, text
from sqlalchemy.exc import SQLAlchemyError

from bot.storage.tables import OUTBOX, SOURCE
from bot.storage.transaction import StoreBase

# A scheduler that has not ticked for this long is stuck (it ticks every few seconds).
MAX_TICK_AGE_S = 300.0
# Due sources left unclaimed this long are listed (bot.services.starvation judges them).
DUE_UNCLAIMED_AFTER_S = 60.0


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


class HealthStore(StoreBase):
    """Builds the /healthz report; never raises, a database failure is reported instead."""

    def health_report(
        self,
        *,
        now: datetime,
        last_tick_at: datetime | None,
        last_poll_at: datetime | None,
        max_tick_age_s: float = MAX_TICK_AGE_S,
        due_after_s: float = DUE_UNCLAIMED_AFTER_S,
    ) -> dict[str, Any]:
        """JSON-ready health: `healthy` is false when the database fails or ticks have stopped.

        `due_unclaimed` lists every enabled source due for over `due_after_s` that no poll
        holds, most late first.
        """
        report: dict[str, Any] = {
            "last_tick_at": _iso(last_tick_at),
            "last_poll_at": _iso(last_poll_at),
        }
        ticking = last_tick_at is None or (now - last_tick_at).total_seconds() <= max_tick_age_s
        report["scheduler"] = "ok" if ticking else "stalled"
        try:
            report |= self._database_facts(now, due_after_s)
            report["database"] = "ok"
        except SQLAlchemyError as exc:
            report["database"] = f"error: {type(exc).__name__}: {exc.args[0] if exc.args else ''}"
            report["healthy"] = False
            return report
        report["healthy"] = ticking
        return report

    def _database_facts(self, now: datetime, due_after_s: float) -> dict[str, Any]:
        src, out = SOURCE.c, OUTBOX.c
        with self._transaction() as conn:
            conn.execute(text("SELECT 1"))
            enabled = conn.execute(select(func.count()).where(src.enabled.is_(True))).scalar_one()
            failing = conn.execute(
                select(
                    src.id,
                    src.name,
                    src.last_error,
                    src.last_error_kind,
                    src.last_error_at,
                    src.consecutive_failures,
                )
                .where(src.enabled.is_(True), src.consecutive_failures > 0)
                .order_by(src.consecutive_failures.desc(), src.name)
            ).all()
            waiting = conn.execute(
                select(src.name, src.next_poll_at, src.interval_s)
                .where(
                    src.enabled.is_(True),
                    src.paused.is_(False),
                    src.next_poll_at < now - timedelta(seconds=due_after_s),
                    or_(src.lease_expires_at.is_(None), src.lease_expires_at <= now),
                )
                .order_by(src.next_poll_at, src.id)
            ).all()
            backlog, oldest = conn.execute(
                select(func.count(), func.min(out.created_at)).where(
                    out.status.in_(("pending", "sending")), out.digest.is_(False)
                )
            ).one()
        return {
            "sources": {"enabled": int(enabled), "failing": len(failing)},
            "failing_sources": [
                {
                    "id": row.id,
                    "name": row.name,
                    "error": row.last_error,
                    "kind": row.last_error_kind,
                    "since": _iso(row.last_error_at),
                    "failures": row.consecutive_failures,
                }
                for row in failing
            ],
            "due_unclaimed": [
                {
                    "name": row.name,
                    "late_s": (now - row.next_poll_at).total_seconds(),
                    "interval_s": row.interval_s,
                }
                for row in waiting
            ],
            "outbox": {
                "backlog": int(backlog),
                "oldest_at": _iso(oldest),
                "oldest_age_s": (now - oldest).total_seconds() if oldest is not None else None,
            },
        }
