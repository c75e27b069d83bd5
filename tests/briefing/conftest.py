"""Briefing test data: matched rows for the pure tests, stored matches for storage and CLI."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from bot.briefing.model import MatchedRow
from bot.core.models import EntityHit, Item, TermHit, TopicScore
from bot.services.ports import PollSuccess, StoredEntry
from bot.storage import SourceSpec, Store

TOPIC = "drug-control-cooperation"
END = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)  # a Monday, 09:00 UTC


def row(
    item_id: int,
    title: str,
    *,
    hours_ago: float = 24.0,
    source: str = "Wire",
    entities: Sequence[tuple[str, str]] = (),
    lang: str = "en",
    score: float = 0.8,
    story_id: int | None = None,
    topic: str = TOPIC,
    terms: Sequence[str] = ("anti-drug", "cooperation"),
    actors: Sequence[str] = (),
) -> MatchedRow:
    """A matched row `hours_ago` before END."""
    return MatchedRow(
        item_id=item_id,
        story_id=story_id,
        topic=topic,
        score=score,
        matched_at=END - timedelta(hours=hours_ago),
        source_id=abs(hash(source)) % 1000,
        source_name=source,
        title=title,
        link=f"https://news.example/{item_id}",
        lang=lang,
        terms=tuple(terms),
        entities=tuple(entities),
        actors=tuple(actors),
    )


@dataclass
class Stored:
    """One item to store as matched: text, when, where, what it names."""

    title: str
    at: datetime
    source: str = "Wire"
    entities: tuple[tuple[str, str], ...] = ()
    score: float = 0.8
    lang: str = "en"
    terms: tuple[str, ...] = ("anti-drug",)
    link: str | None = None
    topics: tuple[str, ...] = field(default=(TOPIC,))
    actors: tuple[str, ...] = ()


def store_matches(store: Store, items: Sequence[Stored]) -> None:
    """Store each item as polled at its time and matched on its topics."""
    names = sorted({item.source for item in items})
    now = min(item.at for item in items)
    store.sync_config_sources(
        [SourceSpec(name=n, url=f"https://{abs(hash(n))}.example/feed") for n in names], now=now
    )
    ids = {s.name: s.id for s in store.source_health()}
    for n, item in enumerate(items):
        score = tuple(
            TopicScore(
                topic=topic,
                score=item.score,
                matched=True,
                terms=tuple(TermHit(term, "drug", 1) for term in item.terms),
                entities=tuple(EntityHit(name, kind) for name, kind in item.entities),
                reasons=("test",),
                actors=item.actors,
            )
            for topic in item.topics
        )
        link = item.link or f"https://news.example/{n}"
        entry = StoredEntry(
            key=f"k{n}",
            canonical_link=link,
            title_hash=hashlib.sha256(item.title.encode()).hexdigest(),
            item=Item(title=item.title, link=link, summary="", published=item.at, lang=item.lang),
            matches=score,
        )
        success = PollSuccess(now=item.at, next_poll_at=item.at + timedelta(hours=1))
        store.save_poll(ids[item.source], success, [entry], alert=True)
