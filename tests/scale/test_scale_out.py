"""Three `narcowatch run` processes share 150 loopback feeds through one PostgreSQL database."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from pathlib import Path

import pytest

from tests.scale.cluster import Database, feed_sources, healthy, start_instance, wait_for
from tests.support.cli import tuned
from tests.support.feedserver import FeedServer, feed_server, rss_feed

pytestmark = [pytest.mark.slow, pytest.mark.postgres]

FEEDS = 150  # 50 polls a second between the three, 15 of them slow at any time
INSTANCES = 3
INTERVAL_S = 3.0
TIMEOUT_S = 2.0
LEASE_MARGIN_S = 3.0  # shortened from 10 s (bot.settings.tuning) so the test need not wait
PARSE_BUDGET_S = 5.0  # polling.parse_budget's default
LEASE_S = TIMEOUT_S * 2 + PARSE_BUDGET_S * 2 + LEASE_MARGIN_S  # bot.jobs.poll_lease_seconds
TIMERS = tuned(poll_lease_margin_s=LEASE_MARGIN_S)
WINDOW_S = 12.0
SLOW_EVERY = 10  # every 10th feed answers after a delay, so polls are in flight at any moment
SLOW_DELAY_S = 1.2
POLLING = {
    "interval": f"{INTERVAL_S:g}s",
    "timeout": f"{TIMEOUT_S:g}s",
    "concurrency": 40,
    "per_host": 20,  # every feed is on 127.0.0.1: the per-host cap would be the bottleneck
}


class Feeds:
    """The loopback feeds and how many items each currently serves."""

    def __init__(self, server: FeedServer) -> None:
        self.server = server
        self.served = dict.fromkeys(range(FEEDS), 0)
        self.urls = [self.publish(i, 4) for i in range(FEEDS)]

    def path(self, i: int) -> str:
        return f"/feeds/{i}.xml"

    def publish(self, i: int, count: int) -> str:
        """Serve `count` items on feed i (the old ones stay: feeds only grow here)."""
        self.served[i] = count
        return self.server.add_feed(
            self.path(i),
            rss_feed(count, title=f"Feed {i}", prefix=f"f{i}", summary_words=12),
            etag=f'"f{i}-v{count}"',
            delay=SLOW_DELAY_S if i % SLOW_EVERY == 0 else 0.0,
        )

    def add_items(self, feeds: range | list[int], more: int) -> None:
        for i in feeds:
            self.publish(i, self.served[i] + more)

    def expected(self) -> dict[str, int]:
        return {f"feed {i}": n for i, n in self.served.items()}


async def test_three_instances_share_the_polling_and_survive_one_kill(
    tmp_path: Path, postgres_url: str
) -> None:
    """Each source is polled about once per interval across 3 instances (not 3 times), every
    instance takes part, no item is stored twice; after kill -9 of one instance its leased
    sources are polled by the others once the leases expire, and no new item is lost."""
    db = Database(postgres_url)
    async with feed_server() as server:
        feeds = Feeds(server)
        sources = feed_sources(feeds.urls)
        cluster = [
            start_instance(
                tmp_path,
                f"n{k}",
                sources,
                database_url=postgres_url,
                polling=POLLING,
                timers=TIMERS,
            )
            for k in range(INSTANCES)
        ]
        try:
            for instance in cluster:
                await wait_for(lambda i=instance: healthy(i), deadline_s=60, what="/healthz")
            await wait_for(lambda: db.polled() == FEEDS, deadline_s=30, what="baseline polls")

            # The measuring window: each feed's requests, with new items on a tenth of the feeds.
            server.reset()
            before = [await instance.polls() for instance in cluster]
            started = time.monotonic()
            await asyncio.sleep(WINDOW_S / 3)
            feeds.add_items(range(5, FEEDS, 10), 2)
            await asyncio.sleep(WINDOW_S - (time.monotonic() - started))
            window = time.monotonic() - started
            per_feed = Counter(r.path for r in server.requests)
            after = [await instance.polls() for instance in cluster]
            polls = [sum(a.values()) - sum(b.values()) for a, b in zip(after, before, strict=True)]
            assert_polled_once_per_interval(per_feed, window)
            assert_everyone_worked(polls)
            await wait_for(
                lambda: db.items_per_source() == feeds.expected(),
                deadline_s=INTERVAL_S * 3,
                what="the new items",
            )
            assert db.duplicate_items() == 0

            # kill -9 one instance while it holds leases on slow feeds.
            victim, survivors = cluster[0], cluster[1:]
            owner = victim.owner()
            await wait_for(
                lambda: bool(leased_by(db, owner)), deadline_s=10, what="a lease to be held"
            )
            victim.kill()
            killed_at = time.monotonic()
            orphaned = leased_by(db, owner)
            assert orphaned, "the victim held no lease when killed"
            feeds.add_items(range(FEEDS), 1)  # new items everywhere, orphaned sources included
            await wait_for(
                lambda: db.items_per_source() == feeds.expected(),
                deadline_s=LEASE_S + INTERVAL_S * 4,
                what="every new item after the kill",
            )
            recovered_in = time.monotonic() - killed_at  # the wait above is the check
            assert not leased_by(db, owner)
            assert db.duplicate_items() == 0
            assert db.duplicate_matches() == 0
            for instance in survivors:
                assert instance.process.poll() is None, f"{instance.name} died"
            print(
                f"\nscale-out: {sum(per_feed.values())} requests in {window:.1f} s for {FEEDS} "
                f"feeds every {INTERVAL_S:g} s; polls per instance "
                f"{[round(p) for p in polls]}; {len(orphaned)} orphaned leases, "
                f"all new items stored {recovered_in:.1f} s after kill -9"
            )
        finally:
            codes = [instance.stop() for instance in cluster]
            db.close()
    assert codes[1:] == [0] * (INSTANCES - 1)


def leased_by(db: Database, owner: str | None) -> list[int]:
    """Ids of sources whose lease `owner` holds."""
    if owner is None:
        return []
    return [row[0] for row in db.rows("SELECT id FROM source WHERE lease_owner = :o", o=owner)]


def assert_polled_once_per_interval(per_feed: Counter[str], window: float) -> None:
    """Every feed was fetched about window/interval times, which 3 instances polling the same
    source each would triple."""
    fast = [per_feed[f"/feeds/{i}.xml"] for i in range(FEEDS) if i % SLOW_EVERY]
    slow = [per_feed[f"/feeds/{i}.xml"] for i in range(FEEDS) if not i % SLOW_EVERY]
    # One poll per interval +-10% jitter, plus up to a 1 s tick before a due source is claimed.
    most = window / (INTERVAL_S * 0.9) + 1
    fewest = window / (INTERVAL_S * 1.1 + 1 + SLOW_DELAY_S) - 1
    assert max(fast + slow) <= most, sorted(fast + slow)[-10:]
    assert min(fast + slow) >= fewest, sorted(fast + slow)[:10]
    mean = sum(fast) / len(fast)
    assert window / (INTERVAL_S * 1.1 + 1) <= mean <= window / (INTERVAL_S * 0.9), mean


def assert_everyone_worked(polls: list[float]) -> None:
    """Each instance did a fair part of the window's polls (an even split would be a third;
    the jittered ticks keep one process from claiming nearly everything)."""
    assert all(done >= sum(polls) / 10 for done in polls), polls
