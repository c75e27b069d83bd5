"""Article text on demand: when a feed's headline and sentence leave the verdict open, the item's
article page is fetched once, its main text extracted, and the item scored again on it."""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace

from bot.core.article import with_article_reason
from bot.core.models import FetchRequest, Item, TopicScore
from bot.errors import FetchError
from bot.matching import TopicSpec
from bot.parse.article_text import extract_article
from bot.services.ports import Fetcher, Scorer, StoredEntry
from bot.settings.model import ArticleSettings

log = logging.getLogger("narcowatch.articles")

FULL_TEXT_CHARS = 1500
"""A feed giving this much text already carries the article: its page is not fetched."""
CACHE_SIZE = 4096
EXTRACT_SLOTS = 2
"""Extractions at once: trafilatura is CPU-bound, more threads only add memory."""


ScoreEntry = Callable[[StoredEntry], StoredEntry]
"""Scores an entry and keeps its matches (bot.services.poll.with_matches, bound)."""


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
    """An unmatched item with a link and little text that nearly matched a topic, or whose
    evidence for a topic is all in its headline (the body, if any, says nothing)."""
    if not item.link or len(item.summary) + len(item.content) >= FULL_TEXT_CHARS:
        return False
    body_terms = {score.topic: bool(score.terms) for score in body_scores}
    for score in scores:
        if score.matched or score.topic not in thresholds:
            continue
        if score.score >= thresholds[score.topic] - margin:
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
        if entry.matches or not item.link:
            continue
        if len(item.summary) + len(item.content) >= FULL_TEXT_CHARS:
            continue
        scores = scorer.score(item)
        body = scorer.score(replace(item, title="")) if any(s.terms for s in scores) else []
        if wants_article(item, scores, body, thresholds, margin=margin):
            chosen.append(index)
    return chosen


@dataclass
class ArticleReader:
    """Reads article pages for a poll's unmatched items; never loses an item: a failed page
    leaves the item as the feed gave it."""

    fetcher: Fetcher
    settings: ArticleSettings
    topics: Callable[[], Sequence[TopicSpec]]
    """The topics in force (they change on reload), for their thresholds."""
    on_result: Callable[[str], None] = lambda _result: None
    """Counts each article: `ok`, `failed` or `cached` (for /metrics)."""
    _cache: OrderedDict[str, str] = field(default_factory=OrderedDict)
    _extracting: asyncio.Semaphore = field(default_factory=lambda: asyncio.Semaphore(EXTRACT_SLOTS))

    async def enrich(
        self,
        entries: list[StoredEntry],
        scorer: Scorer,
        topics: tuple[str, ...] | None,
        score_entry: ScoreEntry,
    ) -> list[StoredEntry]:
        """The entries, with those that match on their article's text scored on it.

        `topics` are the source's topics (None: all); `score_entry` scores an entry as the poll
        does, keeping its matches.
        """
        options = self.settings
        if not options.enabled or options.max_per_poll == 0 or not entries:
            return entries
        thresholds = {t.id: t.threshold for t in self.topics() if topics is None or t.id in topics}
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
        read = await asyncio.gather(*(self._read(entries[i], score_entry) for i in chosen))
        result = list(entries)
        for index, entry in zip(chosen, read, strict=True):
            result[index] = entry
        return result

    async def _read(self, entry: StoredEntry, score_entry: ScoreEntry) -> StoredEntry:
        url = entry.item.link or ""
        text = await self._text(url)
        if not text:
            return entry
        item = replace(entry.item, content=text)
        rescored = await asyncio.to_thread(score_entry, replace(entry, item=item))
        if not rescored.matches:
            return entry  # the article did not change the verdict: keep what the feed gave
        marked = tuple(with_article_reason(s, url=url, chars=len(text)) for s in rescored.matches)
        log.info("article.matched", extra={"url": url, "topics": [s.topic for s in marked]})
        return replace(rescored, matches=marked)

    async def _text(self, url: str) -> str:
        """The article's text: from the cache, else fetched and extracted; '' on failure."""
        if url in self._cache:
            self._cache.move_to_end(url)
            self.on_result("cached")
            return self._cache[url]
        try:
            async with asyncio.timeout(self.settings.timeout):
                request = article_request(url, allow_private=self.settings.allow_private)
                result = await self.fetcher.fetch(request)
                text = await self._extract(result.body, url=result.url, kind=result.content_type)
        except (FetchError, TimeoutError) as exc:
            error = str(exc) or f"no answer within {self.settings.timeout:g} s"
            log.warning("article.failed", extra={"url": url, "error": error})
            text = None
        except Exception:  # a bug in extraction must not cost the item
            log.exception("article.crashed", extra={"url": url})
            text = None
        self._remember(url, text or "")
        self.on_result("ok" if text else "failed")
        return text or ""

    async def _extract(self, body: bytes, *, url: str, kind: str | None) -> str:
        """Extraction in a worker thread; a page that takes too long is given up on, and its
        thread keeps its slot until it ends, so no more than EXTRACT_SLOTS ever run."""
        await self._extracting.acquire()
        work = asyncio.ensure_future(
            asyncio.to_thread(extract_article, body, url=url, content_type=kind)
        )
        work.add_done_callback(lambda _done: self._extracting.release())
        return await asyncio.shield(work)

    def _remember(self, url: str, text: str) -> None:
        self._cache[url] = text
        if len(self._cache) > CACHE_SIZE:
            self._cache.popitem(last=False)
