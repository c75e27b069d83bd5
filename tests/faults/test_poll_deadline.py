"""A poll never outlives its lease, and the lease covers article time (issue 17, finding 2).

The lease left article reading out (two fetch timeouts and a margin), so a poll still reading
pages was claimed again; nothing bounded a poll as a whole. Now the lease counts every budget,
and a poll still working when its lease is nearly over is stopped and fails.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from bot.core.models import FetchRequest, FetchResult, PollOutcome
from bot.jobs import PollJob, poll_lease_seconds, poll_timing
from bot.services.poll import Poller
from bot.settings import Settings
from bot.storage import SourceSpec, Store
from tests.faults.test_poll_job import NoScores


def utc_now() -> datetime:
    return datetime.now(UTC)


class HangingFetcher:
    """A server that never answers (so the poll's work never ends by itself)."""

    def __init__(self) -> None:
        self.calls = 0

    async def fetch(self, request: FetchRequest) -> FetchResult:
        self.calls += 1
        await asyncio.Event().wait()
        raise AssertionError("unreachable")


def test_the_lease_covers_fetching_parsing_and_article_reading() -> None:
    """With the defaults a lease is two fetch timeouts (60 s), parse and score with their wait
    (2 x 5 s), the article budget and one page's time (30 + 15 s) and a 10 s margin: 125 s;
    without article reading 80 s. The poll's work must end 10 s before its lease does."""
    assert poll_timing(Settings()) == (125.0, 115.0)
    no_articles = Settings.model_validate({"articles": {"enabled": False}})
    assert poll_timing(no_articles) == (80.0, 70.0)
    assert poll_timing(no_articles, margin_s=2) == (72.0, 70.0)
    assert poll_lease_seconds(30, parse_budget_s=5, article_budget_s=45) == 125.0


async def test_a_poll_still_working_at_its_deadline_is_stopped_before_its_lease_ends(
    sqlite_store: Store,
) -> None:
    """A poll whose fetch never ends: while it runs nobody can claim its source; at its
    deadline (1 s after the claim, the lease being 3 s) it is stopped, recorded as failed
    ("overran") and its lease freed, before the lease would have run out."""
    sqlite_store.sync_config_sources(
        [SourceSpec(name="stuck", url="http://127.0.0.1:9/feed")], now=utc_now()
    )
    fetcher = HangingFetcher()
    poller = Poller(fetcher=fetcher, store=sqlite_store, scorer=NoScores(), clock=utc_now)  # type: ignore[arg-type]
    outcomes: list[PollOutcome] = []
    job = PollJob(
        poller,
        sqlite_store,
        owner="a",
        max_in_flight=4,
        lease_seconds=3.0,
        work_seconds=1.0,
        clock=utc_now,
        on_outcome=lambda outcome, _seconds: outcomes.append(outcome),
    )
    claimed_at = utc_now()
    await job.tick()
    assert len(job.tasks) == 1
    assert sqlite_store.claim_due_sources(now=utc_now(), limit=5, owner="b", lease_seconds=3) == []
    await asyncio.wait_for(asyncio.gather(*job.tasks), timeout=10)
    (outcome,) = outcomes
    assert not outcome.ok
    assert outcome.error_kind == "overran"
    assert "poll did not finish within its time limit of 1s" in (outcome.error or "")
    (row,) = sqlite_store.source_health()
    assert row.last_error_kind == "overran"
    assert row.last_error_at is not None
    assert (row.last_error_at - claimed_at).total_seconds() < 3.0
    assert fetcher.calls == 1


async def test_the_load_tells_since_when_every_slot_is_held(sqlite_store: Store) -> None:
    """Three due sources that never answer and room for two: both slots held since the
    claim, none finishing (what /healthz reports as starved after a minute); once a poll
    ends, the slots are no longer all held."""
    sqlite_store.sync_config_sources(
        [SourceSpec(name=f"stuck {n}", url=f"http://127.0.0.1:9/{n}") for n in range(3)],
        now=utc_now(),
    )
    poller = Poller(fetcher=HangingFetcher(), store=sqlite_store, scorer=NoScores(), clock=utc_now)  # type: ignore[arg-type]
    job = PollJob(
        poller,
        sqlite_store,
        owner="a",
        max_in_flight=2,
        lease_seconds=60.0,
        clock=utc_now,
        on_outcome=lambda _outcome, _seconds: None,
    )
    before = utc_now()
    await job.tick()
    load = job.load()
    assert (load.in_flight, load.cap) == (2, 2)
    assert load.at_cap_since is not None
    assert load.at_cap_since >= before
    first = next(iter(job.tasks))
    first.cancel()
    await asyncio.gather(first, return_exceptions=True)
    assert job.load().at_cap_since is None
    await job.drain(deadline_s=0.1)
