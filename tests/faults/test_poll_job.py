"""The poll tick when the database fails mid-poll, and how long a claimed source stays leased."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import datetime

import pytest

from bot.core.models import FetchRequest, FetchResult, NewMatch, PollOutcome, SourceState
from bot.jobs import PollJob, poll_lease_seconds
from bot.services.poll import Poller
from bot.services.ports import PollFailure, PollSuccess, StoredEntry
from tests.faults.conftest import Clock
from tests.support.feedserver import rss_feed


class DatabaseDown(Exception):
    """What the store raises while its server is unreachable."""


class UnreachableStore:
    """Leases sources, then loses the database before anything can be written."""

    def __init__(self, sources: Sequence[SourceState]) -> None:
        self.sources = list(sources)

    def claim_due_sources(
        self, *, now: datetime, limit: int, owner: str, lease_seconds: float
    ) -> list[SourceState]:
        claimed, self.sources = self.sources[:limit], self.sources[limit:]
        return claimed

    def filter_new(self, source_id: int, entries: Sequence[StoredEntry]) -> list[StoredEntry]:
        raise DatabaseDown("connection refused")

    def save_poll(
        self,
        source_id: int,
        success: PollSuccess,
        entries: Sequence[StoredEntry],
        *,
        alert: bool,
        on_refused: object = None,
        max_alerts: int | None = None,
    ) -> tuple[int, list[NewMatch]]:
        raise DatabaseDown("connection refused")

    def save_failure(self, source_id: int, failure: PollFailure) -> None:
        raise DatabaseDown("connection refused")


class StaticFetcher:
    """Answers every fetch with the same small feed."""

    async def fetch(self, request: FetchRequest) -> FetchResult:
        return FetchResult(status=200, url=request.url, body=rss_feed(2), content_type="text/xml")


class NoScores:
    def score(self, item: object) -> list[object]:
        return []

    def score_many(
        self, items: list[object], *, explain_unmatched: bool = True
    ) -> list[list[object]]:
        return [[] for _ in items]


async def test_a_poll_that_cannot_even_record_its_failure_is_logged_not_lost_in_a_task(
    clock: Clock, caplog: pytest.LogCaptureFixture
) -> None:
    """With the database gone mid-poll the tick's task ends cleanly with `poll.unrecorded`
    logged, instead of an exception nobody retrieves; the tick keeps going."""
    sources = [SourceState(id=n, name=f"s{n}", url=f"http://127.0.0.1:9/{n}") for n in range(3)]
    store = UnreachableStore(sources)
    poller = Poller(fetcher=StaticFetcher(), store=store, scorer=NoScores(), clock=clock)  # type: ignore[arg-type]
    reported: list[PollOutcome] = []
    job = PollJob(
        poller,
        store,
        owner="t",
        max_in_flight=10,
        lease_seconds=poll_lease_seconds(1),
        clock=clock,
        on_outcome=lambda outcome, _: reported.append(outcome),
    )
    await job.tick()
    tasks = set(job.tasks)
    assert len(tasks) == 3
    await asyncio.wait(tasks, timeout=5)
    assert all(task.done() and task.exception() is None for task in tasks)
    unrecorded = [r for r in caplog.records if r.getMessage() == "poll.unrecorded"]
    assert sorted(r.source for r in unrecorded) == ["s0", "s1", "s2"]  # type: ignore[attr-defined]
    assert reported == []
    await job.tick()  # still ticking
    assert job.last_tick_at == clock.now


def test_lease_covers_a_fetch_and_its_wait_for_a_slot_plus_a_margin() -> None:
    """A lease is two fetch timeouts plus 10 s: 70 s at the default 30 s timeout, 14 s at 2 s,
    so a crashed process's sources are polled again soon after."""
    assert poll_lease_seconds(30) == 70
    assert poll_lease_seconds(2) == 14


class RecordingStore(UnreachableStore):
    """Leases sources from a list and records each saved poll."""

    def __init__(self, sources: Sequence[SourceState]) -> None:
        super().__init__(sources)
        self.saved: list[int] = []
        self.claims: list[int] = []

    def claim_due_sources(
        self, *, now: datetime, limit: int, owner: str, lease_seconds: float
    ) -> list[SourceState]:
        self.claims.append(limit)
        return super().claim_due_sources(
            now=now, limit=limit, owner=owner, lease_seconds=lease_seconds
        )

    def filter_new(self, source_id: int, entries: Sequence[StoredEntry]) -> list[StoredEntry]:
        return []

    def save_poll(
        self,
        source_id: int,
        success: PollSuccess,
        entries: Sequence[StoredEntry],
        *,
        alert: bool,
        on_refused: object = None,
        max_alerts: int | None = None,
    ) -> tuple[int, list[NewMatch]]:
        self.saved.append(source_id)
        return 0, []


async def test_a_backlog_of_due_sources_is_polled_without_waiting_for_ticks(clock: Clock) -> None:
    """One tick with 30 due sources and room for 4: polls finishing free room that is claimed
    again at once, so all 30 are polled before any further tick."""
    sources = [SourceState(id=n, name=f"s{n}", url=f"http://127.0.0.1:9/{n}") for n in range(30)]
    store = RecordingStore(sources)
    poller = Poller(fetcher=StaticFetcher(), store=store, scorer=NoScores(), clock=clock)  # type: ignore[arg-type]
    job = PollJob(
        poller,
        store,
        owner="t",
        max_in_flight=4,
        lease_seconds=poll_lease_seconds(1),
        clock=clock,
        on_outcome=lambda outcome, _: None,
    )
    await job.tick()
    async with asyncio.timeout(10):
        while len(store.saved) < 30 or job.tasks:
            await asyncio.sleep(0.01)
    assert sorted(store.saved) == list(range(30))
    assert all(limit <= 4 for limit in store.claims)
    assert len(store.claims) > 1  # refills, not one tick
