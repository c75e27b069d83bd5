"""Leasing due rows of a work queue (the outbox, briefing runs) to one sender at a time."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, Connection, Table, and_, or_, select, true, update


def lease_due(
    conn: Connection,
    table: Table,
    *,
    now: datetime,
    limit: int,
    owner: str,
    lease_seconds: float,
    where: ColumnElement[bool] | None = None,
) -> list[int]:
    """Lease up to `limit` due rows of `table` to `owner`, oldest first; their ids.

    Due means pending and due now, or left 'sending' by a sender whose lease has expired (it
    died). FOR UPDATE SKIP LOCKED lets any number of senders claim at once without taking the
    same row; each claim counts as an attempt. The table has the queue columns: status,
    next_attempt_at, lease_owner, lease_expires_at, attempts.
    """
    c = table.c
    due = (
        select(c.id)
        .where(
            true() if where is None else where,
            or_(
                and_(c.status == "pending", c.next_attempt_at <= now),
                and_(c.status == "sending", c.lease_expires_at <= now),
            ),
        )
        .order_by(c.next_attempt_at, c.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    ids = list(conn.execute(due).scalars())
    if ids:
        conn.execute(
            update(table)
            .where(c.id.in_(ids))
            .values(
                status="sending",
                lease_owner=owner,
                lease_expires_at=now + timedelta(seconds=lease_seconds),
                attempts=c.attempts + 1,
            )
        )
    return ids
