"""Tests for RSS, RDF and Atom parsing through feedparser."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.errors import ParseError
from bot.parse import parse_body

FEED_URL = "https://feeds.example.org/dir/feed.xml"
Read = Callable[[str], bytes]


def test_rss2_cdata_html_becomes_plain_text(fixture_bytes: Read) -> None:
    """CDATA titles and HTML descriptions become plain text; content:encoded goes to content."""
    feed = parse_body(fixture_bytes("rss2_cdata.xml"), url=FEED_URL, content_type=None)
    first = feed.items[0]
    assert feed.title == "Anti-Drug & Crime Wire"
    assert first.title == "SCO members agree on anti-drug centre"
    assert first.summary == "Ministers met in Astana.\nThey agreed & signed."
    assert "alert" not in first.summary
    assert first.content == "Full story: ministers met in Astana to set up a centre."
    assert first.author == "Li Wei"
    assert first.lang == "en"
    assert first.guid == "sco-2024-001"
    assert feed.warning is None


def test_rss2_dates_links_duplicates_and_untitled(fixture_bytes: Read) -> None:
    """Dates become UTC, relative links resolve against the feed URL, bad dates are None,
    a repeated guid is kept once, and items with neither title nor link are dropped."""
    items = parse_body(fixture_bytes("rss2_cdata.xml"), url=FEED_URL, content_type=None).items
    assert [i.title for i in items] == [
        "SCO members agree on anti-drug centre",
        "Precursor seizure at border",
        "Untitled post whose first line becomes the title.",
    ]
    assert items[0].published == datetime(2024, 7, 2, 0, 30, tzinfo=UTC)
    assert items[0].link == (
        "https://feeds.example.org/world/2024/sco-anti-drug-centre?utm_source=rss&id=7"
    )
    assert items[1].published is None
    assert items[1].guid is None
    assert items[2].link == "https://news.example.org/untitled"


def test_atom_xhtml_content_base_and_language(fixture_bytes: Read) -> None:
    """Atom xhtml content is flattened, xml:base resolves links, xml:lang sets the language."""
    feed = parse_body(
        fixture_bytes("atom_xhtml.xml"), url=FEED_URL, content_type="application/atom+xml"
    )
    first, second = feed.items
    assert feed.title == "Новости наркоконтроля"
    assert first.title == "ФСКН и КНР: совместная операция"
    assert first.link == "https://atom.example.net/base/articles/joint-operation.html"
    assert (
        first.summary
        == "Российские и китайские полицейские провели операцию.\nИзъято 50 кг героина."
    )
    assert first.published == datetime(2024, 3, 1, 6, 15, tzinfo=UTC)
    assert first.author == "Иван Петров"
    assert first.lang == "ru"
    assert second.published == datetime(2024, 2, 29, 1, 0, tzinfo=UTC)
    assert second.summary == "Summary text"
    assert second.lang == "en"


def test_rdf_rss1_with_dublin_core_dates(fixture_bytes: Read) -> None:
    """RSS 1.0 (RDF) items get dc:date as published, dc:creator as author, dc:language."""
    items = parse_body(fixture_bytes("rdf_rss1.xml"), url=FEED_URL, content_type=None).items
    assert [i.title for i in items] == ["Interpol meeting on synthetic drugs", "Second RDF item"]
    assert items[0].published == datetime(2023, 11, 5, 13, 20, tzinfo=UTC)
    assert items[1].published == datetime(2023, 11, 6, tzinfo=UTC)
    assert items[0].author == "Redaktion"
    assert items[0].lang == "de"


def test_rss091(fixture_bytes: Read) -> None:
    """An RSS 0.91 feed yields its item."""
    items = parse_body(fixture_bytes("rss091.xml"), url=FEED_URL, content_type="text/xml").items
    assert [(i.title, i.link) for i in items] == [
        ("An RSS 0.91 headline", "http://old.example.com/1.html")
    ]


@pytest.mark.parametrize("content_type", [None, "text/xml", "application/rss+xml", "text/html"])
@pytest.mark.parametrize(
    ("name", "title", "summary"),
    [
        (
            "windows1251.xml",
            "Сотрудничество в борьбе с наркотиками",
            "Россия и Китай договорились о совместных операциях.",
        ),
        ("gb2312.xml", "上海合作组织禁毒合作", "上合组织成员国加强禁毒执法合作。"),
    ],
)
def test_non_utf8_encodings_from_the_xml_prolog(
    fixture_bytes: Read, content_type: str | None, name: str, title: str, summary: str
) -> None:
    """windows-1251 and GB2312 bodies declared in the XML prolog decode correctly, whatever
    charset-less content type the server sent, without a warning."""
    feed = parse_body(fixture_bytes(name), url=FEED_URL, content_type=content_type)
    assert [(i.title, i.summary) for i in feed.items] == [(title, summary)]
    assert feed.warning is None


def test_malformed_feed_with_entries_gives_items_and_warning(fixture_bytes: Read) -> None:
    """A damaged feed that still has entries yields them, with a warning naming the damage."""
    feed = parse_body(fixture_bytes("broken_rss.xml"), url=FEED_URL, content_type=None)
    assert [i.title for i in feed.items] == ["First item survives", "Second item survives"]
    assert feed.warning is not None
    assert feed.warning.startswith("feed is malformed")


def test_html_page_is_not_a_feed() -> None:
    """An HTML page where a feed was expected is a ParseError saying so."""
    page = b"<!DOCTYPE html><html><head><title>Home</title></head><body><p>Hi</p></body></html>"
    with pytest.raises(ParseError, match="not a feed: got an HTML page"):
        parse_body(page, url=FEED_URL, content_type="text/html; charset=utf-8")


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"", "the body is empty"),
        (b"\x00\x9f\xff garbage \x01\x02", "not a feed"),
        (b"<?xml version='1.0'?><note><to>x</to></note>", "no RSS, Atom or RDF"),
    ],
)
def test_garbage_is_a_parse_error(body: bytes, message: str) -> None:
    """Empty, binary or non-feed XML bodies raise ParseError, never a crash."""
    with pytest.raises(ParseError, match=message):
        parse_body(body, url=FEED_URL, content_type="application/rss+xml")


def test_empty_but_valid_feed_has_no_items() -> None:
    """A well-formed feed with no entries is a feed with no items, not an error."""
    body = b"<rss version='2.0'><channel><title>Quiet</title></channel></rss>"
    feed = parse_body(body, url=FEED_URL, content_type="application/rss+xml")
    assert feed.items == ()
    assert feed.title == "Quiet"


def test_body_that_looks_like_a_path_is_not_opened(tmp_path: Path) -> None:
    """A body naming a local file is parsed as text, never read from disk."""
    # The named file holds a valid feed, so reading it would yield an item instead of an error.
    feed = tmp_path / "feed.xml"
    feed.write_bytes(
        b"<rss version='2.0'><channel><title>On disk</title>"
        b"<item><title>Read from disk</title><link>https://example.org/a</link></item>"
        b"</channel></rss>"
    )
    assert parse_body(feed.read_bytes(), url=FEED_URL, content_type=None).items
    with pytest.raises(ParseError, match="not a feed"):
        parse_body(str(feed).encode(), url=FEED_URL, content_type="application/rss+xml")


def test_non_web_links_are_dropped() -> None:
    """javascript: links are not kept as item links."""
    body = (
        b"<rss version='2.0'><channel><title>t</title><item><title>Bad link</title>"
        b"<link>javascript:alert(1)</link></item></channel></rss>"
    )
    (item,) = parse_body(body, url=FEED_URL, content_type=None).items
    assert item.title == "Bad link"
    assert item.link is None
