"""Property tests of feed parsing: any body, any format, any encoding -> items or a ParseError."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.errors import NarcowatchError
from bot.parse import parse_body
from tests.fuzz.strategies import assert_storable, feed_bodies

URL = "https://feeds.example/news.xml"


@given(feed_bodies())
@settings(max_examples=60)
def test_feeds_in_every_format_and_encoding_parse_or_fail_cleanly(
    case: tuple[bytes, str | None, str],
) -> None:
    """RSS 0.91/2.0, Atom, RDF, JSON Feed and HTML pages with hostile text in eight encodings:
    parsed items are storable; a body without items is a ParseError, never anything else."""
    body, content_type, source_type = case
    try:
        parsed = parse_body(body, url=URL, content_type=content_type, source_type=source_type)
    except NarcowatchError:
        return
    for item in parsed.items:
        assert_storable(item)


@given(st.binary(max_size=2048), st.sampled_from([None, "application/rss+xml", "text/html"]))
def test_random_bytes_parse_or_fail_cleanly(body: bytes, content_type: str | None) -> None:
    """Arbitrary bytes: a ParseError (or, by chance, items), never another exception."""
    try:
        parsed = parse_body(body, url=URL, content_type=content_type)
    except NarcowatchError:
        return
    for item in parsed.items:
        assert_storable(item)


def test_json_feed_escapes_of_no_character_are_cleaned() -> None:
    """A JSON Feed whose HTML holds `\\ud800` next to an `&` (found by fuzzing) still parses."""
    body = (
        b'{"version": "https://jsonfeed.org/version/1.1", "title": "t", "items": [{"id": "1",'
        b' "url": "https://x.example/1", "title": "a \\ud800 &amp; b",'
        b' "content_html": "<p>&\\ud800 \\u0000</p>"}]}'
    )
    (item,) = parse_body(body, url=URL, content_type="application/feed+json").items
    assert_storable(item)
    assert item.title == "a & b"


def test_rss_reference_to_a_surrogate_is_replaced() -> None:
    """`&#xD800;` (found by fuzzing) no longer makes feedparser's fallback parser crash."""
    body = (
        b'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>t</title>'
        b"<item><title>ok</title><link>https://x.example/1</link>"
        b"<description>&#XD800; &#0; &#1114112; &#x41;</description></item></channel></rss>"
    )
    (item,) = parse_body(body, url=URL, content_type=None).items
    assert_storable(item)
    assert "A" in item.summary
