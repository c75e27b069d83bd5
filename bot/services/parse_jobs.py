"""Parsing and scoring a fetched body as self-contained jobs, with the time budget they share.

The jobs take and return plain picklable values, so a runner may run them in a worker process
(`bot.services.parse_runner`) that it can abandon when a hostile body blows the budget, or in
a thread (`ThreadRunner`) where no budget can be enforced.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from bot.core.fingerprint import fingerprint
from bot.core.identity import canonical_url, item_keys, link_index_value, title_hash
from bot.core.models import HtmlSelectors, Item, TopicScore
from bot.errors import ParseBudgetExceeded, ParseError
from bot.services.ports import Scorer, StoredEntry


@dataclass(frozen=True, slots=True)
class ParseJob:
    """A fetched body and what its source says about it."""

    body: bytes
    url: str
    content_type: str | None
    source_type: str = "feed"
    selectors: HtmlSelectors | None = None
    max_items: int | None = None
    """Keep only the newest this many items (`polling.max_items`); None keeps them all."""


@dataclass(frozen=True, slots=True)
class ParsedEntries:
    """A parsed body's items, identified (SPEC 4 Identity), with the feed's title and warning."""

    entries: tuple[StoredEntry, ...]
    title: str | None = None
    warning: str | None = None
    beyond_cap: int = 0
    """Items left out by `ParseJob.max_items` (the oldest; not stored this poll)."""


class Budget:
    """The time a source's jobs may take, spent across them.

    A job runs for at most what is left of `seconds`, and is abandoned when it overruns.
    Waiting for a free worker is bounded too (issue 17: it was outside every budget): with
    `wait_s` unset it spends the budget itself (an article page: its time limit covers
    fetching, waiting and extracting); with `wait_s` set it has an allowance of its own (a
    feed, whose poll as a whole has a deadline: a feed queued behind other jobs is not cut
    short for their sake; `math.inf` leaves the wait to that deadline). A job that waits
    longer than its allowance fails before it starts (WorkersBusy).
    """

    __slots__ = ("seconds", "spent", "wait_s")

    def __init__(self, seconds: float, *, wait_s: float | None = None) -> None:
        self.seconds = seconds
        self.spent = 0.0
        self.wait_s = wait_s

    @property
    def remaining(self) -> float:
        return max(0.0, self.seconds - self.spent)

    def exceeded(self) -> ParseBudgetExceeded:
        return ParseBudgetExceeded(self.seconds)

    @property
    def wait_allowance(self) -> float | None:
        """Seconds a job may wait for a worker now (None: no limit)."""
        allowance = self.remaining if self.wait_s is None else self.wait_s
        return None if math.isinf(allowance) else allowance


class ScoreRunner(Protocol):
    """Scores entries away from the event loop, within a time budget."""

    async def score(
        self,
        entries: Sequence[StoredEntry],
        scorer: Scorer,
        topics: tuple[str, ...] | None,
        budget: Budget,
    ) -> list[StoredEntry]: ...


class ParseRunner(ScoreRunner, Protocol):
    """Runs parse and score jobs away from the event loop."""

    async def parse(self, job: ParseJob, budget: Budget) -> ParsedEntries: ...


def parse_entries(job: ParseJob) -> ParsedEntries:
    """Parse a body, keeping its newest `job.max_items` items, and identify them; ParseError
    when it holds none."""
    # Imported here: the parsers load in the process that runs the jobs (the parse worker),
    # and a daemon or a command that only hands jobs over starts without them.
    from bot.parse import parse_body

    parsed = parse_body(
        job.body,
        url=job.url,
        content_type=job.content_type,
        source_type=job.source_type,
        selectors=job.selectors,
        max_items=job.max_items,
    )
    return ParsedEntries(
        tuple(identify(parsed.items)), parsed.title, parsed.warning, parsed.beyond_cap
    )


def score_entries(
    entries: Sequence[StoredEntry], scorer: Scorer, topics: tuple[str, ...] | None
) -> list[StoredEntry]:
    """Each entry with the topics it matched (see `with_matches`); the items are scored
    together (the topics' text models read them in one go)."""
    # Only what matched is kept: unmatched items are spared the text model's phrases.
    scored = scorer.score_many([entry.item for entry in entries], explain_unmatched=False)
    return [
        with_scores(entry, scores, topics) for entry, scores in zip(entries, scored, strict=True)
    ]


class ThreadRunner:
    """Runs jobs in threads, two at a time. A thread cannot be stopped, so the budget is not
    enforced: for tests and tools; the daemon uses `bot.services.parse_runner.ProcessRunner`."""

    def __init__(self, slots: int = 2) -> None:
        # CPU-bound under the GIL: more at once only adds memory (each large feed holds MBs).
        self._slots = asyncio.Semaphore(slots)

    async def parse(self, job: ParseJob, budget: Budget) -> ParsedEntries:
        async with self._slots:
            return await asyncio.to_thread(parse_entries, job)

    async def score(
        self,
        entries: Sequence[StoredEntry],
        scorer: Scorer,
        topics: tuple[str, ...] | None,
        budget: Budget,
    ) -> list[StoredEntry]:
        if not entries:
            return []
        async with self._slots:
            return await asyncio.to_thread(score_entries, entries, scorer, topics)

    async def extract(self, body: bytes, url: str, content_type: str | None, budget: Budget) -> str:
        from bot.parse.article_text import extract_article

        async with self._slots:
            try:
                return await asyncio.to_thread(
                    extract_article, body, url=url, content_type=content_type
                )
            except Exception as exc:  # a page that breaks the extractor fails this article only
                raise ParseError(f"article extraction failed: {type(exc).__name__}") from exc


def identify(items: Sequence[Item]) -> list[StoredEntry]:
    """Entries keyed per SPEC 4 Identity, each key once (the first occurrence wins)."""
    seen: set[str] = set()
    entries: list[StoredEntry] = []
    for item, key in zip(items, item_keys(items), strict=True):
        if key in seen:
            continue
        seen.add(key)
        link = link_index_value(canonical_url(item.link)) if item.link else None
        entries.append(StoredEntry(key, link, title_hash(item.title, item.published), item))
    return entries


def with_matches(entry: StoredEntry, scorer: Scorer, topics: tuple[str, ...] | None) -> StoredEntry:
    """The entry with the topic scores that matched, limited to the source's topics, and for a
    match the fingerprint that finds the same story from other sources (only matched items
    are ever compared, so the others are spared the cost)."""
    return with_scores(entry, scorer.score(entry.item), topics)


def with_scores(
    entry: StoredEntry, scores: Sequence[TopicScore], topics: tuple[str, ...] | None
) -> StoredEntry:
    """The entry with those of its `scores` that matched (see `with_matches`)."""
    matched: tuple[TopicScore, ...] = tuple(
        score for score in scores if score.matched and (topics is None or score.topic in topics)
    )
    if not matched:
        return entry
    item = entry.item
    simhash = fingerprint(item.title, item.summary, item.content).simhash
    return StoredEntry(
        entry.key, entry.canonical_link, entry.title_hash, item, matched, fingerprint=simhash
    )
