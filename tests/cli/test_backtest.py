"""`narcowatch backtest`: stored items re-scored with the current topic files."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from tests.support.cli import run_cli, write_config
from tests.support.feedserver import feed_server

pytestmark = pytest.mark.slow

FEED = (
    b'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>'
    b"<item><guid>m1</guid><title>China and Laos hold joint anti-drug patrol on the Mekong"
    b"</title><link>http://example.org/m1</link><description>Police of China, Laos, Myanmar "
    b"and Thailand share intelligence against transnational drug trafficking.</description>"
    b"</item><item><guid>m2</guid><title>Town fair opens</title>"
    b"<link>http://example.org/m2</link><description>Rides.</description></item>"
    b"</channel></rss>"
)


async def test_backtest_shows_stored_items_that_would_now_match(tmp_path: Path) -> None:
    """Items recorded by a baseline poll (never scored) that match now are listed."""
    async with feed_server() as server:
        url = server.add_feed("/feed.xml", FEED, etag='"v1"')
        config = write_config(tmp_path, [{"name": "news", "url": url}])
        polled = await asyncio.to_thread(run_cli, "poll", "--once", "--config", str(config))
        assert polled.returncode == 0, polled.stderr
    result = await asyncio.to_thread(run_cli, "backtest", "--since", "1d", "--config", str(config))
    assert result.returncode == 0, result.stderr
    assert "re-scored 2 items" in result.stdout
    assert "1 would now match, 0 would no longer match" in result.stdout
    assert "joint anti-drug patrol on the Mekong" in result.stdout
    assert "Town fair" not in result.stdout


def test_backtest_rejects_a_bad_window(tmp_path: Path) -> None:
    """A --since that is not a duration exits 2 naming the option."""
    config = write_config(tmp_path, [])
    result = run_cli("backtest", "--since", "lately", "--config", str(config))
    assert result.returncode == 2
    assert "--since" in result.stderr
