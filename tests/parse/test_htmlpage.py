"""Tests for picking items out of HTML pages with CSS selectors."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import pytest

from bot.core.models import HtmlSelectors
from bot.errors import ParseError
from bot.parse import parse_body

PAGE_URL = "https://ministry.example.gov/en/press/"
SELECTORS = HtmlSelectors(item="li.entry", title="h3", summary="p.lead", date="time, .date")
Read = Callable[[str], bytes]


def test_items_from_selectors(fixture_bytes: Read) -> None:
    """Each matching block becomes an item with title, resolved link, summary, date, page lang."""
    feed = parse_body(
        fixture_bytes("listing.html"),
        url=PAGE_URL,
        content_type="text/html; charset=utf-8",
        source_type="html",
        selectors=SELECTORS,
    )
    assert feed.title == "Press releases — Ministry"
    first, second, third = feed.items
    assert first.title == "Joint statement on drug control"
    assert first.link == "https://ministry.example.gov/press/2024/05/joint-statement"
    assert first.summary == "The ministries agreed to share intelligence."
    assert first.published == datetime(2024, 5, 20, 7, 0, tzinfo=UTC)
    assert first.lang == "en"
    assert second.link == "https://ministry.example.gov/en/press/press/2024/05/visit"
    assert second.published == datetime(2024, 5, 13, 8, 0, tzinfo=UTC)
    assert third.title == "Notice without a link"
    assert third.link is None
    assert third.published is None  # 31 February is no date


def test_link_selector_and_base_href() -> None:
    """An explicit link selector is used, resolved against <base href>."""
    page = (
        b"<html><head><base href='https://cdn.example.org/news/'></head><body>"
        b"<div class='card'><span class='t'>Story</span><a class='more' href='story-1'>more</a>"
        b"<time datetime='2024-01-02'>2 Jan</time></div></body></html>"
    )
    selectors = HtmlSelectors(item=".card", title=".t", link="a.more")
    (item,) = parse_body(
        page, url=PAGE_URL, content_type=None, source_type="html", selectors=selectors
    ).items
    assert item.link == "https://cdn.example.org/news/story-1"
    assert item.published == datetime(2024, 1, 2, tzinfo=UTC)  # found without a date selector


def test_page_charset_from_content_type() -> None:
    """A windows-1251 page decodes with the charset from the Content-Type header."""
    page = "<html><body><p class='i'><a href='/1'>Новости</a></p></body></html>".encode("cp1251")
    selectors = HtmlSelectors(item="p.i", title="a")
    (item,) = parse_body(
        page,
        url=PAGE_URL,
        content_type="text/html; charset=windows-1251",
        source_type="html",
        selectors=selectors,
    ).items
    assert item.title == "Новости"


def test_no_match_is_a_parse_error(fixture_bytes: Read) -> None:
    """A selector that matches nothing raises ParseError naming the selector."""
    selectors = HtmlSelectors(item="article.story", title="h2")
    with pytest.raises(ParseError, match=r"article\.story"):
        parse_body(
            fixture_bytes("listing.html"),
            url=PAGE_URL,
            content_type="text/html",
            source_type="html",
            selectors=selectors,
        )


def test_bad_selector_is_a_parse_error(fixture_bytes: Read) -> None:
    """An invalid CSS selector raises ParseError, not a soupsieve exception."""
    with pytest.raises(ParseError, match="bad CSS selector"):
        parse_body(
            fixture_bytes("listing.html"),
            url=PAGE_URL,
            content_type="text/html",
            source_type="html",
            selectors=HtmlSelectors(item="li[[", title="h3"),
        )


def test_html_source_without_selectors_and_without_articles_is_a_parse_error() -> None:
    """An html source with no selectors whose page has no article list fails clearly."""
    with pytest.raises(ParseError, match="no article list found on the page"):
        parse_body(b"<html></html>", url=PAGE_URL, content_type=None, source_type="html")
