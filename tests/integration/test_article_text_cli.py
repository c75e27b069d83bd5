"""`narcowatch poll --once` reads the article page of a headline-only item (daemon wiring)."""

from __future__ import annotations

import asyncio
import json
import sqlite3
from pathlib import Path

import pytest

from tests.services.test_article_text import TOPIC, article_page, feed
from tests.support.cli import run_cli, write_config
from tests.support.feedserver import feed_server

pytestmark = pytest.mark.slow


async def test_poll_once_scores_a_headline_item_on_its_article_page(tmp_path: Path) -> None:
    """An item whose headline alone falls short matches on its article page, fetched once; the
    stored match says so in its reasons."""
    topic = tmp_path / "zoo.yaml"
    topic.write_text(TOPIC, encoding="utf-8")
    async with feed_server() as server:
        link = server.add_feed(
            "/a.html",
            article_page("Zebra home", "The keeper fed the zebra at dawn."),
            content_type="text/html",
        )
        url = server.add_feed("/feed.xml", feed([]), etag='"0"')
        config = write_config(
            tmp_path,
            [{"name": "park", "url": url}],
            extra={"topics": [str(topic)], "articles": {"allow_private": True}},
        )
        first = await asyncio.to_thread(run_cli, "poll", "--once", "--config", str(config))
        assert first.returncode == 0, first.stderr
        server.add_feed("/feed.xml", feed([("z1", "Zebra home", link)]), etag='"1"')
        second = await asyncio.to_thread(run_cli, "poll", "--once", "--config", str(config))
        assert second.returncode == 0, second.stderr
        assert len(server.requests_to("/a.html")) == 1
    with sqlite3.connect(tmp_path / "narcowatch.db") as db:
        (topic_id, reasons), *others = db.execute("SELECT topic, reasons FROM match").fetchall()
    assert others == []
    assert topic_id == "zoo"
    assert any("article text used" in reason for reason in json.loads(reasons))
