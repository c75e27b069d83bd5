"""Scale-out benchmark: the same polling load on PostgreSQL with 1 and with 3 `narcowatch run`.

Run: python benchmarks/bench_scale.py [--feeds 600] [--interval 2] [--window 30] [--runs 1,3]

Each run gets a fresh schema `bench_<hex>` in database `test` at 127.0.0.1:5432 (user postgres),
dropped afterwards, and a loopback feed server whose feeds gain new items all through the
window. The feed server and its publisher run on an event loop of their own in a thread, so the
measuring loop's blocking database queries never stall the feeds the daemons poll. It starts N
daemons, waits for the first (baseline) cycle, then measures for `--window` seconds: polls/s
achieved (good polls only, 200 or 304, from each daemon's /metrics; failed and timed-out polls
are counted apart) against the polls/s asked for (feeds / interval), how late sources fell
behind their schedule, and duplicates (items or matches stored twice, which must be 0). Takes
about 2 minutes with the defaults.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.scale.cluster import (
    Database,
    Instance,
    feed_sources,
    healthy,
    start_instance,
    wait_for,
)
from tests.support.feedserver import FeedServer, feed_server, rss_feed

ADMIN = "postgresql://postgres@127.0.0.1:5432/test"


def create_schema() -> tuple[str, str]:
    """A new schema and the database URL that works in it."""
    schema = f"bench_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(ADMIN, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    url = (
        "postgresql+psycopg://postgres@127.0.0.1:5432/test"
        f"?options=-csearch_path%3D{schema}%20-csynchronous_commit%3Doff"
    )
    return schema, url


def drop_schema(schema: str) -> None:
    with psycopg.connect(ADMIN, autocommit=True) as conn:
        conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


class Publisher:
    """Feeds that gain two items on a tenth of them every second."""

    def __init__(self, server: FeedServer, feeds: int) -> None:
        self.server = server
        self.served = dict.fromkeys(range(feeds), 5)
        self.urls = [self.serve(i) for i in range(feeds)]
        self.turn = 0

    def serve(self, i: int) -> str:
        body = rss_feed(self.served[i], prefix=f"b{i}", summary_words=40)
        return self.server.add_feed(f"/bench/{i}.xml", body, etag=f'"b{i}-{self.served[i]}"')

    def tick(self) -> None:
        for i in range(self.turn % 10, len(self.served), 10):
            self.served[i] += 2
            self.serve(i)
        self.turn += 1

    def expected(self) -> dict[str, int]:
        return {f"feed {i}": n for i, n in self.served.items()}


class FeedLoad:
    """The feed server and the Publisher ticking every second, on their own loop in a thread."""

    def __init__(self, feeds: int) -> None:
        self.feeds = feeds
        self.urls: list[str] = []
        self.ready = threading.Event()
        self.loop: asyncio.AbstractEventLoop | None = None
        self.stop: asyncio.Event | None = None
        self.publisher: Publisher | None = None
        self.ticking: asyncio.Task[None] | None = None
        self.thread = threading.Thread(target=lambda: asyncio.run(self._serve()), daemon=True)

    async def _serve(self) -> None:
        self.loop = asyncio.get_running_loop()
        self.stop = asyncio.Event()
        async with feed_server() as server:
            server.record_requests = False
            self.publisher = Publisher(server, self.feeds)
            self.urls = self.publisher.urls
            self.ready.set()
            await self.stop.wait()
            if self.ticking is not None:
                self.ticking.cancel()

    async def _tick_every_second(self) -> None:
        assert self.publisher is not None
        started = time.monotonic()
        while True:
            self.publisher.tick()
            await asyncio.sleep(1.0 - (time.monotonic() - started) % 1.0)

    def _call(self, function: Callable[[], None]) -> None:
        """Run `function` on the feed server's loop (its objects belong to that thread)."""
        assert self.loop is not None
        self.loop.call_soon_threadsafe(function)

    def start_publishing(self) -> None:
        def start() -> None:
            self.ticking = asyncio.create_task(self._tick_every_second())

        self._call(start)

    def stop_publishing(self) -> dict[str, int]:
        """Stop adding items; what every feed serves from now on."""
        assert self.publisher is not None
        done = threading.Event()

        def halt() -> None:
            if self.ticking is not None:
                self.ticking.cancel()
            done.set()

        self._call(halt)
        done.wait(10)
        return self.publisher.expected()

    def items(self) -> int:
        assert self.publisher is not None
        return sum(self.publisher.served.values())


