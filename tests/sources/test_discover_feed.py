"""Feed discovery over HTTP: a page's linked feed, else a usual path, else every try listed."""

from __future__ import annotations

from bot.fetch import HttpFetcher
from bot.services.discovery import discover_feed
from tests.support.feedserver import FeedServer, rss_feed

HTML = "text/html; charset=utf-8"


def page(head: str = "") -> bytes:
    return (
        f"<!DOCTYPE html><html><head><title>Agency</title>{head}</head>"
        "<body><h1>Press releases</h1><p>Welcome.</p></body></html>"
    ).encode()


async def test_a_page_linking_its_feed_leads_to_that_feed(
    feedserver: FeedServer, fetcher: HttpFetcher
) -> None:
    """The feed a page names in <link rel="alternate"> is fetched, parsed and returned."""
    link = '<link rel="alternate" type="application/rss+xml" href="/press/feed.xml">'
    site = feedserver.add_feed("/press/", page(link), content_type=HTML)
    feed = feedserver.add_feed("/press/feed.xml", rss_feed(4, title="Press feed"))

    found = await discover_feed(fetcher, site)

    assert found.feed is not None
    assert found.feed.url == feed
    assert "rel=alternate" in found.feed.how
    assert found.feed.parsed.title == "Press feed"
    assert len(found.feed.parsed.items) == 4
    assert found.tried == ((site, "a web page, not a feed"),)


async def test_a_page_without_links_finds_a_feed_at_a_usual_path(
    feedserver: FeedServer, fetcher: HttpFetcher
) -> None:
    """With no link in the page, /feed, /rss, /rss.xml ... are tried in turn at the site root."""
    site = feedserver.add_feed("/news/index.html", page(), content_type=HTML)
    feedserver.add_feed("/rss", page(), content_type=HTML)  # a page, not a feed: skipped
    feed = feedserver.add_feed("/rss.xml", rss_feed(2))

    found = await discover_feed(fetcher, site)

    assert found.feed is not None
    assert found.feed.url == feed
    assert found.feed.how == "a usual feed path"
    tried = dict(found.tried)
    assert "404" in tried[feedserver.url("/feed")]
    assert tried[feedserver.url("/rss")] == "a web page, not a feed"
    assert [p.path for p in feedserver.requests][-1] == "/rss.xml"


async def test_a_feed_url_is_taken_as_it_is(feedserver: FeedServer, fetcher: HttpFetcher) -> None:
    """A URL that already serves a feed is fetched once and returned, nothing else tried."""
    feed = feedserver.add_feed("/direct.xml", rss_feed(3))

    found = await discover_feed(fetcher, feed)

    assert found.feed is not None
    assert (found.feed.url, found.feed.how) == (feed, "the URL itself")
    assert [r.path for r in feedserver.requests] == ["/direct.xml"]


async def test_a_site_without_any_feed_lists_every_try(
    feedserver: FeedServer, fetcher: HttpFetcher
) -> None:
    """No feed anywhere: no result, and the page plus the six usual paths, each with its why."""
    site = feedserver.add_feed("/only-a-page", page(), content_type=HTML)

    found = await discover_feed(fetcher, site)

    assert found.feed is None
    assert len(found.tried) == 7
    assert all(why for _, why in found.tried)


async def test_hanging_candidates_stop_at_the_discovery_budget(
    feedserver: FeedServer, fetcher: HttpFetcher
) -> None:
    """Twelve linked feeds that never answer: discovery stops at its budget (1 s here, under
    the fetcher's 2 s timeout), after one of them, and says so."""
    links = "".join(
        f'<link rel="alternate" type="application/rss+xml" href="/hang/{n}.xml">' for n in range(12)
    )
    site = feedserver.add_feed("/site/", page(links), content_type=HTML)
    for n in range(12):
        feedserver.add_feed(f"/hang/{n}.xml", rss_feed(1), delay=60)

    found = await discover_feed(fetcher, site, budget_s=1.0)

    assert found.feed is None
    assert [r.path for r in feedserver.requests] == ["/site/", "/hang/0.xml"]
    assert found.tried[-1] == (
        feedserver.url("/hang/0.xml"),
        "discovery stopped after 1 s; 13 more not tried",
    )
