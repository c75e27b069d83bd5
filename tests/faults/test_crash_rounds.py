"""kill -9 of `narcowatch run` at random moments while it polls, restarted again and again."""

from __future__ import annotations

import asyncio
import os
import random
from pathlib import Path

import pytest

from tests.scale.cluster import Database, feed_sources, healthy, start_instance, wait_for
from tests.support.cli import tuned
from tests.support.feedserver import FeedServer, feed_server, rss_feed

pytestmark = pytest.mark.slow

ROUNDS = int(os.environ.get("NARCOWATCH_CRASH_ROUNDS", "3"))
FEEDS = 30
SLOW_EVERY = 5
TIMEOUT_S = 2.0
LEASE_MARGIN_S = 2.0  # shortened from 10 s (bot.settings.tuning) so the test need not wait
PARSE_BUDGET_S = 5.0  # polling.parse_budget's default
LEASE_S = TIMEOUT_S * 2 + PARSE_BUDGET_S * 2 + LEASE_MARGIN_S  # bot.jobs.poll_lease_seconds
TIMERS = tuned(poll_lease_margin_s=LEASE_MARGIN_S)
POLLING = {"interval": "1s", "timeout": f"{TIMEOUT_S:g}s", "concurrency": 10, "per_host": 10}
TOPIC = "drug-control-cooperation"


class GrowingFeeds:
    """Feeds that only gain items: plain ones, and matching stories with known guids."""

    def __init__(self, server: FeedServer) -> None:
        self.server = server
        self.plain = dict.fromkeys(range(FEEDS), 3)
        self.stories: dict[int, list[str]] = {i: [] for i in range(FEEDS)}
        self.urls = [self.serve(i) for i in range(FEEDS)]

    def serve(self, i: int) -> str:
        body = rss_feed(self.plain[i], prefix=f"c{i}", summary_words=8)
        stories = "".join(story(guid) for guid in self.stories[i]).encode()
        body = body.replace(b"<language>en</language>", b"<language>en</language>" + stories)
        version = f'"c{i}-{self.plain[i]}-{len(self.stories[i])}"'
        delay = 0.4 if i % SLOW_EVERY == 0 else 0.0
        return self.server.add_feed(f"/crash/{i}.xml", body, etag=version, delay=delay)

    def publish(self, rng: random.Random, round_no: int) -> None:
        """New plain items on a third of the feeds and a matching story on a few."""
        for i in rng.sample(range(FEEDS), FEEDS // 3):
            self.plain[i] += rng.randint(1, 3)
            if rng.random() < 0.3:
                self.stories[i].append(f"r{round_no}-f{i}")
            self.serve(i)

    def expected_items(self) -> dict[str, int]:
        return {f"feed {i}": self.plain[i] + len(self.stories[i]) for i in range(FEEDS)}

    def story_count(self) -> int:
        return sum(len(guids) for guids in self.stories.values())


def story(guid: str) -> str:
    return (
        f"<item><guid>{guid}</guid><title>SCO states launch joint anti-drug operation {guid}"
        f"</title><link>http://example.org/story/{guid}</link><description>China, Russia and "
        "Kazakhstan will share intelligence on cross-border drug trafficking and precursor "
        "chemicals, the Ministry of Public Security said.</description></item>"
    )


async def test_repeated_kill_9_loses_and_duplicates_nothing(
    tmp_path: Path, database_url: str
) -> None:
    """After a clean baseline, each round publishes items (some matching), starts the daemon,
    kills it with SIGKILL at a random moment of polling; a final run then stores every served
    item exactly once and every matching story has exactly one match."""
    rng = random.Random(os.environ.get("NARCOWATCH_CRASH_SEED", "7"))
    db = Database(database_url)
    async with feed_server() as server:
        feeds = GrowingFeeds(server)
        sources = feed_sources(feeds.urls)

        baseline = start_instance(
            tmp_path, "baseline", sources, database_url=database_url, polling=POLLING, timers=TIMERS
        )
        try:
            await wait_for(lambda: db.polled() == FEEDS, deadline_s=60, what="baseline polls")
        finally:
            assert baseline.stop() == 0

        for round_no in range(ROUNDS):
            feeds.publish(rng, round_no)
            seen = len(server.requests)
            daemon = start_instance(
                tmp_path,
                f"round{round_no}",
                sources,
                database_url=database_url,
                polling=POLLING,
                timers=TIMERS,
            )
            try:
                await wait_for(
                    lambda d=daemon, n=seen: (
                        len(server.requests) >= n + 5 or d.process.poll() is not None
                    ),
                    deadline_s=60,
                    what="the daemon to start polling",
                    every_s=0.05,
                )
                assert daemon.process.poll() is None, daemon.stderr.read_text()[-3000:]
                await asyncio.sleep(rng.uniform(0, 1.5))
            finally:
                daemon.kill()

        final = start_instance(
            tmp_path, "final", sources, database_url=database_url, polling=POLLING, timers=TIMERS
        )
        try:
            await wait_for(lambda: healthy(final), deadline_s=60, what="/healthz")
            await wait_for(
                lambda: db.items_per_source() == feeds.expected_items(),
                deadline_s=LEASE_S + 15,
                what="every served item",
            )
            await wait_for(
                lambda: matched_stories(db) == feeds.story_count(),
                deadline_s=10,
                what="a match for every story",
            )
            assert db.duplicate_items() == 0
            assert db.duplicate_matches() == 0
        finally:
            assert final.stop() == 0
            db.close()


def matched_stories(db: Database) -> int:
    """Stories (guids starting with r<round>-) that have a match row for the topic."""
    rows = db.rows(
        'SELECT count(*) FROM item i JOIN "match" m ON m.item_id = i.id '
        "WHERE m.topic = :t AND i.title LIKE 'SCO states launch%'",
        t=TOPIC,
    )
    return int(rows[0][0])
