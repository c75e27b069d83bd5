"""Re-scoring stored items with the current topics: which now match, which no longer do."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Protocol

from bot.core.models import Item, TopicScore


class Scorer(Protocol):
    """Anything that scores an item against every topic (the Matcher)."""

    def score(self, item: Item) -> list[TopicScore]: ...


@dataclass(frozen=True, slots=True)
class StoredVerdict:
    """A stored item and the topics it matched when it was stored."""

    key: str
    item: Item
    matched_topics: frozenset[str]


@dataclass(frozen=True, slots=True)
class Change:
    """An item whose verdict for a topic differs now, with the new score and its reasons."""

    key: str
    title: str
    score: TopicScore


@dataclass(slots=True)
class BacktestResult:
    """Items that match now but did not, and items that matched but no longer do."""

    newly_matching: list[Change] = field(default_factory=list)
    no_longer_matching: list[Change] = field(default_factory=list)
    scored: int = 0


def backtest(
    stored: Iterable[StoredVerdict], scorer: Scorer, *, topic: str | None = None
) -> BacktestResult:
    """Compare stored match flags with what the scorer says now (for one topic or all)."""
    result = BacktestResult()
    for entry in stored:
        result.scored += 1
        for score in scorer.score(entry.item):
            if topic is not None and score.topic != topic:
                continue
            was = score.topic in entry.matched_topics
            if score.matched and not was:
                result.newly_matching.append(Change(entry.key, entry.item.title, score))
            elif was and not score.matched:
                result.no_longer_matching.append(Change(entry.key, entry.item.title, score))
    return result
