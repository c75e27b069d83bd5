"""Source rows: leasing due sources, recording failures, syncing with config, health."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, or_, select, text, update

from bot.core.models import HtmlSelectors, SourceState
from bot.services.ports import PollFailure
from bot.storage.records import SourceHealth, SourceSpec, SyncReport
from bot.storage.retry import retries_transient
from bot.storage.tables import SOURCE
from bot.storage.transaction import AnyRow, StoreBase

REMOVED_FROM_CONFIG = "removed from config"
DISABLED_IN_CONFIG = "disabled in config"
REMOVED_BY_ADMIN = "removed by admin"
# Reasons a config sync may undo; a source disabled for being gone (410) stays disabled.
_CONFIG_REASONS = (REMOVED_FROM_CONFIG, DISABLED_IN_CONFIG)
# Any fixed number: daemons starting together on one PostgreSQL sync the config one at a time.
_SYNC_LOCK_KEY = 0x6E7773796E63  # "nwsync"

s = SOURCE.c


def source_state(row: AnyRow) -> SourceState:
    """A source row as the poller sees it."""
    selectors = row.selectors
    return SourceState(
        id=row.id,
        name=row.name,
        url=row.url,
        type=row.type,
        interval_s=row.interval_s,
        topics=tuple(row.topics) if row.topics is not None else None,
        selectors=HtmlSelectors(**selectors) if selectors else None,
        etag=row.etag,
        last_modified=row.last_modified,
        consecutive_failures=row.consecutive_failures,
        last_success_at=row.last_success_at,
        enabled=row.enabled,
        trusted=row.trusted,
        headers=tuple((row.headers or {}).items()),
        body_hash=row.body_hash,
    )


def _health(row: AnyRow) -> SourceHealth:
    return SourceHealth(
        **{name: getattr(row, name) for name in SourceHealth.__dataclass_fields__},
    )


def _spec_columns(spec: SourceSpec) -> dict[str, Any]:
    return {
        "type": spec.type,
        "interval_s": spec.interval_s,
        "topics": list(spec.topics) if spec.topics is not None else None,
        "selectors": asdict(spec.selectors) if spec.selectors is not None else None,
        "headers": dict(spec.headers) or None,
    }


def _config_changes(row: AnyRow, spec: SourceSpec, now: datetime) -> dict[str, Any]:
    """The column updates that make a stored source agree with its config entry."""
    changes = {k: v for k, v in _spec_columns(spec).items() if getattr(row, k) != v}
    if row.origin != "config":
        changes["origin"] = "config"
    if not row.trusted:
        changes["trusted"] = True
    if spec.url != row.config_url:
        # A new address is a new conversation with a server: forget validators and failures.
        changes |= {
            "config_url": spec.url,
            "url": spec.url,
            "etag": None,
            "last_modified": None,
            "body_hash": None,
            "next_poll_at": now,
            "consecutive_failures": 0,
        }
    should_enable = spec.enabled and (
        "url" in changes or (not row.enabled and row.disabled_reason in _CONFIG_REASONS)
    )
    if should_enable and not row.enabled:
        changes |= {"enabled": True, "disabled_reason": None}
    if not spec.enabled and (row.enabled or row.disabled_reason != DISABLED_IN_CONFIG):
        changes |= {"enabled": False, "disabled_reason": DISABLED_IN_CONFIG}
    return changes


class SourceStore(StoreBase):
    """Source rows under leases, so each due source is polled by one process at a time."""

    @retries_transient
    def claim_due_sources(
        self, *, now: datetime, limit: int, owner: str, lease_seconds: float
    ) -> list[SourceState]:
        """Lease up to `limit` enabled, unpaused, due sources whose lease is free or expired."""
        if limit <= 0:
            return []
        due = or_(s.next_poll_at.is_(None), s.next_poll_at <= now)
        return self._claim(due, now=now, limit=limit, owner=owner, lease_seconds=lease_seconds)

    @retries_transient
    def claim_all_enabled(
        self, *, now: datetime, owner: str, lease_seconds: float
    ) -> list[SourceState]:
        """Lease every enabled, unpaused source not leased by someone else, due or not
        (`narcowatch poll --once`)."""
        return self._claim(None, now=now, limit=None, owner=owner, lease_seconds=lease_seconds)

    def _claim(
        self,
        condition: ColumnElement[bool] | None,
        *,
        now: datetime,
        limit: int | None,
        owner: str,
        lease_seconds: float,
    ) -> list[SourceState]:
        wanted = [
            s.enabled.is_(True),
            s.paused.is_(False),
            or_(s.lease_expires_at.is_(None), s.lease_expires_at <= now),
        ]
        if condition is not None:
            wanted.append(condition)
        due = (
            select(s.id)
            .where(*wanted)
            .order_by(s.next_poll_at.asc().nulls_first(), s.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        expires = now + timedelta(seconds=lease_seconds)
        with self._transaction() as conn:
            ids = list(conn.execute(due).scalars())
            if not ids:
                return []
            conn.execute(
                update(SOURCE)
                .where(s.id.in_(ids))
                .values(lease_owner=owner, lease_expires_at=expires)
            )
            rows = conn.execute(
                select(SOURCE)
                .where(s.id.in_(ids))
                .order_by(s.next_poll_at.asc().nulls_first(), s.id)
            ).all()
        return [source_state(row) for row in rows]

    @retries_transient
    def expire_source_leases(self, now: datetime) -> int:
        """End every source lease at `now`; returns how many were held.

        Only for a daemon that knows no other poller is alive (SQLite allows one per
        database): the sources were leased by a process that died, and would otherwise wait
        out a lease that covers a whole poll (two minutes by default).
        """
        with self._transaction() as conn:
            result = conn.execute(
                update(SOURCE)
                .where(s.lease_expires_at > now)
                .values(lease_owner=None, lease_expires_at=None)
            )
        return int(result.rowcount)

    @retries_transient
    def save_failure(self, source_id: int, failure: PollFailure) -> None:
        """Record a failed poll (error, failure count, next try, maybe disable); free the lease."""
        values: dict[str, Any] = {
            "last_error": failure.error,
            "last_error_kind": failure.error_kind,
            "last_error_at": failure.now,
            "last_polled_at": failure.now,
            "consecutive_failures": s.consecutive_failures + 1,
            "next_poll_at": failure.next_poll_at,
            "lease_owner": None,
            "lease_expires_at": None,
        }
        if failure.disable:
            values |= {"enabled": False, "disabled_reason": failure.error}
        with self._transaction() as conn:
            conn.execute(update(SOURCE).where(s.id == source_id).values(**values))

    @retries_transient
    def sync_config_sources(self, specs: Sequence[SourceSpec], *, now: datetime) -> SyncReport:
        """Make config-born source rows match the config: add, update, disable the removed.

        Items of removed sources are kept; sources added from Telegram are left alone.
        """
        wanted = {spec.name: spec for spec in specs}
        added: list[str] = []
        changed: list[str] = []
        removed: list[str] = []
        with self._transaction() as conn:
            if self._postgres:
                # Otherwise two processes both see a source missing and both insert it; held to
                # commit, so the second then reads the first one's rows (READ COMMITTED).
                conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _SYNC_LOCK_KEY})
            rows = conn.execute(
                select(SOURCE).where(or_(s.origin == "config", s.name.in_(list(wanted))))
            ).all()
            stored: Mapping[str, AnyRow] = {row.name: row for row in rows}
            for name, spec in wanted.items():
                row = stored.get(name)
                if row is None:
                    conn.execute(SOURCE.insert().values(**self._new_source(spec, now)))
                    added.append(name)
                    continue
                changes = _config_changes(row, spec, now)
                if changes:
                    conn.execute(update(SOURCE).where(s.id == row.id).values(**changes))
                    changed.append(name)
            for name, row in stored.items():
                if name in wanted or row.origin != "config":
                    continue
                if row.disabled_reason != REMOVED_FROM_CONFIG:
                    conn.execute(
                        update(SOURCE)
                        .where(s.id == row.id)
                        .values(enabled=False, disabled_reason=REMOVED_FROM_CONFIG)
                    )
                    removed.append(name)
        return SyncReport(added=tuple(added), changed=tuple(changed), removed=tuple(removed))

    @staticmethod
    def _new_source(
        spec: SourceSpec, now: datetime, origin: str = "config", *, trusted: bool = True
    ) -> dict[str, Any]:
        return {
            "name": spec.name,
            "origin": origin,
            "trusted": trusted,
            "config_url": spec.url,
            "url": spec.url,
            **_spec_columns(spec),
            "enabled": spec.enabled,
            "disabled_reason": None if spec.enabled else DISABLED_IN_CONFIG,
            "paused": False,
            "next_poll_at": now,
            "consecutive_failures": 0,
            "health_reported": False,
            "created_at": now,
        }

    @retries_transient
    def add_source(self, spec: SourceSpec, *, now: datetime, trusted: bool = False) -> int | None:
        """Add a source from outside the config file, due now; None when the name is taken.

        Untrusted unless `trusted` (an operator's CLI import): a source added from Telegram
        may only reach public addresses.
        """
        stmt = self._insert_ignoring(SOURCE, ["name"]).returning(s.id)
        row = self._new_source(spec, now, "telegram", trusted=trusted)
        with self._transaction() as conn:
            new_id = conn.execute(stmt, [row]).scalar()
        return new_id

    @retries_transient
    def set_source_paused(self, source_id: int, paused: bool) -> bool:
        """Pause or resume a source (/pausesource); False when there is no such source."""
        with self._transaction() as conn:
            result = conn.execute(update(SOURCE).where(s.id == source_id).values(paused=paused))
        return result.rowcount > 0

    @retries_transient
    def remove_source(self, source_id: int) -> bool:
        """Disable a source for good (/rmsource), keeping its items and alert history."""
        with self._transaction() as conn:
            result = conn.execute(
                update(SOURCE)
                .where(s.id == source_id)
                .values(enabled=False, disabled_reason=REMOVED_BY_ADMIN, lease_owner=None)
            )
        return result.rowcount > 0

    @retries_transient
    def set_health_reported(self, source_id: int, reported: bool) -> bool:
        """Remember whether admins were told this source is unhealthy, so they are told once.

        Compare-and-set: False when the flag already had this value (another process got there
        first), so of several daemons sharing a database only one sends each report.
        """
        with self._transaction() as conn:
            result = conn.execute(
                update(SOURCE)
                .where(s.id == source_id, s.health_reported.is_(not reported))
                .values(health_reported=reported)
            )
        return result.rowcount > 0

    @retries_transient
    def source_health(self) -> list[SourceHealth]:
        """Every source with its schedule and last result, by name."""
        with self._transaction() as conn:
            rows = conn.execute(select(SOURCE).order_by(s.name)).all()
        return [_health(row) for row in rows]
