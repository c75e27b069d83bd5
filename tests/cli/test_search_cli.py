"""`narcowatch search` through the real command line, on items a real poll stored."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

import pytest

from bot.core.models import Item, TopicScore
from bot.services.ports import PollSuccess, StoredEntry
from bot.storage import SourceSpec, open_store
from tests.support.cli import run_cli, write_config
from tests.support.feedserver import feed_server

# Up to eight CLI starts per test: a loaded 2-core machine takes more than the default 120 s.
pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]
TOPIC = "drug-control-cooperation"

# (guid, title, summary): the first one is stored by the first (baseline) poll, the rest by
# the second, which scores them; the "weather" and "ru-other" items match no topic.
ITEMS = [
    ("weather", "Weather today: sunny", "No news about drugs & <b>cooperation</b>."),
    (
        "en",
        "China and Myanmar step up anti-drug cooperation",
        "The two countries agreed on joint operations against narcotics trafficking.",
    ),
    (
        "ru",
        "Россия и Китай укрепляют сотрудничество в борьбе с наркотрафиком",
        "Стороны договорились о совместных операциях против незаконного оборота наркотиков.",
    ),
    ("zh", "中国与缅甸加强禁毒合作", "双方同意开展联合行动，共同打击跨境毒品犯罪。"),
    ("ru-other", "Объём наркотрафика через границу вырос", "Так сообщила местная газета."),
]


def rss(items: list[tuple[str, str, str]]) -> bytes:
    start = datetime.now(UTC) - timedelta(days=1)
    entries = "".join(
        f"<item><title>{escape(title)}</title><link>https://news.example/{guid}</link>"
        f'<guid isPermaLink="false">{guid}</guid>'
        f"<pubDate>{format_datetime(start + timedelta(minutes=n), usegmt=True)}</pubDate>"
        f"<description>{escape(summary)}</description></item>"
        for n, (guid, title, summary) in enumerate(items)
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Wire</title>'
        f"<link>https://news.example/</link><description>d</description>{entries}</channel></rss>"
    ).encode()


async def polled_config(tmp_path: Path, database_url: str) -> Path:
    """A config whose database holds ITEMS, stored by two real `poll --once` runs."""
    async with feed_server() as server:
        url = server.add_feed("/feed.xml", rss(ITEMS[:1]), etag='"1"')
        config = write_config(tmp_path, [{"name": "Wire", "url": url}], database_url=database_url)
        for n in (1, len(ITEMS)):
            server.add_feed("/feed.xml", rss(ITEMS[:n]), etag=f'"{n}"')
            done = await asyncio.to_thread(run_cli, "poll", "--once", "--config", str(config))
            assert done.returncode == 0, done.stderr
    return config


def search_json(config: Path, *args: str) -> list[dict[str, Any]]:
    result = run_cli("search", *args, "--json", "--config", str(config))
    assert result.returncode == 0, result.stderr
    return [json.loads(line) for line in result.stdout.splitlines()]


async def test_search_finds_items_in_three_languages(tmp_path: Path, database_url: str) -> None:
    """Russian forms, Chinese without spaces and English words find the polled items, each
    saying whether and for which topic it matched, with its source, link and dates."""
    config = await polled_config(tmp_path, database_url)
    russian = search_json(config, "наркотрафик")
    assert {hit["link"].rsplit("/", 1)[-1] for hit in russian} == {"ru", "ru-other"}
    assert [hit["id"] for hit in russian] == sorted((hit["id"] for hit in russian), reverse=True)
    by_key = {hit["link"].rsplit("/", 1)[-1]: hit for hit in russian}
    assert (by_key["ru"]["matched"], by_key["ru"]["topic"]) == (True, TOPIC)
    assert by_key["ru"]["score"] > 0.5
    assert by_key["ru"]["topics"] == [{"topic": TOPIC, "score": by_key["ru"]["score"]}]
    assert (by_key["ru-other"]["matched"], by_key["ru-other"]["score"]) == (False, None)
    assert by_key["ru"]["source"] == "Wire"
    assert datetime.fromisoformat(by_key["ru"]["published"]) < datetime.now(UTC)
    [chinese] = search_json(config, "禁毒合作")
    assert chinese["title"] == "中国与缅甸加强禁毒合作"
    english = search_json(config, "cooperation")
    assert {hit["link"].rsplit("/", 1)[-1] for hit in english} == {"en", "weather"}
    [matched] = search_json(config, "cooperation", "--topic", TOPIC, "--since", "30d")
    assert matched["link"] == "https://news.example/en"


def test_search_prints_readable_lines_and_refuses_bad_input(tmp_path: Path) -> None:
    """Without --json each hit is its date, what it matched, title, source and link; a query
    without words and a bad --since exit 2 naming the problem."""
    config = write_config(tmp_path, [])
    store = open_store(f"sqlite:///{tmp_path / 'narcowatch.db'}")
    try:
        now = datetime.now(UTC)
        store.sync_config_sources([SourceSpec(name="Wire", url="https://wire.example/f")], now=now)
        entries = [
            StoredEntry(
                key=guid,
                canonical_link=None,
                title_hash=guid,
                item=Item(title=title, summary=summary, link=f"https://news.example/{guid}"),
                matches=(TopicScore(TOPIC, 1.0, True),) if guid == "ru" else (),
            )
            for guid, title, summary in ITEMS
        ]
        success = PollSuccess(now=now, next_poll_at=now)
        store.save_poll(store.source_health()[0].id, success, entries, alert=True)
    finally:
        store.close()
    result = run_cli("search", "НАРКОТРАФИКОМ", "--config", str(config))
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) == 4
    assert "not matched  Объём наркотрафика через границу вырос" in lines[0]
    assert "Wire · https://news.example/ru-other" in lines[1]
    assert f"{TOPIC} 1.00  Россия и Китай" in lines[2]
    assert result.stderr.strip() == "search: 2 items, newest first"
    limited = run_cli("search", "наркотрафик", "--limit", "1", "--config", str(config))
    assert "raise --limit" in limited.stderr
    empty = run_cli("search", "!!", "--config", str(config))
    assert empty.returncode == 2
    assert "no words to search for" in empty.stderr
    bad = run_cli("search", "opium", "--since", "soon", "--config", str(config))
    assert bad.returncode == 2
    assert "--since" in bad.stderr
