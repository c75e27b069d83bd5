"""Parsing and scoring off the event loop, each source within its budget (issue 9).

Hostile bodies are polled by the real poller through the worker-process runner while a ticker
coroutine measures how late the event loop lets it run: time is the property under test here.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator

import pytest
import pytest_asyncio

from bot.errors import ParseBudgetExceeded
from bot.fetch import FetchLimits, HttpFetcher
from bot.services.parse_jobs import Budget, ParseJob, ThreadRunner
from bot.services.parse_runner import ProcessRunner
from bot.services.poll import Poller
from bot.services.ports import Scorer
from bot.storage import SourceSpec, Store, open_store
from tests.faults.conftest import Clock
from tests.support import hostile
from tests.support.feedserver import FeedServer
from tests.support.lag import LagWatch

URL = "http://example.org/feed"
MAX_BLOCK_S = 0.1
MAX_LATE_S = 1.0  # by the clock: generous, as the shared machine's own load counts too


@pytest_asyncio.fixture
async def runner() -> AsyncIterator[ProcessRunner]:
    """A pool of two worker processes, closed afterwards."""
    async with ProcessRunner(2) as pool:
        yield pool


@pytest.fixture
def sqlite_store(sqlite_url: str) -> Iterator[Store]:
    """A migrated Store on a fresh SQLite file (the property here is the event loop)."""
    store = open_store(sqlite_url)
    try:
        yield store
    finally:
        store.close()


async def test_worker_parses_and_scores_as_a_thread_does(
    runner: ProcessRunner, matcher: Scorer
) -> None:
    """The worker pool returns the same entries and matches as parsing in a thread."""
    body, content_type = hostile.normal_feed(3)
    body = body.replace(b"city council approves new budget", b"SCO anti-drug cooperation")
    job = ParseJob(body, URL, content_type)
    in_thread = ThreadRunner()
    parsed = await runner.parse(job, Budget(30))
    assert parsed == await in_thread.parse(job, Budget(30))
    scored = await runner.score(parsed.entries, matcher, None, Budget(30))
    assert scored == await in_thread.score(parsed.entries, matcher, None, Budget(30))
    assert len(scored) == 3


async def test_overrunning_job_is_abandoned_and_its_worker_replaced(runner: ProcessRunner) -> None:
    """A job that overruns its budget fails with the budget named; the worker is replaced and
    the next job is parsed normally."""
    slow, content_type = hostile.normal_feed(1_000)  # a second or more of parsing
    with pytest.raises(ParseBudgetExceeded, match=r"^parse budget of 0\.05s exceeded$"):
        await runner.parse(ParseJob(slow, URL, content_type), Budget(0.05))
    assert runner.replaced == 1
    body, content_type = hostile.normal_feed(2)
    parsed = await runner.parse(ParseJob(body, URL, content_type), Budget(30))
    assert len(parsed.entries) == 2


async def test_a_worker_that_died_idle_is_not_handed_the_next_job(runner: ProcessRunner) -> None:
    """A worker killed while idle (the out-of-memory killer, an operator) is left out when
    the next job comes: the job is parsed by a new worker instead of failing on the dead one."""
    body, content_type = hostile.normal_feed(2)
    await runner.parse(ParseJob(body, URL, content_type), Budget(30))
    (idle,) = runner._idle
    idle.process.kill()
    await idle.process.wait()
    parsed = await runner.parse(ParseJob(body, URL, content_type), Budget(30))
    assert len(parsed.entries) == 2
    assert runner.replaced == 0
    assert [w.process.pid for w in runner._idle] != [idle.process.pid]


HOSTILE = {
    "regex bait": hostile.regex_bait(40),
    "nested divs": hostile.nested_divs(40_000),
    "utf-16 entity bomb": hostile.entity_bomb("utf-16"),
    "big cyrillic item": hostile.cyrillic_item(1_400_000),
    "open tags": hostile.malformed_tags(40_000),
}


async def test_event_loop_never_blocks_while_hostile_feeds_are_polled(
    feedserver: FeedServer,
    sqlite_store: Store,
    matcher: Scorer,
    clock: Clock,
    runner: ProcessRunner,
) -> None:
    """Guards findings 1, 3, 4 and 6 together: while hostile feeds are parsed and scored (the
    1.4 MB Russian item scored on the loop stalled it 2.8 s), the event loop never blocks more
    than 100 ms (its thread's CPU time between two ticks of a 10 ms ticker; by the clock, under
    1 s on this shared machine), every source gets a result, and the normal items are stored."""
    normal, rss = hostile.normal_feed(5)
    specs = [
        SourceSpec(name="normal", url=feedserver.add_feed("/normal.xml", normal, content_type=rss))
    ]
    for n, name in enumerate(HOSTILE):
        # A first, ordinary version: its poll is the baseline, so the hostile one gets scored.
        first, _ = hostile.normal_feed(1, prefix=f"first{n}")
        specs.append(SourceSpec(name=name, url=feedserver.add_feed(f"/h{n}", first)))
    sqlite_store.sync_config_sources(specs, now=clock.now)
    limits = FetchLimits(timeout_s=5.0, max_bytes=5 * 1024 * 1024)
    async with HttpFetcher(limits, trust_env=False) as fetcher:
        poller = Poller(
            fetcher=fetcher, store=sqlite_store, scorer=matcher, clock=clock, runner=runner
        )
        claim = sqlite_store.claim_due_sources
        baseline = claim(now=clock.now, limit=10, owner="t", lease_seconds=60)
        await asyncio.gather(*(poller.poll(source) for source in baseline))
        for n, (body, content_type) in enumerate(HOSTILE.values()):
            feedserver.add_feed(f"/h{n}", body, content_type=content_type)
        clock.advance(7200)
        due = claim(now=clock.now, limit=10, owner="t", lease_seconds=60)
        assert len(due) == len(HOSTILE) + 1

        watch = LagWatch()
        ticker = asyncio.create_task(watch.run())
        try:
            outcomes = await asyncio.gather(*(poller.poll(source) for source in due))
        finally:
            ticker.cancel()
    assert watch.ticks > 10
    assert watch.worst_busy_s < MAX_BLOCK_S, f"loop blocked {watch.worst_busy_s * 1000:.0f} ms"
    assert watch.worst_wall_s < MAX_LATE_S, f"loop late by {watch.worst_wall_s * 1000:.0f} ms"
    by_name = {outcome.source_name: outcome for outcome in outcomes}
    assert by_name["big cyrillic item"].ok
    assert [m.score.topic for m in by_name["big cyrillic item"].matches] == [
        "drug-control-cooperation"
    ]
    assert not by_name["regex bait"].ok
    assert "not a feed" in (by_name["regex bait"].error or "")
    assert by_name["utf-16 entity bomb"].ok
    rows = {row.name: row for row in sqlite_store.source_health()}
    assert rows["normal"].last_error is None
