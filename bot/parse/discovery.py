"""Where a site's feeds are: `<link rel="alternate">` in its page, then the usual paths."""

from __future__ import annotations

from html.parser import HTMLParser
from urllib.parse import urldefrag, urljoin, urlsplit

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


class _AlternateLinks(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in ("link", "a"):
            return
        values = {name: (value or "") for name, value in attrs}
        rels = values.get("rel", "").lower().split()
        kind = values.get("type", "").split(";", 1)[0].strip().lower()
        if "alternate" in rels and kind in FEED_TYPES and values.get("href", "").strip():
            self.found.append(values["href"].strip())


def linked_feeds(page: bytes, *, base_url: str) -> list[str]:
    """Absolute URLs of the feeds a page links with `rel="alternate"`, in page order, once."""
    parser = _AlternateLinks()
    parser.feed(page[:_SCAN_LIMIT].decode("utf-8", errors="replace"))
    parser.close()
    urls: list[str] = []
    for href in parser.found:
        try:
            url = urldefrag(urljoin(base_url, href)).url
        except ValueError:
            continue
        if urlsplit(url).scheme in ("http", "https") and url not in urls:
            urls.append(url)
    return urls


def common_feed_urls(page_url: str) -> list[str]:
    """The usual feed paths at the root of a page's site."""
    return [urljoin(page_url, path) for path in COMMON_FEED_PATHS]
