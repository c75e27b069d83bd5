"""What a search finds: a stored item, where and when it came from, and the topics it matched."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True, slots=True)
class TopicMatch:
    """A topic the item matched when it was stored, with its score then."""

    topic: str
    score: float


@dataclass(frozen=True, slots=True)
class SearchHit:
    """One stored item that contains every term of the query."""

    item_id: int
    title: str
    link: str | None
    source: str
    source_id: int
    published: datetime | None
    fetched_at: datetime
    matches: tuple[TopicMatch, ...] = ()
    """Best first; empty when the item matched no topic."""

    @property
    def matched(self) -> bool:
        return bool(self.matches)

    @property
    def date(self) -> datetime:
        """When the item was published, or stored when its source gave no date."""
        return self.published or self.fetched_at

    @property
    def score(self) -> float | None:
        """The best topic score, or None for an item that matched no topic."""
        return self.matches[0].score if self.matches else None
