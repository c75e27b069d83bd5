"""Article text on demand: when a feed's headline and sentence leave the verdict open, the item's
article page is fetched once, its main text extracted, and the item scored again on it."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Protocol

from bot.core.article import with_article_reason
from bot.core.models import FetchRequest, Item, TopicScore
from bot.errors import FetchError, ParseBudgetExceeded, ParseError, WorkersBusy
from bot.matching import TopicSpec
from bot.services.article_cache import TextCache
from bot.services.parse_jobs import Budget, ScoreRunner, ThreadRunner
from bot.services.ports import Fetcher, Scorer, StoredEntry
from bot.settings.model import ArticleSettings

log = logging.getLogger("narcowatch.articles")

FULL_TEXT_CHARS = 1500
"""A feed giving this much text already carries the article: its page is not fetched."""
TERSE_CHARS = 400
"""Feed text shorter than this is a headline's sentence: the story is behind the link."""
UNSURE = 0.3
"""A text model this inclined towards relevant wants the whole story before deciding."""
MAX_TITLE_CHARS = 1000
"""No headline is longer: an item with a longer title is not worth an article fetch."""


class ArticleRunner(ScoreRunner, Protocol):
    """Runs scoring and extraction away from the event loop, within a time budget (the
    daemon's worker processes, bot.services.parse_runner; threads in tests and tools)."""

    async def extract(
        self, body: bytes, url: str, content_type: str | None, budget: Budget
    ) -> str: ...


def article_request(url: str, *, allow_private: bool) -> FetchRequest:
    """An article link comes from feed content, so the fetcher refuses private, loopback and
    link-local addresses, at connect time and on every redirect, unless `allow_private`
    (`articles.allow_private`)."""
    return FetchRequest(url, allow_private=allow_private)


def wants_article(
    item: Item,
    scores: Sequence[TopicScore],
    body_scores: Sequence[TopicScore],
    thresholds: dict[str, float],
    *,
    margin: float,
) -> bool:
    """Whether an unmatched item with a link and little text is worth its article page: it
    nearly matched a topic; or its feed text is terse (a headline and a sentence, under
    TERSE_CHARS) and says something of the topic (a term or an entity), since a lead sentence
    alone rarely names both the drugs and the partners; or the topic's text model leans
    towards relevant; or its evidence for a topic is all in its headline."""
    if not item.link or len(item.summary) + len(item.content) >= FULL_TEXT_CHARS:
        return False
    terse = len(item.summary) + len(item.content) < TERSE_CHARS
    body_terms = {score.topic: bool(score.terms) for score in body_scores}
    for score in scores:
        if score.matched or score.topic not in thresholds:
            continue
        if score.score >= thresholds[score.topic] - margin:
            return True
        said = any(hit.group != "exclusion" for hit in score.terms) or bool(score.entities)
        if terse and said:
            return True
        if score.model is not None and score.model.probability >= UNSURE:
            return True
        if score.terms and not body_terms.get(score.topic, False):
            return True
    return False


def candidates(
    entries: Sequence[StoredEntry],
    scorer: Scorer,
    thresholds: dict[str, float],
    *,
    margin: float,
    limit: int,
) -> list[int]:
    """Indexes of the unmatched entries whose article is worth reading, at most `limit`."""
    chosen: list[int] = []
    for index, entry in enumerate(entries):
        if len(chosen) >= limit:
            break
        item = entry.item
        if entry.matches or not item.link or len(item.title) > MAX_TITLE_CHARS:
            continue
        if len(item.summary) + len(item.content) >= FULL_TEXT_CHARS:
            continue
        # Only the numbers decide: explaining an item that did not match would be wasted.
        (scores,) = scorer.score_many([item], explain_unmatched=False)
        body: list[TopicScore] = []
        if any(s.terms for s in scores):
            (body,) = scorer.score_many([replace(item, title="")], explain_unmatched=False)
        if wants_article(item, scores, body, thresholds, margin=margin):
            chosen.append(index)
    return chosen


