"""The database failing under a polling daemon: SQLite locked by another writer, PostgreSQL
connections cut or the server restarted. Nothing may be lost and the daemon must carry on."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path

import psycopg
import pytest
import pytest_asyncio

from bot.fetch import FetchLimits, HttpFetcher
from bot.services.poll import Poller
from bot.services.ports import Scorer
from bot.storage import SourceSpec, Store, open_store
from tests.conftest import POSTGRES_ADMIN
from tests.faults.conftest import Clock
from tests.scale.cluster import (
    Database,
    feed_sources,
    healthy,
    start_instance,
    wait_for,
)
from tests.support.feedserver import FeedServer, feed_server, rss_feed
from tests.support.pgcluster import PrivateCluster, private_cluster
from tests.support.skips import skip_or_fail_in_ci

LOCK_HELD_S = 3.0


@pytest_asyncio.fixture
async def sqlite_store(sqlite_url: str) -> AsyncIterator[Store]:
    """A migrated Store on a fresh SQLite file."""
    store = open_store(sqlite_url)
    try:
        yield store
    finally:
        store.close()


def hold_write_lock(path: str, seconds: float, locked: threading.Event) -> None:
    """Another process's writer: take SQLite's write lock and keep it for `seconds`."""
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.execute("BEGIN IMMEDIATE")
        locked.set()
        time.sleep(seconds)
        conn.execute("COMMIT")
    finally:
        conn.close()


async def test_sqlite_write_lock_held_elsewhere_makes_the_poll_wait_not_fail(
    feedserver: FeedServer, sqlite_store: Store, sqlite_url: str, matcher: Scorer, clock: Clock
) -> None:
    """While another connection holds the write lock for 3 s, polls wait for it (busy
    timeout) and then store every item; no poll fails."""
    urls = [feedserver.add_feed(f"/busy/{i}.xml", rss_feed(6, prefix=f"b{i}")) for i in range(5)]
    sqlite_store.sync_config_sources(
        [SourceSpec(name=f"feed {i}", url=url) for i, url in enumerate(urls)], now=clock.now
    )
    sources = sqlite_store.claim_due_sources(now=clock.now, limit=10, owner="t", lease_seconds=60)
    locked = threading.Event()
    holder = threading.Thread(
        target=hold_write_lock,
        args=(sqlite_url.removeprefix("sqlite:///"), LOCK_HELD_S, locked),
    )
    holder.start()
    try:
        assert locked.wait(5)
        started = time.monotonic()
        async with HttpFetcher(FetchLimits(timeout_s=2), trust_env=False) as fetcher:
            poller = Poller(fetcher=fetcher, store=sqlite_store, scorer=matcher, clock=clock)
            outcomes = await asyncio.gather(*(poller.poll(source) for source in sources))
        waited = time.monotonic() - started
    finally:
        holder.join(10)
    assert [o.error for o in outcomes if not o.ok] == []
    assert all(o.new_items == 6 for o in outcomes)
    assert waited >= LOCK_HELD_S - 0.5, "the polls did not wait for the lock"
    assert [h.consecutive_failures for h in sqlite_store.source_health()] == [0] * 5


def terminate_connections(application_name: str) -> Callable[[], Awaitable[int]]:
    """A disruption that cuts every server connection of one application, as a crash of the
    PostgreSQL backend or a restart looks to the client, without touching other tests."""

    async def cut() -> int:
        with psycopg.connect(POSTGRES_ADMIN, autocommit=True) as conn:
            cut = conn.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE application_name = %s",
                (application_name,),
            ).fetchall()
        return len(cut)

    return cut


def restart_server(cluster: PrivateCluster) -> Callable[[], Awaitable[int]]:
    """A disruption that restarts the test's own PostgreSQL server."""

    async def restart() -> int:
        await asyncio.to_thread(cluster.restart)
        return 1

    return restart


async def daemon_survives(
    tmp_path: Path, postgres_url: str, disrupt: Callable[[], Awaitable[int]], database_url: str
) -> None:
    """A daemon polling 20 feeds every second; new items are published, the database is
    disrupted three times, more items are published: all are stored once, the daemon runs."""
    db = Database(postgres_url)
    async with feed_server() as server:
        served = dict.fromkeys(range(20), 3)

        def publish(i: int) -> str:
            body = rss_feed(served[i], prefix=f"d{i}", summary_words=8)
            return server.add_feed(f"/db/{i}.xml", body, etag=f'"d{i}-{served[i]}"')

        urls = [publish(i) for i in range(20)]
        polling = {"interval": "1s", "timeout": "2s", "per_host": 10}
        daemon = start_instance(
            tmp_path, "pgfault", feed_sources(urls), database_url=database_url, polling=polling
        )
        try:
            await wait_for(lambda: healthy(daemon), deadline_s=60, what="/healthz")
            await wait_for(lambda: db.polled() == 20, deadline_s=30, what="baseline polls")
            disrupted = 0
            for round_no in range(3):
                for i in range(round_no, 20, 3):
                    served[i] += 2
                    publish(i)
                await asyncio.sleep(0.3)
                disrupted += await disrupt()
            assert disrupted > 0, "no connection of the daemon was cut"
            expected = {f"feed {i}": n for i, n in served.items()}
            await wait_for(
                lambda: db.items_per_source() == expected, deadline_s=60, what="every new item"
            )
            assert db.duplicate_items() == 0
            await wait_for(lambda: healthy(daemon), deadline_s=20, what="/healthz after faults")
        finally:
            code = daemon.stop()
            db.close()
    assert code == 0, daemon.stderr.read_text()[-3000:]


@pytest.mark.slow
@pytest.mark.postgres
async def test_daemon_reconnects_after_its_postgresql_connections_are_cut(
    tmp_path: Path, postgres_url: str
) -> None:
    """Every connection of the daemon is terminated three times mid-run: it reconnects, keeps
    polling and stores every new item exactly once."""
    application = f"nwtest_{uuid.uuid4().hex[:12]}"
    cut = terminate_connections(application)
    await daemon_survives(
        tmp_path, postgres_url, cut, f"{postgres_url}&application_name={application}"
    )


@pytest.fixture
def own_postgres() -> Iterator[PrivateCluster]:
    """A PostgreSQL server of this test's own (restarting the shared one would break the
    PostgreSQL tests running beside it). Skips without the server binaries, unless $CI."""
    try:
        with private_cluster() as cluster:
            yield cluster
    except LookupError as missing:
        skip_or_fail_in_ci(str(missing))


@pytest.mark.slow
@pytest.mark.postgres
async def test_daemon_carries_on_across_a_postgresql_restart(
    tmp_path: Path, own_postgres: PrivateCluster
) -> None:
    """The PostgreSQL server is restarted three times mid-run: the daemon reconnects, keeps
    polling and stores every new item exactly once."""
    url = own_postgres.url
    await daemon_survives(tmp_path, url, restart_server(own_postgres), url)
