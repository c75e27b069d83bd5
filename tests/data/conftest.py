"""A database with known matches, filled through the real Store API, for the data tests."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest

from bot.core.models import EntityHit, Item, TermHit, TopicScore
from bot.services.ports import PollSuccess, StoredEntry
from bot.storage import SourceSpec, Store, open_store

# The awkward title: a formula start, a comma, quotes, a line break and non-Latin text.
AWKWARD_TITLE = '=Китай, "SCO" anti-drug\nagency 禁毒'


@dataclass(frozen=True)
class Filled:
    """The filled database: its URL, the store on it, and the clock the data was made with."""

    url: str
    store: Store
    now: datetime


def scored(topic: str, score: float) -> TopicScore:
    """A matched topic score with evidence of every kind."""
    return TopicScore(
        topic=topic,
        score=score,
        matched=True,
        terms=(TermHit("narcotics", "drug", 2), TermHit("cooperation", "signal", 1)),
        entities=(EntityHit("UNODC", "org"),),
        reasons=("drug: narcotics (evidence 2.0) +0.40", "missing x; y: score x0.5"),
        actors=("CN", "MM", "UNODC"),
    )


def entry(key: str, *matches: TopicScore, title: str | None = None) -> StoredEntry:
    """A new item keyed `key` with the given topic scores."""
    title = title if title is not None else f"Item {key}"
    link = f"https://news.example/{key}"
    published = datetime(2026, 2, 1, 8, 30, tzinfo=UTC)
    return StoredEntry(
        key=key,
        canonical_link=link,
        title_hash=hashlib.sha256(title.encode()).hexdigest(),
        item=Item(title=title, link=link, guid=key, published=published),
        matches=matches,
    )


def fill(store: Store, now: datetime) -> None:
    """Two sources, five matches over 40 days, one unmatched item.

    Wire, 40 days ago: old/drugs 0.9. Wire, 1 day ago: a/drugs 0.7, a/other 0.4, b/drugs 0.3,
    c unmatched. Agency, 2 days ago: d/drugs 0.95 with AWKWARD_TITLE.
    """
    store.sync_config_sources(
        [
            SourceSpec(name="Wire", url="https://wire.example/feed"),
            SourceSpec(name="Agency", url="https://agency.example/rss"),
        ],
        now=now,
    )
    ids = {source.name: source.id for source in store.source_health()}

    def poll(source: str, at: datetime, *entries: StoredEntry) -> None:
        success = PollSuccess(now=at, next_poll_at=at + timedelta(minutes=15))
        store.save_poll(ids[source], success, entries, alert=True)

    poll("Wire", now - timedelta(days=40), entry("old", scored("drugs", 0.9)))
    poll(
        "Wire",
        now - timedelta(days=1),
        entry("a", scored("drugs", 0.7), scored("other", 0.4)),
        entry("b", scored("drugs", 0.3)),
        entry("c", TopicScore(topic="drugs", score=0.1, matched=False)),
    )
    poll("Agency", now - timedelta(days=2), entry("d", scored("drugs", 0.95), title=AWKWARD_TITLE))


@pytest.fixture
def filled(database_url: str) -> Iterator[Filled]:
    """A migrated database on each back end holding the `fill` data, made relative to now."""
    now = datetime.now(UTC).replace(microsecond=0)
    store = open_store(database_url)
    try:
        fill(store, now)
        yield Filled(url=database_url, store=store, now=now)
    finally:
        store.close()
