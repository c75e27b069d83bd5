"""Builders for the story tests: sources, subscribed chats, entries fingerprinted as the poller
does, and a look at the outbox. The Telegram fixtures (fake Bot API, running bot) are reused."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select

from bot.core.models import EntityHit, Item, NewMatch, TermHit, TopicScore
from bot.services.poll import with_matches
from bot.services.ports import PollSuccess, StoredEntry
from bot.storage import SourceSpec, Store
from bot.storage.tables import ITEM, OUTBOX
from tests.story.texts import Text
from tests.telegram.conftest import bot, clock, fake, ptb_timedelta, scorer, tg_store

__all__ = ["bot", "clock", "fake", "ptb_timedelta", "scorer", "tg_store"]  # from telegram

TOPIC = "drug-control-cooperation"
NOW = datetime(2026, 3, 3, 12, 0, tzinfo=UTC)


class FixedScorer:
    """Scores every item the same on the topic, as the matcher would for these texts."""

    def __init__(self, score: float = 0.8) -> None:
        self.value = score

    def score_many(
        self, items: list[Item], *, explain_unmatched: bool = True
    ) -> list[list[TopicScore]]:
        return [self.score(item) for item in items]

    def score(self, item: Item) -> list[TopicScore]:
        return [
            TopicScore(
                topic=TOPIC,
                score=self.value,
                matched=True,
                terms=(TermHit("anti-drug", "drug", 1), TermHit("cooperation", "coop", 1)),
                entities=(EntityHit("Ministry of Public Security", "org"),),
                reasons=("drug term and cooperation signal",),
            )
        ]


def add_source(store: Store, name: str) -> int:
    """A source named `name`; returns its id."""
    source_id = store.add_source(
        SourceSpec(name=name, url=f"https://{name.lower().replace(' ', '')}.example/feed"),
        now=NOW - timedelta(days=5),
    )
    assert source_id is not None
    return source_id


def add_chat(store: Store, chat_id: int, **settings: Any) -> None:
    """A private chat subscribed to the topic, with an optional threshold or digest."""
    store.upsert_chat(chat_id, type="private", title=f"chat {chat_id}", now=NOW - timedelta(days=5))
    store.subscribe(chat_id, TOPIC, now=NOW - timedelta(days=5))
    if "threshold" in settings:
        store.set_threshold(chat_id, settings["threshold"])
    if "digest" in settings:
        store.set_digest(chat_id, settings["digest"])


def entry(key: str, text: Text, *, score: float = 0.8) -> StoredEntry:
    """A matching entry for `text`, scored and fingerprinted by the poller's own code."""
    link = f"https://news.example/{key}"
    bare = StoredEntry(
        key=key,
        canonical_link=link,
        title_hash=hashlib.sha256(text.title.encode()).hexdigest(),
        item=Item(title=text.title, link=link, guid=key, summary=text.summary, published=NOW),
    )
    return with_matches(bare, FixedScorer(score), None)


def publish(
    store: Store, source_id: int, *entries: StoredEntry, now: datetime = NOW
) -> list[NewMatch]:
    """Save a poll of `source_id` with these new entries; returns the matches made."""
    success = PollSuccess(now=now, next_poll_at=now + timedelta(minutes=15))
    _, matches = store.save_poll(source_id, success, list(entries), alert=True)
    return matches


def outbox(store: Store) -> list[dict[str, Any]]:
    """Every outbox row, in id order."""
    with store.engine.begin() as conn:
        return [dict(r._mapping) for r in conn.execute(select(OUTBOX).order_by(OUTBOX.c.id))]


def stories(store: Store) -> dict[int, int | None]:
    """Each item's story id, by item id."""
    with store.engine.begin() as conn:
        return {row.id: row.story_id for row in conn.execute(select(ITEM.c.id, ITEM.c.story_id))}


def send_all(store: Store, *, now: datetime = NOW) -> dict[int, int]:
    """Lease every due row and record it sent as message 1000 + row id; returns id -> message."""
    sent: dict[int, int] = {}
    for alert in store.claim_outbox(now=now, limit=100, owner="t", lease_seconds=60):
        store.mark_sent(alert.outbox_id, 1000 + alert.outbox_id, now)
        sent[alert.outbox_id] = 1000 + alert.outbox_id
    return sent
