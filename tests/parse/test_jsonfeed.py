"""Tests for JSON Feed 1.0 and 1.1 parsing."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime

import pytest

from bot.errors import ParseError
from bot.parse import parse_body

FEED_URL = "https://json.example.org/feed.json"
Read = Callable[[str], bytes]


def test_json_feed_1_0(fixture_bytes: Read) -> None:
    """A 1.0 feed yields plain-text items with UTC dates, resolved links and authors;
    untitled posts take their first line as title; unusable entries are dropped."""
    feed = parse_body(fixture_bytes("jsonfeed_1_0.json"), url=FEED_URL, content_type=None)
    first, second = feed.items
    assert feed.title == "JSON Feed 1.0 example"
    assert first.title == "UNODC report on methamphetamine"
    assert first.link == "https://json.example.org/posts/1?fbclid=abc"
    assert first.summary == "Report summary"
    assert first.content == "The report says a lot."
    assert first.published == datetime(2024, 5, 1, 10, 0, tzinfo=UTC)
    assert first.author == "Jane Doe"
    assert first.guid == "1"
    assert second.guid == "2"
    assert second.title == "A microblog post without a title."
    assert second.published is None
    assert feed.warning == "skipped 1 items that are not objects"


def test_json_feed_1_1(fixture_bytes: Read) -> None:
    """A 1.1 feed reads `authors`, `language` (feed and item), date_modified and external_url."""
    feed = parse_body(
        fixture_bytes("jsonfeed_1_1.json"), url=FEED_URL, content_type="application/feed+json"
    )
    first, second = feed.items
    assert first.title == "中国与缅甸加强禁毒合作"
    assert first.summary == "双方同意加强禁毒执法合作。"
    assert first.author == "新华社, 记者"
    assert first.lang == "zh"
    assert first.published == datetime(2024, 6, 1, 8, 0, tzinfo=UTC)
    assert second.link == "https://other.example.com/story"
    assert second.lang == "en"
    assert second.summary == "Bold summary"
    assert second.published == datetime(2024, 6, 2, 9, 30, 0, 123000, tzinfo=UTC)


def test_json_feed_detected_by_body_without_content_type(fixture_bytes: Read) -> None:
    """A JSON Feed served as text/plain is recognised by its version URL."""
    feed = parse_body(fixture_bytes("jsonfeed_1_1.json"), url=FEED_URL, content_type="text/plain")
    assert len(feed.items) == 2


def test_json_feed_duplicates_kept_once() -> None:
    """Two entries with the same id are one item."""
    body = json.dumps(
        {
            "version": "https://jsonfeed.org/version/1.1",
            "items": [
                {"id": "a", "title": "One", "url": "https://e.org/1"},
                {"id": "a", "title": "One again", "url": "https://e.org/1"},
            ],
        }
    ).encode()
    assert [i.title for i in parse_body(body, url=FEED_URL, content_type=None).items] == ["One"]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"{not json", "invalid JSON"),
        (b"[1, 2]", "not an object"),
        (b'{"items": []}', "no jsonfeed.org version"),
        (b'{"version": "https://jsonfeed.org/version/1.1", "items": 3}', "`items`"),
    ],
)
def test_bad_json_feed_is_a_parse_error(body: bytes, message: str) -> None:
    """JSON that is not a JSON Feed raises ParseError naming the problem."""
    with pytest.raises(ParseError, match=message):
        parse_body(body, url=FEED_URL, content_type="application/json")


def test_json_feed_with_an_http_version_url_is_read() -> None:
    """Many real JSON Feeds name their version with http://, not https://."""
    body = json.dumps(
        {
            "version": "http://jsonfeed.org/version/1",
            "items": [{"id": "1", "title": "One", "url": "https://e.org/1"}],
        }
    ).encode()
    assert [i.title for i in parse_body(body, url=FEED_URL, content_type=None).items] == ["One"]
    with pytest.raises(ParseError, match=r"no jsonfeed\.org version"):
        parse_body(
            body.replace(b"http://jsonfeed", b"ftp://jsonfeed"), url=FEED_URL, content_type=None
        )
