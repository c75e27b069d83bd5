"""Polling one source: fetch, parse, identify, keep the new items, score them, store, report."""

from __future__ import annotations

import asyncio
import logging
import math
import random
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime

from bot.core.models import FetchRequest, PollOutcome, SourceState
from bot.core.schedule import next_poll_after_failure, next_poll_after_success
from bot.errors import (
    FetchError,
    GoneFetchError,
    NarcowatchError,
    ParseError,
    PollOverran,
    RateLimitedFetchError,
)
from bot.services.article_text import ArticleReader
from bot.services.freshness import body_digest, split_by_age
from bot.services.group_commit import GroupCommit
from bot.services.parse_jobs import (
    Budget,
    ParsedEntries,
    ParseJob,
    ParseRunner,
    ThreadRunner,
    identify,
    with_matches,
)
from bot.services.ports import (
    Fetcher,
    PollFailure,
    PollStore,
    PollSuccess,
    Scorer,
    StoredEntry,
)
from bot.settings import Settings

__all__ = ["Poller", "describe_failure_kind", "identify", "with_matches"]

log = logging.getLogger("narcowatch.poll")


@dataclass(frozen=True, slots=True)
class _Fetched:
    """A poll's work before its save: the source's new state and the new items, scored."""

    success: PollSuccess
    parsed: ParsedEntries
    fresh: list[StoredEntry]
    baseline: bool


