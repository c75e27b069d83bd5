"""Bodies built to make parsing slow or huge: each is parsed in time proportional to its size,
and entity expansion stays bounded whatever the encoding (issue 9, findings 1, 3 and 4)."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from bot.errors import ParseError
from bot.parse import parse_body
from bot.parse.discovery import linked_feeds
from bot.parse.feeds import MAX_ENTITY_GROWTH, check_markup_density, without_entity_bomb
from bot.parse.sniff import looks_like_html
from tests.support import hostile
from tests.support.timing import best_time

URL = "http://example.org/feed"
REAL_FEEDS = Path(__file__).resolve().parents[2] / ".." / "shared" / "realfeeds"


def test_comment_bait_is_sniffed_in_linear_time() -> None:
    """Guards finding 1: `<!---->` x 26 (183 bytes) took 6 s in the sniffing regex, each extra
    comment doubling it; now it is refused as not a feed at once."""
    body, content_type = hostile.regex_bait(26)
    started = time.perf_counter()
    with pytest.raises(ParseError, match="not a feed"):
        parse_body(body, url=URL, content_type=content_type)
    assert time.perf_counter() - started < 1.0


@pytest.mark.parametrize(
    ("head", "html"),
    [
        (b"<!-- a --> <!----><html lang=en>", True),
        (b"\n<!DOCTYPE html><title>x</title>", True),
        (b"<!-- x --><body>", True),
        (b"<!----><!---->" * 60 + b"<rss>", False),
        (b"<!-- never closed <html>", False),
        (b'<?xml version="1.0"?><rss version="2.0">', False),
        (b"<!DOCTYPE rss><rss>", False),
    ],
)
def test_html_is_recognised_after_comments(head: bytes, html: bool) -> None:
    """An HTML page is recognised by its first tag after white space and comments."""
    assert looks_like_html(head, "application/octet-stream") is html


def test_nested_divs_in_a_description_parse_in_linear_time() -> None:
    """Guards finding 3: escaped nested `<div>` in a description cost time quadratic in the
    depth; a feed of them now costs about what a feed of flat markup of the same size does."""
    nested, _ = hostile.nested_divs(12_000)
    flat = hostile.rss([hostile.item("flat", "Flat markup", "<b>x</b>" * 16_500)]).encode()
    assert abs(len(nested) - len(flat)) < len(flat) // 4
    nested_s = best_time(lambda: parse_body(nested, url=URL, content_type=None), repeat=2)
    flat_s = best_time(lambda: parse_body(flat, url=URL, content_type=None), repeat=2)
    (item,) = parse_body(nested, url=URL, content_type=None).items
    assert item.summary == "deep text"
    assert nested_s < 3 * flat_s + 0.05, f"{nested_s:.2f}s vs {flat_s:.2f}s"


@pytest.mark.parametrize("encoding", ["utf-8", "utf-16", "utf-16-le", "utf-16-be", "utf-32"])
def test_entity_bomb_is_defused_in_every_encoding(encoding: str) -> None:
    """Guards finding 4: the entity guard looked at raw bytes, so in UTF-16 a 51 KiB feed
    expanded to 40 M characters; the declarations are now checked in the decoded text."""
    body, content_type = hostile.entity_bomb(encoding, value_size=20_000, references=2_000)
    (item,) = parse_body(body, url=URL, content_type=content_type).items
    assert item.title == "Entity bomb"
    assert len(item.summary) + len(item.content) < MAX_ENTITY_GROWTH


def test_utf16_feed_reads_as_its_utf8_twin() -> None:
    """Decoding before the entity check changes nothing for an ordinary UTF-16 feed."""
    body, _ = hostile.normal_feed(3)
    twin = body.decode().replace('encoding="utf-8"', 'encoding="utf-16"').encode("utf-16")
    for content_type in (None, "application/rss+xml", "text/xml; charset=utf-16"):
        assert parse_body(twin, url=URL, content_type=content_type) == parse_body(
            body, url=URL, content_type=None
        )


def test_entity_guard_cost_does_not_grow_with_the_number_of_declarations() -> None:
    """Guards finding 3 (related): each declared entity was counted over the whole body
    (declarations x size: 13.8 s on one sample); references are now counted in one pass."""
    declarations = "".join(f'<!ENTITY e{n} "v{n}">' for n in range(3_000))
    text = "&e1; plain words " * 60_000
    many = hostile.rss(
        [hostile.item("m", "Many", text, raw=True)], prolog=f"<!DOCTYPE rss [{declarations}]>"
    ).encode()
    one = hostile.rss(
        [hostile.item("o", "One", text, raw=True)], prolog='<!DOCTYPE rss [<!ENTITY e1 "v1">]>'
    ).encode()
    many_s = best_time(lambda: without_entity_bomb(many))
    one_s = best_time(lambda: without_entity_bomb(one))
    assert without_entity_bomb(many) == many  # 60,000 x 2 characters: under the limit
    assert many_s < 3 * one_s + 0.02, f"{many_s:.3f}s vs {one_s:.3f}s"


@pytest.mark.parametrize(
    "elements",
    [
        "<x>" * 40_000 + "deep" + "</x>" * 40_000,  # deep nesting
        "<x/>" * 60_000,  # a flat run of tiny elements
    ],
)
def test_feed_far_denser_than_any_real_one_is_refused_at_once(elements: str) -> None:
    """feedparser spends tens of microseconds per element: a body of nothing but tiny or nested
    elements cost 20+ s per MB (40x a real feed), so it is refused before parsing."""
    body = hostile.rss([f"<item><title>Dense</title><guid>d</guid>{elements}</item>"]).encode()
    started = time.perf_counter()
    with pytest.raises(ParseError, match=r"feed refused: [\d,]+ elements in [\d,]+ KB"):
        parse_body(body, url=URL, content_type=None)
    assert time.perf_counter() - started < 1.0


def test_real_feeds_are_under_the_density_limit() -> None:
    """Every captured real feed (repeated up to the size the limit applies from) and a large
    ordinary feed pass the density limit."""
    body, content_type = hostile.normal_feed(400)
    assert len(parse_body(body, url=URL, content_type=content_type).items) == 400
    captures = [path for path in REAL_FEEDS.glob("*") if path.suffix != ".tsv"]
    if not captures:
        pytest.skip(f"no real feed captures under {REAL_FEEDS}")
    for path in captures:
        data = path.read_bytes()
        check_markup_density(data * (64 * 1024 // len(data) + 1))


def test_feed_links_are_found_in_linear_time_on_unclosed_tags() -> None:
    """Guards finding 1 for /addsource: its discovery read the page with HTMLParser, which
    re-scans unfinished tags (`<a ` x 6,000 cost seconds, more grows quadratically, on the
    event loop); the page is now scanned once, at the cost of an ordinary page its size."""
    link = b'<link rel="alternate" type="application/rss+xml" href="/feed.xml">'
    hostile_page = b"<html><head>" + link + b"</head><body>" + b"<a " * 6_000
    ordinary = b"<html><head>" + link + b"</head><body>" + b"<a>x</a> " * 2_000
    assert linked_feeds(hostile_page, base_url=URL) == ["http://example.org/feed.xml"]
    hostile_s = best_time(lambda: linked_feeds(hostile_page, base_url=URL))
    ordinary_s = best_time(lambda: linked_feeds(ordinary, base_url=URL))
    assert hostile_s < 4 * ordinary_s + 0.02, f"{hostile_s:.3f}s vs {ordinary_s:.3f}s"
