"""Tests for canonical URLs, title hashes and item keys."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from bot.core.identity import MAX_KEY_LENGTH, canonical_url, item_key, item_keys, title_hash
from bot.core.models import Item


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("HTTPS://Example.ORG/News", "https://example.org/News"),
        ("http://example.org:80/a", "http://example.org/a"),
        ("https://example.org:443/a", "https://example.org/a"),
        ("https://example.org:8443/a", "https://example.org:8443/a"),
        ("https://example.org/a#section-2", "https://example.org/a"),
        ("https://example.org", "https://example.org/"),
        ("https://example.org./a", "https://example.org/a"),
        (
            "https://example.org/a?utm_source=rss&id=7&utm_MEDIUM=feed&fbclid=x&page=2",
            "https://example.org/a?id=7&page=2",
        ),
        ("https://example.org/a?gclid=1&msclkid=2&mc_cid=3&mc_eid=4", "https://example.org/a"),
        (
            "https://example.org/a?yclid=1&_ga=2&igshid=3&ref_src=twsrc&dclid=5",
            "https://example.org/a",
        ),
        ("https://example.org/a?b=2&a=1", "https://example.org/a?b=2&a=1"),
        ("https://example.org/a?q=caf%C3%A9+bar&x=", "https://example.org/a?q=caf%C3%A9+bar&x="),
        ("http://[2001:DB8::1]:80/feed", "http://[2001:db8::1]/feed"),
        ("https://user:pw@Example.org/a", "https://user:pw@example.org/a"),
        ("  https://example.org/a  ", "https://example.org/a"),
    ],
)
def test_canonical_url(url: str, expected: str) -> None:
    """Scheme and host are lower-cased, default ports, fragments and tracking params dropped."""
    assert canonical_url(url) == expected


def test_canonical_url_keeps_unparseable_text() -> None:
    """A URL that cannot be taken apart (bad port) is returned as written, not a crash."""
    assert canonical_url("http://example.org:notaport/a") == "http://example.org:notaport/a"


def test_canonical_url_is_idempotent() -> None:
    """Canonicalising a canonical URL changes nothing."""
    once = canonical_url("HTTP://Example.org:80/a/?utm_campaign=x&k=v#top")
    assert canonical_url(once) == once == "http://example.org/a/?k=v"


def test_title_hash_folds_case_and_space_and_zones() -> None:
    """Titles differing in case, width or spacing, at the same instant, hash the same."""
    utc = datetime(2024, 5, 1, 10, 0, tzinfo=UTC)
    plus2 = datetime(2024, 5, 1, 12, 0, tzinfo=timezone(timedelta(hours=2)))
    assert title_hash("China  and Myanmar", utc) == title_hash("china and ＭＹＡＮＭＡＲ ", plus2)
    assert title_hash("China and Myanmar", utc) != title_hash("China and Myanmar", None)
    assert title_hash("China and Myanmar", None) != title_hash("China and Russia", None)


def test_item_key_prefers_guid_then_link_then_hash() -> None:
    """The key is the guid, else the canonical link, else a hash of title and date."""
    when = datetime(2024, 1, 1, tzinfo=UTC)
    assert item_key(Item(title="t", link="https://e.org/a", guid=" g-1 ")) == "guid:g-1"
    assert item_key(Item(title="t", link="https://E.org/a?utm_source=x#f")) == "url:https://e.org/a"
    hashed = item_key(Item(title="Title", published=when))
    assert hashed == f"hash:{title_hash('Title', when)}"


def test_item_key_same_story_different_tracking_is_same_key() -> None:
    """Two links to one story that differ only in tracking parameters share a key."""
    a = Item(title="a", link="https://e.org/story?id=1&utm_source=rss")
    b = Item(title="b", link="https://e.org/story?id=1&fbclid=zzz#comments")
    assert item_key(a) == item_key(b)


def test_item_key_hashes_long_guids() -> None:
    """Guids and links longer than the bound are stored by hash so keys stay short."""
    long_guid = "x" * (MAX_KEY_LENGTH + 1)
    key = item_key(Item(title="t", guid=long_guid))
    assert key.startswith("guid-sha256:")
    assert len(key) < 100
    assert key != item_key(Item(title="t", guid=long_guid + "y"))
    long_link = "https://e.org/" + "p" * MAX_KEY_LENGTH
    assert item_key(Item(title="t", link=long_link)).startswith("url-sha256:")


def test_items_linking_to_one_page_with_their_own_anchors_stay_apart() -> None:
    """Guid-less items linking to one archive page, each with its own #anchor, are distinct
    items; the same item (link, anchor and title) twice is one item."""
    page = "http://www.cnblog.org/blog/archives/2004_08_29_cnblog_archive.html"
    items = [
        Item(title="a", link=f"{page}#109424958546889584"),
        Item(title="b", link=f"{page}#109405270763030919"),
        Item(title="b", link=f"{page}#109405270763030919"),
        Item(title="elsewhere", link="https://e.org/x#top"),
    ]
    keys = item_keys(items)
    assert keys[0] == f"url:{page}#109424958546889584"
    assert keys[1] == keys[2] == f"url:{page}#109405270763030919"
    assert keys[3] == "url:https://e.org/x"  # no sibling: SPEC 4, the fragment is dropped
    assert [item_key(item) for item in items[:1]] == [f"url:{page}"]


def test_shared_link_or_guid_splits_only_on_evidence() -> None:
    """Items sharing a link differ by title or date; items sharing a guid only by date (a guid
    repeated without one is the same item, repeated)."""
    first = datetime(2017, 6, 25, 12, 27, 31, tzinfo=UTC)
    same_link = [Item(title="One", link="https://e.org/"), Item(title="Two", link="https://e.org/")]
    assert len(set(item_keys(same_link))) == 2
    dated_guids = [
        Item(
            title="Good morning",
            guid="http://scripting.com/2017/06/25.html#a080631",
            published=first,
        ),
        Item(
            title="In 2015 I wrote",
            guid="http://scripting.com/2017/06/25.html#a080631",
            published=first + timedelta(minutes=5),
        ),
    ]
    assert len(set(item_keys(dated_guids))) == 2
    undated_repeat = [
        Item(title="One", guid="g"),
        Item(title="One (repeat)", guid="g", published=first),
    ]
    assert item_keys(undated_repeat) == ["guid:g", "guid:g"]
    alike = [Item(title="Same", link="https://e.org/a"), Item(title="Same", link="https://e.org/a")]
    assert item_keys(alike) == ["url:https://e.org/a", "url:https://e.org/a"]
