"""`narcowatch poll --once` end to end: the real CLI, loopback feeds, a real database."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from bot.storage import normalise_url
from tests.support.cli import cli_env, run_cli, write_config
from tests.support.feedserver import FeedServer, feed_server, rss_feed

pytestmark = pytest.mark.slow

HEALTHY, SERVER_ERRORS, GARBAGE = 20, 5, 5
ITEMS_PER_FEED = 12


def counts(database_url: str) -> dict[str, object]:
    engine = create_engine(normalise_url(database_url))
    try:
        with engine.connect() as conn:
            items = conn.execute(
                text(
                    "SELECT s.name, count(i.id) FROM source s LEFT JOIN item i "
                    "ON i.source_id = s.id GROUP BY s.name"
                )
            ).all()
            failing = conn.execute(
                text(
                    "SELECT name, last_error, consecutive_failures FROM source "
                    "WHERE last_error IS NOT NULL"
                )
            ).all()
            duplicates = conn.execute(
                text(
                    "SELECT count(*) FROM (SELECT source_id, key FROM item "
                    "GROUP BY source_id, key HAVING count(*) > 1) d"
                )
            ).scalar_one()
    finally:
        engine.dispose()
    return {"items": dict(items), "failing": failing, "duplicates": duplicates}


def thirty_feeds(server: FeedServer) -> list[dict[str, str]]:
    sources = []
    for i in range(HEALTHY):
        url = server.add_feed(
            f"/ok/{i}.xml", rss_feed(ITEMS_PER_FEED, prefix=f"s{i}"), etag=f'"ok-{i}"'
        )
        sources.append({"name": f"healthy {i}", "url": url})
    for i in range(SERVER_ERRORS):
        sources.append({"name": f"broken {i}", "url": server.url("/status/500")})
    for i in range(GARBAGE):
        sources.append({"name": f"garbage {i}", "url": server.url(f"/garbage?n={i}")})
    return sources


async def test_poll_once_stores_healthy_feeds_once_and_records_errors(
    tmp_path: Path, database_url: str
) -> None:
    """30 feeds, 10 broken: exit 0, every healthy item stored once, an error per broken feed,
    and a second run sends conditional requests that all answer 304 and store nothing."""
    async with feed_server() as server:
        config = write_config(tmp_path, thirty_feeds(server), database_url=database_url)
        env = cli_env()
        first = await asyncio.to_thread(run_cli, "poll", "--once", "--config", str(config), env=env)
        assert first.returncode == 0, first.stderr
        assert (
            f"sources: 30  ok: {HEALTHY}  failed: {SERVER_ERRORS + GARBAGE}  "
            f"new items: {HEALTHY * ITEMS_PER_FEED}  matches: 0"
        ) in first.stdout

        state = counts(database_url)
        assert state["duplicates"] == 0
        items = state["items"]
        assert isinstance(items, dict)
        assert {name: n for name, n in items.items() if name.startswith("healthy")} == {
            f"healthy {i}": ITEMS_PER_FEED for i in range(HEALTHY)
        }
        failing = {name: (error, failures) for name, error, failures in state["failing"]}
        assert sorted(failing) == sorted(
            [f"broken {i}" for i in range(SERVER_ERRORS)] + [f"garbage {i}" for i in range(GARBAGE)]
        )
        assert all(failures == 1 for _, failures in failing.values())
        assert "500" in failing["broken 0"][0]

        server.reset()
        second = await asyncio.to_thread(
            run_cli, "poll", "--once", "--config", str(config), env=env
        )
        assert second.returncode == 0, second.stderr
        assert "new items: 0" in second.stdout
        healthy_requests = [r for r in server.requests if r.path.startswith("/ok/")]
        assert len(healthy_requests) == HEALTHY
        assert all(r.headers.get("if-none-match", "").startswith('"ok-') for r in healthy_requests)
        assert counts(database_url)["items"] == items


async def test_first_poll_is_a_baseline_and_later_items_match(tmp_path: Path) -> None:
    """The first poll records items silently; a matching item published later is a match."""
    database_url = f"sqlite:///{tmp_path / 'nw.db'}"
    async with feed_server() as server:
        url = server.add_feed("/news.xml", rss_feed(3, prefix="old"), etag='"v1"')
        config = write_config(tmp_path, [{"name": "news", "url": url}], database_url=database_url)
        first = await asyncio.to_thread(run_cli, "poll", "--once", "--config", str(config))
        assert first.returncode == 0, first.stderr
        assert "new items: 3  matches: 0" in first.stdout

        matching = (
            b'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>'
            b"<item><guid>m1</guid><title>China and Myanmar agree joint anti-drug operations"
            b"</title><link>http://example.org/m1</link><description>The Ministry of Public "
            b"Security and Myanmar police will share intelligence on drug trafficking in the "
            b"Golden Triangle under a new memorandum with UNODC support.</description></item>"
            b"<item><guid>m2</guid><title>Local bakery wins award</title>"
            b"<link>http://example.org/m2</link><description>Bread.</description></item>"
            b"</channel></rss>"
        )
        server.add_feed("/news.xml", matching, etag='"v2"')
        second = await asyncio.to_thread(run_cli, "poll", "--once", "--config", str(config))
        assert second.returncode == 0, second.stderr
        assert "new items: 2  matches: 1" in second.stdout
        assert "China and Myanmar agree joint anti-drug operations" in second.stdout
