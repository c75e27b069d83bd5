"""A cap on items per poll (`polling.max_items`): the newest kept, the rest counted (issue 17)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from bot.core.models import Item
from bot.parse import parse_body
from bot.parse.fields import newest
from tests.support.feedserver import rss_feed

START = datetime(2026, 3, 1, tzinfo=UTC)


def dated(title: str, hours: float | None) -> Item:
    return Item(title, published=None if hours is None else START + timedelta(hours=hours))


def test_the_newest_items_are_kept_in_the_feeds_order() -> None:
    """The `limit` newest items stay, in the order the feed gave them; undated ones count as
    newest, and among equal dates the feed's order decides."""
    items = [
        dated("old", 1),
        dated("undated", None),
        dated("newest", 9),
        dated("middle", 5),
        dated("tie a", 3),
        dated("tie b", 3),
        dated("oldest", 0),
    ]
    assert [i.title for i in newest(items, 4)] == ["undated", "newest", "middle", "tie a"]
    assert [i.title for i in newest(items, 5)] == [
        "undated",
        "newest",
        "middle",
        "tie a",
        "tie b",
    ]
    assert newest(items, 7) == items
    assert newest(items, None) == items


def json_feed(count: int) -> bytes:
    entries = [
        {
            "id": f"j{n}",
            "title": f"Item {n}",
            "date_published": (START + timedelta(minutes=n)).isoformat(),
        }
        for n in range(count)
    ]
    return json.dumps({"version": "https://jsonfeed.org/version/1.1", "items": entries}).encode()


def test_a_json_feed_over_the_cap_keeps_its_newest_items_and_counts_the_rest() -> None:
    """A JSON Feed of 5,000 items with a cap of 300: the 300 newest are parsed, 4,700 counted
    as beyond the cap."""
    parsed = parse_body(
        json_feed(5000), url="http://x/f.json", content_type="application/feed+json", max_items=300
    )
    assert len(parsed.items) == 300
    assert parsed.beyond_cap == 4700
    assert {item.guid for item in parsed.items} == {f"j{n}" for n in range(4700, 5000)}


def test_an_rss_feed_over_the_cap_keeps_its_newest_items_and_counts_the_rest() -> None:
    """The same for RSS (newest first in the feed, as rss_feed writes it)."""
    parsed = parse_body(
        rss_feed(50), url="http://x/f.xml", content_type="application/rss+xml", max_items=10
    )
    assert [item.guid for item in parsed.items] == [f"item-{n}" for n in range(49, 39, -1)]
    assert parsed.beyond_cap == 40


def test_a_feed_within_the_cap_is_whole() -> None:
    """Under the cap nothing is left out."""
    parsed = parse_body(
        rss_feed(5), url="http://x/f.xml", content_type="application/rss+xml", max_items=10
    )
    assert (len(parsed.items), parsed.beyond_cap) == (5, 0)