@dataclass(slots=True)
class Poller:
    """Everything a poll needs, wired once by the daemon."""

    fetcher: Fetcher
    store: PollStore
    scorer: Scorer
    clock: Callable[[], datetime]
    rng: random.Random = field(default_factory=random.Random)
    runner: ParseRunner = field(default_factory=ThreadRunner)
    """Parses and scores off the event loop; the daemon's runs each source within its budget."""
    parse_budget_s: float = 5.0
    """`polling.parse_budget`: parse and score time one source may use per poll."""
    articles: ArticleReader | None = None
    """Reads the article page of items the feed's text leaves open (articles.* settings)."""
    allow_private_sources: bool = False
    """`telegram.allow_private_sources`: sources added from Telegram may reach private
    addresses too (config sources always may)."""
    max_item_age_s: float | None = 14 * 86400.0
    """Items dated longer ago are stored but never alert (`polling.max_item_age`)."""
    max_items: int | None = 300
    """Items taken from one poll, newest first (`polling.max_items`); None: all."""
    max_alerts_per_poll: int | None = None
    """Alerts one poll sends each chat (`telegram.max_alerts_per_poll`); None: all."""
    _unchanged: GroupCommit[tuple[int, PollSuccess]] | None = None
    """Unchanged polls share transactions (made on first use, inside the running loop)."""

    def apply(self, settings: Settings) -> None:
        """Take the limits a config sets (at start, and again on every applied reload: one
        place, so that no setting is read at start and forgotten by a reload)."""
        polling = settings.polling
        self.max_item_age_s = polling.max_item_age
        self.parse_budget_s = polling.parse_budget
        self.max_items = polling.max_items
        self.max_alerts_per_poll = settings.telegram.max_alerts_per_poll
        self.allow_private_sources = settings.telegram.allow_private_sources
        if self.articles is not None:
            self.articles.settings = settings.articles

    async def parse_fetched(self, job: ParseJob) -> ParsedEntries:
        """Parse a fetched body within one source's budget (also for /addsource)."""
        return await self.runner.parse(job, self._budget())

    def _budget(self) -> Budget:
        """A source's parse and score time. Waiting for a worker does not spend it: the poll's
        deadline bounds that (a feed is not failed for the jobs queued before it)."""
        return Budget(self.parse_budget_s, wait_s=math.inf)

    async def poll(self, source: SourceState, *, deadline: float | None = None) -> PollOutcome:
        """Poll one source; every failure ends up on the source row, never raised.

        `deadline` (event-loop time) bounds the work before the save: fetching, parsing,
        scoring and article pages. A poll that reaches it stores nothing and fails as
        overran, so that it never outlives its lease (issue 17).
        """
        try:
            return await self._poll(source, deadline)
        except FetchError as exc:
            return await self._fail(source, exc)
        except ParseError as exc:
            return await self._fail(source, exc)
        except Exception as exc:  # a bug must not take the daemon down, nor lose the lease
            if not isinstance(exc, PollOverran):
                log.exception("poll.crashed", extra={"source": source.name})
            return await self._fail(source, exc)

    async def _poll(self, source: SourceState, deadline: float | None) -> PollOutcome:
        limit = asyncio.timeout_at(deadline)
        started = asyncio.get_running_loop().time()
        try:
            async with limit:
                fetched = await self._fetch(source, deadline)
        except TimeoutError:
            if not limit.expired():
                raise
            raise PollOverran(round((deadline or started) - started, 1)) from None
        if isinstance(fetched, PollSuccess):
            if self._unchanged is None:
                self._unchanged = GroupCommit(self.store.save_unchanged)
            await self._unchanged.submit((source.id, fetched))
            return PollOutcome(source.id, source.name, ok=True, not_modified=True)
        return await self._save(source, fetched)

    async def _fetch(self, source: SourceState, deadline: float | None) -> PollSuccess | _Fetched:
        """Fetch, parse, keep the new items, score them (the poll's work before its save);
        just the source's new state when the body is unchanged."""
        request = FetchRequest(
            source.url,
            etag=source.etag,
            last_modified=source.last_modified,
            allow_private=source.trusted or self.allow_private_sources,
            headers=source.headers,
        )
        result = await self.fetcher.fetch(request)
        now = self.clock()
        next_at = next_poll_after_success(now, source.interval_s, self.rng)
        success = PollSuccess(
            now=now,
            next_poll_at=next_at,
            etag=result.etag or source.etag,
            last_modified=result.last_modified or source.last_modified,
            new_url=result.permanent_url,
        )
        digest = None if result.not_modified else body_digest(result.body)
        if result.not_modified or digest == source.body_hash:
            return success
        budget = self._budget()
        job = ParseJob(
            result.body,
            result.url,
            result.content_type,
            source.type,
            source.selectors,
            max_items=self.max_items,
        )
        parsed = await self.runner.parse(job, budget)
        if parsed.beyond_cap:
            log.warning(
                "poll.items_capped",
                extra={
                    "source": source.name,
                    "items": len(parsed.entries) + parsed.beyond_cap,
                    "kept": len(parsed.entries),
                },
            )
        entries = list(parsed.entries)
        fresh = await asyncio.to_thread(self.store.filter_new, source.id, entries)
        baseline = source.last_success_at is None
        if not baseline:
            # Items dated beyond max_item_age are stored, never scored: they cannot alert.
            old, recent = split_by_age(fresh, now=now, max_age_s=self.max_item_age_s)
            young = await self.runner.score(recent, self.scorer, source.topics, budget)
            if self.articles is not None:
                young = await self.articles.enrich(
                    young, self.scorer, source.topics, budget, deadline=deadline
                )
            fresh = old + young
        return _Fetched(
            replace(success, warning=parsed.warning, body_hash=digest),
            parsed,
            fresh,
            baseline,
        )

    async def _save(self, source: SourceState, fetched: _Fetched) -> PollOutcome:
        refused: dict[str, str] = {}  # by key: a retried transaction reports an item again
        new_count, matches = await asyncio.to_thread(
            self.store.save_poll,
            source.id,
            fetched.success,
            fetched.fresh,
            alert=not fetched.baseline,
            on_refused=lambda entry, why: refused.__setitem__(entry.key, why),
            max_alerts=self.max_alerts_per_poll,
        )
        log_refused(source, refused)
        parsed = fetched.parsed
        return PollOutcome(
            source.id,
            source.name,
            ok=True,
            items_seen=len(parsed.entries) + parsed.beyond_cap,
            new_items=new_count,
            matches=tuple(matches),
            warning=parsed.warning,
            baseline=fetched.baseline,
            refused_items=len(refused),
            beyond_cap=parsed.beyond_cap,
        )

    async def _fail(self, source: SourceState, exc: Exception) -> PollOutcome:
        now = self.clock()
        failures = source.consecutive_failures + 1
        retry_after = exc.retry_after if isinstance(exc, RateLimitedFetchError) else None
        kind = describe_failure_kind(exc)
        failure = PollFailure(
            now=now,
            next_poll_at=next_poll_after_failure(
                now, source.interval_s, failures, self.rng, retry_after_s=retry_after
            ),
            error=failure_text(exc),
            error_kind=kind,
            disable=isinstance(exc, GoneFetchError),
        )
        await asyncio.to_thread(self.store.save_failure, source.id, failure)
        log.warning(
            "poll.failed",
            extra={
                "source": source.name,
                "error": failure.error,
                "kind": kind,
                "failures": failures,
            },
        )
        return PollOutcome(source.id, source.name, ok=False, error=failure.error, error_kind=kind)


def failure_text(exc: Exception) -> str:
    """The error stored on the source row and shown to operators: our own errors say what
    happened; anything else (a bug, a database error quoting SQL and feed text) only its
    class, with the details in the log."""
    if isinstance(exc, NarcowatchError):
        return str(exc) or type(exc).__name__
    return f"internal error ({type(exc).__name__}); details are in the log"


def log_refused(source: SourceState, refused: dict[str, str]) -> None:
    """Log each item the database refused (it was skipped, the rest of the poll stored)."""
    for key, why in refused.items():
        log.warning(
            "poll.item_refused", extra={"source": source.name, "key": key[:200], "error": why}
        )


def describe_failure_kind(exc: Exception) -> str:
    """A short label for metrics and the summary: transient, rate_limited, gone, parse, ..."""
    if isinstance(exc, FetchError):
        return exc.kind
    if isinstance(exc, ParseError):
        return "parse"
    if isinstance(exc, PollOverran):
        return "overran"
    return "internal"
