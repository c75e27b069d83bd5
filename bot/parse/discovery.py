"""Where a site's feeds are: `<link rel="alternate">` in its page, then the usual paths."""

from __future__ import annotations

from urllib.parse import urldefrag, urljoin, urlsplit

from bot.core.markup import start_tags

FEED_TYPES = frozenset(
    {
        "application/rss+xml",
        "application/atom+xml",
        "application/rdf+xml",
        "application/feed+json",
        "application/json",
        "application/xml",
        "text/xml",
    }
)
"""Types a page's `<link rel="alternate">` gives for its feeds (RSS, Atom, RDF, JSON Feed)."""

COMMON_FEED_PATHS = ("/feed", "/rss", "/rss.xml", "/atom.xml", "/feed.xml", "/index.xml")
"""Where feeds usually sit when a page does not link them (WordPress, Hugo, Jekyll, ...)."""

_SCAN_LIMIT = 512 * 1024  # <link> tags live in <head>; a huge page is not read to its end


def linked_feeds(page: bytes, *, base_url: str) -> list[str]:
    """Absolute URLs of the feeds a page links with `rel="alternate"`, in page order, once."""
    # A linear scan: HTMLParser re-scans unfinished tags, and `<a <a <a ...` took minutes.
    text = page[:_SCAN_LIMIT].decode("utf-8", errors="replace")
    urls: dict[str, None] = {}  # ordered and linear: a page may link thousands
    for href in _alternate_hrefs(text):
        try:
            url = urldefrag(urljoin(base_url, href)).url
        except ValueError:
            continue
        if urlsplit(url).scheme in ("http", "https"):
            urls[url] = None
    return list(urls)


def _alternate_hrefs(text: str) -> list[str]:
    hrefs = []
    for values in start_tags(text, frozenset(("link", "a"))):
        rels = values.get("rel", "").lower().split()
        kind = values.get("type", "").split(";", 1)[0].strip().lower()
        if "alternate" in rels and kind in FEED_TYPES and values.get("href", "").strip():
            hrefs.append(values["href"].strip())
    return hrefs


def common_feed_urls(page_url: str) -> list[str]:
    """The usual feed paths at the root of a page's site."""
    return [urljoin(page_url, path) for path in COMMON_FEED_PATHS]