@dataclass
class ArticleReader:
    """Reads article pages for a poll's unmatched items; never loses an item: a failed page
    leaves the item as the feed gave it.

    What one poll may cost is bounded three ways (issue 17): at most `articles.max_per_poll`
    pages, read one after another (so a source has one page at a time in the workers and
    sources take turns there); `articles.timeout` per page for fetching it and waiting for a
    worker, and again for extracting it; and `articles.poll_budget` for all of them, within
    the poll's own deadline. A page that overruns ends the source's reading for that poll.
    """

    fetcher: Fetcher
    settings: ArticleSettings
    topics: Callable[[], Sequence[TopicSpec]]
    """The topics in force (they change on reload), for their thresholds."""
    on_result: Callable[[str], None] = lambda _result: None
    """Counts each article: `ok`, `failed`, `cached` or `skipped` (for /metrics)."""
    runner: ArticleRunner = field(default_factory=ThreadRunner)
    """Extracts article text and scores it again, each within its time budget."""
    _cache: TextCache | None = None
    _stopping: bool = False

    def stop(self) -> None:
        """Read no further pages (the daemon is stopping: polls in flight save what they
        have instead of reading on until their budget)."""
        self._stopping = True

    @property
    def cache(self) -> TextCache:
        """Texts already read (failures too), within `articles.cache_size`."""
        if self._cache is None:
            self._cache = TextCache(self.settings.cache_size)
        self._cache.max_bytes = self.settings.cache_size  # a reload may change it
        return self._cache

    async def enrich(
        self,
        entries: list[StoredEntry],
        scorer: Scorer,
        topics: tuple[str, ...] | None,
        budget: Budget,
        *,
        deadline: float | None = None,
    ) -> list[StoredEntry]:
        """The entries, with those that match on their article's text scored on it.

        `topics` are the source's topics (None: all). Scoring again is part of the source's
        parse `budget`; an entry whose new score does not fit in it stays as the feed gave it.
        No page starts after `articles.poll_budget`, nor later than one `articles.timeout`
        before `deadline` (event-loop time); the pages not read are counted as skipped.
        """
        options = self.settings
        if not options.enabled or options.max_per_poll == 0 or not entries:
            return entries
        thresholds = {t.id: t.threshold for t in self.topics() if topics is None or t.id in topics}
        # Cheap: only short items are scored here (little text, a headline-sized title).
        chosen = await asyncio.to_thread(
            candidates,
            entries,
            scorer,
            thresholds,
            margin=options.margin,
            limit=options.max_per_poll,
        )
        if not chosen:
            return entries
        loop = asyncio.get_running_loop()
        end = loop.time() + options.poll_budget
        if deadline is not None:  # room for the last page's extraction before the deadline
            end = min(end, deadline - options.timeout)
        result = list(entries)
        for done, index in enumerate(chosen):
            left = end - loop.time()
            if left <= 0 or self._stopping:
                self._skip(
                    len(chosen) - done, "stopping" if self._stopping else "poll budget spent"
                )
                break
            url = entries[index].item.link or ""
            text, overran = await self._text(url, min(options.timeout, left))
            if text:
                result[index] = await self._rescore(entries[index], text, scorer, topics, budget)
            if overran and done + 1 < len(chosen):
                self._skip(len(chosen) - done - 1, "a page of this poll overran")
                break
        return result

    def _skip(self, count: int, why: str) -> None:
        log.info("article.skipped", extra={"pages": count, "reason": why})
        for _ in range(count):
            self.on_result("skipped")

    async def _rescore(
        self,
        entry: StoredEntry,
        text: str,
        scorer: Scorer,
        topics: tuple[str, ...] | None,
        budget: Budget,
    ) -> StoredEntry:
        url = entry.item.link or ""
        with_text = replace(entry, item=replace(entry.item, content=text))
        try:
            (rescored,) = await self.runner.score([with_text], scorer, topics, budget)
        except ParseError as exc:
            log.warning("article.not_scored", extra={"url": url, "error": str(exc)})
            return entry
        if not rescored.matches:
            return entry  # the article did not change the verdict: keep what the feed gave
        marked = tuple(with_article_reason(s, url=url, chars=len(text)) for s in rescored.matches)
        log.info("article.matched", extra={"url": url, "topics": [s.topic for s in marked]})
        return replace(rescored, matches=marked)

    async def _text(self, url: str, limit: float) -> tuple[str, bool]:
        """The article's text ('' on failure) from the cache, else fetched and extracted
        within `limit` seconds; and whether the page ran out of time."""
        cached = self.cache.get(url)
        if cached is not None:
            self.on_result("cached")
            return cached, False
        loop = asyncio.get_running_loop()
        started = loop.time()
        try:
            async with asyncio.timeout(limit):
                request = article_request(url, allow_private=self.settings.allow_private)
                result = await self.fetcher.fetch(request)
            # Waiting for a worker gets what is left of the page's time; extracting, once
            # started, `articles.timeout` (a worker that overruns it is replaced).
            wait_left = max(0.0, limit - (loop.time() - started))
            budget = Budget(self.settings.timeout, wait_s=wait_left)
            text = await self.runner.extract(result.body, result.url, result.content_type, budget)
        except WorkersBusy:
            # Never started: other sources' pages (or feeds) held the workers all along.
            self._skip(1, "no worker came free in time")
            return "", False
        except (FetchError, ParseError, TimeoutError) as exc:
            if isinstance(exc, TimeoutError) and limit < self.settings.timeout:
                # Cut short by the poll's budget, not slow by its own measure: not a failure
                # of the page, and not remembered as one.
                self._skip(1, "poll budget spent")
                return "", True
            error = str(exc) or f"no answer within {limit:g} s"
            log.warning("article.failed", extra={"url": url, "error": error})
            overran = isinstance(exc, (TimeoutError, ParseBudgetExceeded))
            self.cache.put(url, "")
            self.on_result("failed")
            return "", overran
        self.cache.put(url, text)
        self.on_result("ok" if text else "failed")
        return text, False
