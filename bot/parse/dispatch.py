"""Picks the parser for a fetched body: HTML selectors, JSON Feed, or RSS/RDF/Atom."""

from __future__ import annotations

from bot.core.models import HtmlSelectors, ParsedFeed
from bot.errors import ParseError
from bot.parse.feeds import parse_feed
from bot.parse.htmlpage import parse_html_page
from bot.parse.jsonfeed import parse_json_feed
from bot.parse.sniff import looks_like_json_feed


def parse_body(
    body: bytes,
    *,
    url: str,
    content_type: str | None,
    source_type: str = "feed",
    selectors: HtmlSelectors | None = None,
    max_items: int | None = None,
) -> ParsedFeed:
    """The items in a fetched body, the newest `max_items` of them (the number left out is
    `beyond_cap`); ParseError with a short reason when there are none."""
    if source_type == "html":
        return parse_html_page(
            body, url=url, content_type=content_type, selectors=selectors, max_items=max_items
        )
    if source_type != "feed":
        raise ParseError(f"unknown source type {source_type!r}: expected feed or html")
    if looks_like_json_feed(body, content_type):
        return parse_json_feed(body, url=url, max_items=max_items)
    return parse_feed(body, url=url, content_type=content_type, max_items=max_items)
