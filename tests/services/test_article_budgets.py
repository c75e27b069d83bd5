"""What reading article pages may cost one poll (issue 17, findings 2 and 14).

Each poll read up to `articles.max_per_poll` pages at once, 15 s each, with no budget for the
poll and the wait for a worker outside every limit; a page of 4.5 MB of one-line paragraphs
took trafilatura minutes and 600 MB; the cache kept 4,096 texts whatever their size. Pages are
served on loopback; the real fetcher, store and matcher read them.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from bot.fetch import FetchLimits, HttpFetcher
from bot.matching import TopicSpec, load_topic
from bot.parse.article_text import MAX_ARTICLE_TAGS, bounded_markup
from bot.services.article_cache import TextCache, entry_bytes
from bot.services.parse_runner import ProcessRunner
from bot.storage import Store
from tests.services.test_article_text import TOPIC, Rig, article_page
from tests.support.feedserver import FeedServer
from tests.support.floodrun import slow_page

CYRILLIC = "Сотрудничество в борьбе с наркотиками. " * 520  # about 20,000 characters


@pytest.fixture
def topic(tmp_path: Path) -> TopicSpec:
    path = tmp_path / "zoo.yaml"
    path.write_text(TOPIC, encoding="utf-8")
    return load_topic(path, env={})


async def test_reading_stops_when_the_polls_article_budget_is_spent(
    feedserver: FeedServer, store: Store, topic: TopicSpec
) -> None:
    """Five items whose pages take 1 s each to answer, with `articles.poll_budget: 1.5s`: the
    pages are read one after another; the second is cut short when the budget runs out, and
    counted with the three never requested as skipped (not as failed: it was not the page's
    fault); every item is stored."""
    items = []
    for n in range(5):
        link = feedserver.add_feed(
            f"/late{n}.html",
            article_page(f"Zebra story {n}", "The keeper fed the zebra."),
            content_type="text/html",
            delay=1.0,
        )
        items.append((f"l{n}", f"Zebra story {n}", link))
    async with HttpFetcher(FetchLimits(timeout_s=5.0), trust_env=False) as fetcher:
        rig = Rig(store, fetcher, topic, poll_budget="1.5s", timeout="5s")
        started = time.monotonic()
        outcome = await rig.poll_twice(feedserver, "late", items)
        took = time.monotonic() - started
    read = [n for n in range(5) if feedserver.requests_to(f"/late{n}.html")]
    assert read == [0, 1]
    assert outcome.new_items == 5
    assert (rig.counted("ok"), rig.counted("skipped"), rig.counted("failed")) == (1, 4, 0)
    assert took < 4.5  # on main: no such budget, every page read


async def test_a_page_that_overruns_ends_the_sources_reading_for_that_poll(
    feedserver: FeedServer, store: Store, topic: TopicSpec
) -> None:
    """Three items linking to pages that overrun `articles.timeout` (1 s) in the worker: the
    first is abandoned (its worker replaced), the other two are not even fetched, and every
    item is stored as the feed gave it. On main all three were fetched and extracted."""
    spans = "".join(f"<span>w{n}</span>" for n in range(60_000))  # seconds of trafilatura
    heavy = f"<html><body><article><p>{spans}</p></article></body></html>".encode()
    items = [
        (
            f"h{n}",
            f"Zebra gone {n}",
            feedserver.add_feed(f"/heavy{n}.html", heavy, content_type="text/html"),
        )
        for n in range(3)
    ]
    async with (
        HttpFetcher(FetchLimits(timeout_s=5.0), trust_env=False) as fetcher,
        ProcessRunner(1) as runner,
    ):
        rig = Rig(store, fetcher, topic, timeout="1s")
        rig.reader.runner = runner
        rig.poller.runner = runner
        outcome = await rig.poll_twice(feedserver, "heavy", items)
    fetched = [n for n in range(3) if feedserver.requests_to(f"/heavy{n}.html")]
    assert fetched == [0]
    assert outcome.new_items == 3
    assert (rig.counted("failed"), rig.counted("skipped")) == (1, 2)
    assert runner.replaced == 1


async def test_a_page_of_millions_of_bytes_of_tiny_paragraphs_is_read_in_time(
    feedserver: FeedServer, store: Store, topic: TopicSpec
) -> None:
    """A 4.5 MB page of one-line paragraphs (minutes of trafilatura on main, 600 MB in the
    worker) is read in a couple of seconds (here within a generous 60 s, for a loaded
    machine): only its first MAX_ARTICLE_TAGS tags are parsed, the worker is not replaced,
    and the item matches on the page's text."""
    page = slow_page(4_500_000).replace(
        b"<article>\n", b"<article>\n<p>The keeper fed the zebra at the park.</p>\n"
    )
    link = feedserver.add_feed("/huge.html", page, content_type="text/html")
    async with (
        HttpFetcher(
            FetchLimits(timeout_s=10.0, max_bytes=5 * 1024 * 1024), trust_env=False
        ) as fetcher,
        ProcessRunner(1) as runner,
    ):
        rig = Rig(store, fetcher, topic, timeout="60s", poll_budget="60s")
        rig.reader.runner = runner
        rig.poller.runner = runner
        outcome = await rig.poll_twice(feedserver, "huge", [("z1", "Zebra back", link)])
    assert rig.counted("ok") == 1
    assert runner.replaced == 0
    assert [m.score.topic for m in outcome.matches] == ["zoo"]


