"""Stored alerts for tests of what subscribers' verdicts teach: items saved as matches of a
topic in one chat, through the Store as a poll saves them."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import select

from bot.core.models import Item, TopicScore
from bot.services.ports import PollSuccess, StoredEntry
from bot.storage import SourceSpec, Store
from bot.storage.tables import MATCH

CHAT = 10


def stored_alerts(
    store: Store, items: Sequence[Item], *, topic: str, at: datetime, first: int = 0
) -> list[int]:
    """The items stored at `at` as matches of `topic`, alerted to chat CHAT; their match ids,
    in order (keys k{first}, k{first + 1}...: give later calls on one database a new `first`)."""
    store.sync_config_sources([SourceSpec(name="wire", url="http://127.0.0.1:9/f")], now=at)
    source_id = store.claim_all_enabled(now=at, owner="t", lease_seconds=60)[0].id
    score = TopicScore(topic=topic, score=0.9, matched=True)
    entries = [
        StoredEntry(
            key=f"k{n}",
            canonical_link=f"http://example.org/{n}",
            title_hash=hashlib.sha256(f"t{n}".encode()).hexdigest(),
            item=item,
            matches=(score,),
        )
        for n, item in enumerate(items, start=first)
    ]
    success = PollSuccess(now=at, next_poll_at=at + timedelta(hours=1))
    _, matches = store.save_poll(source_id, success, entries, alert=True)
    store.upsert_chat(CHAT, type="private", title=None, now=at)
    item_ids = [m.item_id for m in matches]
    found = match_ids(store, item_ids)
    return [found[item_id] for item_id in item_ids]


def match_ids(store: Store, item_ids: list[int]) -> dict[int, int]:
    """The match id of each of these items (each matched one topic)."""
    with store.engine.connect() as conn:
        rows = conn.execute(
            select(MATCH.c.item_id, MATCH.c.id).where(MATCH.c.item_id.in_(item_ids))
        )
        return {item_id: match_id for item_id, match_id in rows}
