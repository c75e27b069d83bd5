"""The narrow interfaces the use cases need from adapters (fetching, storage, scoring)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from bot.core.models import FetchRequest, FetchResult, Item, NewMatch, SourceState, TopicScore


class Fetcher(Protocol):
    """Fetches one source with a conditional GET; raises a FetchError subclass on failure."""

    async def fetch(self, request: FetchRequest) -> FetchResult: ...


class Scorer(Protocol):
    """Scores an item against every loaded topic."""

    def score(self, item: Item) -> list[TopicScore]: ...

    def score_many(
        self, items: Sequence[Item], *, explain_unmatched: bool = True
    ) -> list[list[TopicScore]]:
        """Each item's scores, as `score` gives them (read together where that is cheaper);
        without `explain_unmatched`, unmatched scores may leave out the costlier reasons."""
        ...


@dataclass(frozen=True, slots=True)
class StoredEntry:
    """A new item ready to store: its identity, the item, and the topics it matched."""

    key: str
    canonical_link: str | None
    title_hash: str
    item: Item
    matches: tuple[TopicScore, ...] = ()
    fingerprint: int | None = None
    """SimHash of the text (bot.core.fingerprint), set for items that matched a topic."""


RefusedItem = Callable[[StoredEntry, str], None]
"""Told of each item the database refused: the entry, and what was wrong (no SQL, no values)."""


@dataclass(frozen=True, slots=True)
class PollSuccess:
    """What a successful (200 or 304) poll changes on the source row."""

    now: datetime
    next_poll_at: datetime
    etag: str | None = None
    last_modified: str | None = None
    new_url: str | None = None
    warning: str | None = None
    body_hash: str | None = None
    """Set when a body was parsed: the next byte-identical body is skipped."""


@dataclass(frozen=True, slots=True)
class PollFailure:
    """What a failed poll records on the source row."""

    now: datetime
    next_poll_at: datetime
    error: str
    error_kind: str
    disable: bool = False


class PollStore(Protocol):
    """Storage as the poller needs it; every method is one transaction."""

    def claim_due_sources(
        self, *, now: datetime, limit: int, owner: str, lease_seconds: float
    ) -> list[SourceState]:
        """Lease up to `limit` enabled sources whose next poll is due, so no one else polls them."""
        ...

    def filter_new(self, source_id: int, entries: Sequence[StoredEntry]) -> list[StoredEntry]:
        """The entries not stored yet: unknown key, and no stored item with the same link+title."""
        ...

    def save_poll(
        self,
        source_id: int,
        success: PollSuccess,
        entries: Sequence[StoredEntry],
        *,
        alert: bool,
        on_refused: RefusedItem | None = None,
        max_alerts: int | None = None,
    ) -> tuple[int, list[NewMatch]]:
        """Store new items (+ their matches and outbox rows when `alert`), update the source and
        release its lease, atomically. Returns how many items were new and the matches made.
        An item the database refuses is skipped and reported to `on_refused`; each chat gets
        at most `max_alerts` alerts of the poll (None: all)."""
        ...

    def save_unchanged(self, polls: Sequence[tuple[int, PollSuccess]]) -> None:
        """Record successful polls that brought nothing new (304, or an identical body), each
        as `save_poll` with no entries would, in one transaction."""
        ...

    def save_failure(self, source_id: int, failure: PollFailure) -> None:
        """Record a failed poll (error, failures, next try, maybe disable); release the lease."""
        ...
