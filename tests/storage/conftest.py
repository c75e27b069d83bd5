"""Builders for the storage contract tests: a fixed clock, entries, scores, sources, chats.

They are handed out as fixtures (`now`, `entry`, `score`, `ok`, `chat`) so test modules need no
imports from here, whatever pytest's import mode.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest

from bot.core.models import EntityHit, Item, TermHit, TopicScore
from bot.services.ports import PollSuccess, StoredEntry
from bot.storage import SourceSpec, Store

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def make_score(topic: str = "drugs", score: float = 0.8, *, matched: bool = True) -> TopicScore:
    """A topic score with a little evidence, as the matcher would give."""
    return TopicScore(
        topic=topic,
        score=score,
        matched=matched,
        terms=(TermHit(term="narcotics", group="drug", count=2),),
        entities=(EntityHit(name="UNODC", type="org"),),
        reasons=("drug term + cooperation signal",),
    )


def make_entry(
    key: str,
    *,
    title: str | None = None,
    link: str | None = None,
    matches: tuple[TopicScore, ...] = (),
) -> StoredEntry:
    """An entry whose title and link derive from `key` unless given."""
    title = title if title is not None else f"Item {key}"
    link = link if link is not None else f"https://news.example/{key}"
    return StoredEntry(
        key=key,
        canonical_link=link,
        title_hash=hashlib.sha256(title.encode()).hexdigest(),
        item=Item(title=title, link=link, guid=key, summary=f"About {key}", published=NOW),
        matches=matches,
    )


def success(now: datetime = NOW, **changes: object) -> PollSuccess:
    """A successful poll at `now`, next one in 15 minutes."""
    return PollSuccess(now=now, next_poll_at=now + timedelta(minutes=15), **changes)  # type: ignore[arg-type]


@pytest.fixture
def now() -> datetime:
    """The fixed time every storage test starts at."""
    return NOW


@pytest.fixture
def entry() -> Callable[..., StoredEntry]:
    """Builds StoredEntry values: `entry("k1", title=..., link=..., matches=(...))`."""
    return make_entry


@pytest.fixture
def score() -> Callable[..., TopicScore]:
    """Builds TopicScore values: `score("drugs", 0.8)`."""
    return make_score


@pytest.fixture
def ok() -> Callable[..., PollSuccess]:
    """Builds PollSuccess values: `ok(now, etag=...)`."""
    return success


@pytest.fixture
def chat(store: Store) -> Callable[..., None]:
    """Adds a subscribed chat: `chat(42, "drugs", threshold=0.5)`."""

    def add(chat_id: int, *topics: str, **settings: object) -> None:
        add_chat(store, chat_id, *topics, **settings)

    return add


@pytest.fixture
def source_id(store: Store) -> int:
    """The id of one config source, due now."""
    store.sync_config_sources([SourceSpec(name="Wire", url="https://wire.example/feed")], now=NOW)
    return store.source_health()[0].id


def add_chat(store: Store, chat_id: int, *topics: str, **settings: object) -> None:
    """A chat subscribed to `topics`, with optional threshold/digest/mute settings."""
    store.upsert_chat(chat_id, type="private", title=f"chat {chat_id}", now=NOW)
    for topic in topics:
        store.subscribe(chat_id, topic, now=NOW)
    if "threshold" in settings:
        store.set_threshold(chat_id, settings["threshold"])  # type: ignore[arg-type]
    if "digest" in settings:
        store.set_digest(chat_id, settings["digest"])  # type: ignore[arg-type]
    if "muted_until" in settings:
        store.set_mute(chat_id, settings["muted_until"])  # type: ignore[arg-type]
