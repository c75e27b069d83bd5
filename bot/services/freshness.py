"""What a poll can skip: a body byte-for-byte the last one, and items too old to alert."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import datetime, timedelta

from bot.core.models import Item
from bot.services.ports import StoredEntry


def body_digest(body: bytes) -> str:
    """The SHA-256 of a fetched body, hex: stored on the source to spot an unchanged feed
    when the server sends no validators (or ignores them)."""
    return hashlib.sha256(body).hexdigest()


def too_old_to_alert(item: Item, *, now: datetime, max_age_s: float | None) -> bool:
    """True when the item's own date is more than `max_age_s` before `now`.

    A stale or re-ordered feed would otherwise alert on years-old stories. An item without a
    date cannot be judged and may alert.
    """
    if max_age_s is None or item.published is None:
        return False
    return item.published < now - timedelta(seconds=max_age_s)


def split_by_age(
    entries: Sequence[StoredEntry], *, now: datetime, max_age_s: float | None
) -> tuple[list[StoredEntry], list[StoredEntry]]:
    """The entries too old to alert and the others, each in the given order, in one pass
    (a membership test per entry made a 30,000-item poll take minutes: issue 17)."""
    old: list[StoredEntry] = []
    recent: list[StoredEntry] = []
    for entry in entries:
        (old if too_old_to_alert(entry.item, now=now, max_age_s=max_age_s) else recent).append(
            entry
        )
    return old, recent