def test_only_the_first_tags_of_a_page_are_given_to_the_extractor() -> None:
    """A page with more tags than MAX_ARTICLE_TAGS is cut before the one over the limit; a
    smaller page is given whole."""
    page = slow_page(4_500_000)
    cut = bounded_markup(page)
    assert cut.count(b"<") == MAX_ARTICLE_TAGS - 1
    assert page.startswith(cut)
    small = slow_page(10_000)
    assert bounded_markup(small) is small


def test_the_article_cache_is_bounded_by_bytes_least_recently_used_first_out() -> None:
    """Texts of 20,000 Cyrillic characters (40 KB each as Python holds them): a 1 MB cache
    holds what fits, drops the least recently used, and counts its bytes as the strings
    take them; an entry larger than the whole cache is not kept."""
    cache = TextCache(1024 * 1024)
    urls = [f"https://news.example/{n}" for n in range(60)]
    for url in urls:
        cache.put(url, CYRILLIC)
        assert cache.get(urls[0]) is not None  # the first stays the most recently used
    assert cache.bytes <= 1024 * 1024
    assert cache.bytes == sum(entry_bytes(u, CYRILLIC) for u in urls if cache.get(u) is not None)
    assert len(cache) == (1024 * 1024) // entry_bytes(urls[1], CYRILLIC)
    assert cache.get(urls[1]) is None
    assert cache.get(urls[-1]) == CYRILLIC
    cache.put("https://news.example/huge", "x" * 2_000_000)
    assert cache.get("https://news.example/huge") is None
    assert cache.bytes <= 1024 * 1024


async def test_the_readers_cache_follows_articles_cache_size(
    feedserver: FeedServer, store: Store, topic: TopicSpec
) -> None:
    """An `articles.cache_size` of 1 byte keeps nothing: a page linked again is fetched again."""
    link = feedserver.add_feed(
        "/again.html", article_page("Zebra", "A keeper and a zebra."), content_type="text/html"
    )
    async with HttpFetcher(FetchLimits(timeout_s=5.0), trust_env=False) as fetcher:
        rig = Rig(store, fetcher, topic, cache_size=1)
        await rig.poll_twice(feedserver, "one", [("a1", "Zebra news", link)])
        await rig.poll_twice(feedserver, "two", [("a2", "Zebra news today", link)])
    assert len(feedserver.requests_to("/again.html")) == 2
    assert rig.counted("cached") == 0
    assert len(rig.reader.cache) == 0


async def test_a_stopping_daemon_reads_no_further_pages(
    feedserver: FeedServer, store: Store, topic: TopicSpec
) -> None:
    """Once the reader is told the daemon stops, a poll in flight reads no further page and
    saves what it has (SIGTERM must not wait for a poll's article budget)."""
    link = feedserver.add_feed(
        "/later.html", article_page("Zebra", "The keeper fed the zebra."), content_type="text/html"
    )
    async with HttpFetcher(FetchLimits(timeout_s=5.0), trust_env=False) as fetcher:
        rig = Rig(store, fetcher, topic)
        rig.reader.stop()
        outcome = await rig.poll_twice(feedserver, "stopping", [("s1", "Zebra back", link)])
    assert outcome.new_items == 1
    assert feedserver.requests_to("/later.html") == []
    assert rig.counted("skipped") == 1