@contextmanager
def feed_load(feeds: int) -> Iterator[FeedLoad]:
    load = FeedLoad(feeds)
    load.thread.start()
    if not load.ready.wait(60):
        raise RuntimeError("the feed server did not start")
    try:
        yield load
    finally:
        assert load.stop is not None
        load._call(load.stop.set)
        load.thread.join(10)


GOOD = ("ok", "not_modified")


async def poll_counts(cluster: list[Instance]) -> tuple[float, float]:
    """(good polls, failed polls) so far across the cluster, from each daemon's /metrics."""
    good = failed = 0.0
    for instance in cluster:
        counts = await instance.polls()
        good += sum(counts.get(result, 0.0) for result in GOOD)
        failed += sum(value for result, value in counts.items() if result not in GOOD)
    return good, failed


async def one_run(instances: int, args: argparse.Namespace, workdir: Path) -> dict[str, float]:
    schema, url = create_schema()
    db = Database(url)
    polling = {
        "interval": f"{args.interval:g}s",
        "timeout": "5s",
        "concurrency": args.concurrency,
        "per_host": min(20, args.concurrency),  # the settings cap; every feed is on 127.0.0.1
    }
    try:
        with feed_load(args.feeds) as feeds:
            sources = feed_sources(feeds.urls)
            cluster = [
                start_instance(
                    workdir / f"run{instances}", f"n{k}", sources, database_url=url, polling=polling
                )
                for k in range(instances)
            ]
            try:
                for instance in cluster:
                    await wait_for(lambda i=instance: healthy(i), deadline_s=60, what="/healthz")
                await wait_for(
                    lambda: db.polled() == args.feeds, deadline_s=120, what="the first cycle"
                )
                good_before, failed_before = await poll_counts(cluster)
                started = time.monotonic()
                feeds.start_publishing()
                lateness = []
                while (elapsed := time.monotonic() - started) < args.window:
                    lateness.append(await asyncio.to_thread(behind_schedule, db))
                    await asyncio.sleep(max(0.0, 1.0 - (time.monotonic() - started - elapsed)))
                good_after, failed_after = await poll_counts(cluster)
                window = time.monotonic() - started
                expected = feeds.stop_publishing()
                await wait_for(
                    lambda: db.items_per_source() == expected,
                    deadline_s=args.interval * 5 + 15,
                    what="every published item",
                )
                result = {
                    "polls_per_s": (good_after - good_before) / window,
                    "failed_per_s": (failed_after - failed_before) / window,
                    "asked_per_s": args.feeds / args.interval,
                    "behind_s": max(lateness),
                    "duplicate_items": db.duplicate_items(),
                    "duplicate_matches": db.duplicate_matches(),
                    "items": feeds.items(),
                }
            finally:
                for instance in cluster:
                    instance.stop()
    finally:
        db.close()
        drop_schema(schema)
    return result


def behind_schedule(db: Database) -> float:
    """How long the most overdue source has been due, in seconds (0 when none is overdue)."""
    rows = db.rows(
        "SELECT coalesce(extract(epoch FROM now() - min(next_poll_at)), 0) FROM source "
        "WHERE enabled"
    )
    return max(0.0, float(rows[0][0]))


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--feeds", type=int, default=600)
    parser.add_argument("--interval", type=float, default=2.0)
    parser.add_argument("--window", type=float, default=30.0)
    parser.add_argument("--concurrency", type=int, default=40)
    parser.add_argument("--runs", default="1,3", help="instance counts to compare")
    args = parser.parse_args()
    print(
        f"{args.feeds} loopback feeds every {args.interval:g} s "
        f"(asks {args.feeds / args.interval:.0f} polls/s), concurrency {args.concurrency}, "
        f"{args.window:g} s window, PostgreSQL"
    )
    with tempfile.TemporaryDirectory(prefix="nw-scale-") as tmp:
        for count in (int(n) for n in args.runs.split(",")):
            r = await one_run(count, args, Path(tmp))
            print(
                f"{count} instance(s): {r['polls_per_s']:6.1f} good polls/s of "
                f"{r['asked_per_s']:.0f} asked (+{r['failed_per_s']:.1f}/s failed)   "
                f"most overdue source {r['behind_s']:5.1f} s   "
                f"duplicates: {r['duplicate_items']:.0f} items, {r['duplicate_matches']:.0f} "
                f"matches   ({r['items']:.0f} items stored)",
                flush=True,
            )


if __name__ == "__main__":
    asyncio.run(main())
