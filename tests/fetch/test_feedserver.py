"""Tests for the loopback feed server other suites and benchmarks rely on."""

from __future__ import annotations

import pytest

from bot.core.models import FetchRequest
from bot.errors import PermanentFetchError
from bot.fetch import HttpFetcher
from bot.parse import parse_body
from tests.support.feedserver import FeedServer


async def test_add_feeds_serves_distinct_feeds_with_validators(
    feedserver: FeedServer, fetcher: HttpFetcher
) -> None:
    """add_feeds registers feeds with their own items and ETags that answer 304 when unchanged."""
    urls = feedserver.add_feeds(3, 4, summary_words=5)
    first = await fetcher.fetch(FetchRequest(url=urls[0]))
    third = await fetcher.fetch(FetchRequest(url=urls[2]))
    titles = {
        item.title
        for result in (first, third)
        for item in parse_body(result.body, url=result.url, content_type=None).items
    }
    assert len(titles) == 8
    again = await fetcher.fetch(FetchRequest(url=urls[0], etag=first.etag))
    assert again.not_modified


async def test_remove_feed_and_reset(feedserver: FeedServer, fetcher: HttpFetcher) -> None:
    """A removed feed answers 404 and reset() forgets recorded requests."""
    url = feedserver.add_feed("/gone.xml", b"<rss/>")
    feedserver.remove_feed("/gone.xml")
    with pytest.raises(PermanentFetchError, match=r"^HTTP 404"):
        await fetcher.fetch(FetchRequest(url=url))
    assert len(feedserver.requests_to("/gone.xml")) == 1
    feedserver.reset()
    assert feedserver.requests == []
    assert feedserver.max_in_flight() == 0
