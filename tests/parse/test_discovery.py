"""Feed links in a page: `<link rel="alternate">` of feed types, made absolute, each once."""

from __future__ import annotations

from bot.parse.discovery import COMMON_FEED_PATHS, common_feed_urls, linked_feeds

PAGE = b"""<!DOCTYPE html><html><head>
<link rel="stylesheet" type="text/css" href="/style.css">
<link rel="alternate" type="application/rss+xml" title="News" href="/news/rss.xml">
<link rel="alternate" type="application/atom+xml" href="https://cdn.example.org/atom.xml#top">
<link rel="alternate" type="application/feed+json" href="feed.json">
<link rel="alternate" hreflang="fr" href="/fr/">
<link rel="Alternate" type="application/rss+xml" href="/news/rss.xml">
<link rel="alternate" type="application/rss+xml" href="javascript:alert(1)">
</head><body><a rel="alternate" type="application/rss+xml" href="/body.rss">feed</a></body></html>
"""


def test_feed_links_are_absolute_deduplicated_and_in_page_order() -> None:
    """RSS, Atom and JSON Feed links are found; stylesheets, languages and scripts are not."""
    assert linked_feeds(PAGE, base_url="http://example.org/section/index.html") == [
        "http://example.org/news/rss.xml",
        "https://cdn.example.org/atom.xml",
        "http://example.org/section/feed.json",
        "http://example.org/body.rss",
    ]


def test_a_page_without_feed_links_gives_none() -> None:
    """A page that links no feed gives an empty list, and broken markup does not raise."""
    assert linked_feeds(b"<html><head><title>x</title>", base_url="http://example.org/") == []
    assert linked_feeds(b"\xff\xfe<link rel=alternate", base_url="http://example.org/") == []


def test_common_paths_sit_at_the_site_root() -> None:
    """The usual paths are tried at the root of the page's site, in a fixed order."""
    urls = common_feed_urls("https://example.org/a/b/page.html?x=1")
    assert urls == [f"https://example.org{path}" for path in COMMON_FEED_PATHS]
    assert "/feed" in COMMON_FEED_PATHS
    assert "/index.xml" in COMMON_FEED_PATHS
