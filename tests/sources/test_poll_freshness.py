"""What a poll skips: an unchanged body without validators, and alerts for too-old items."""

from __future__ import annotations

from datetime import timedelta
from email.utils import format_datetime

from bot.fetch import HttpFetcher
from bot.services.poll import Poller
from bot.services.ports import Scorer
from bot.storage import SourceSpec, Store
from tests.sources.conftest import Clock
from tests.support.feedserver import FeedServer, rss_feed


def story(guid: str, when: str) -> bytes:
    return (
        f"<item><guid>{guid}</guid><title>SCO members agree joint anti-drug operation {guid}"
        f"</title><link>http://example.org/{guid}</link><pubDate>{when}</pubDate><description>"
        "China, Russia and Kazakhstan will share intelligence on cross-border drug trafficking "
        "and precursor chemicals, the Ministry of Public Security said.</description></item>"
    ).encode()


def with_stories(body: bytes, *stories: bytes) -> bytes:
    return body.replace(b"<language>en</language>", b"<language>en</language>" + b"".join(stories))


async def test_old_items_are_stored_but_never_alert(
    store: Store, fetcher: HttpFetcher, matcher: Scorer, clock: Clock, feedserver: FeedServer
) -> None:
    """Of two matching new items, the one dated beyond max_item_age is stored without a match."""
    base = rss_feed(3)
    url = feedserver.add_feed("/aged.xml", base)
    store.sync_config_sources([SourceSpec(name="aged", url=url)], now=clock.now)
    poller = Poller(
        fetcher=fetcher, store=store, scorer=matcher, clock=clock, max_item_age_s=14 * 86400
    )
    (source,) = store.claim_due_sources(now=clock.now, limit=5, owner="t", lease_seconds=60)
    assert (await poller.poll(source)).baseline

    recent = format_datetime(clock.now - timedelta(days=1), usegmt=True)
    stale = format_datetime(clock.now - timedelta(days=30), usegmt=True)
    feedserver.add_feed("/aged.xml", with_stories(base, story("new", recent), story("old", stale)))
    clock.advance(3600)
    (source,) = store.claim_due_sources(now=clock.now, limit=5, owner="t", lease_seconds=60)
    outcome = await poller.poll(source)

    assert outcome.ok
    assert outcome.new_items == 2
    assert [m.title for m in outcome.matches] == ["SCO members agree joint anti-drug operation new"]


async def test_an_identical_body_without_validators_is_not_parsed_again(
    store: Store, fetcher: HttpFetcher, matcher: Scorer, clock: Clock, feedserver: FeedServer
) -> None:
    """A 200 with the same bytes counts as unchanged; one changed byte is parsed again."""
    body = rss_feed(5)
    url = feedserver.add_feed("/novalidators.xml", body)  # no ETag, no Last-Modified
    store.sync_config_sources([SourceSpec(name="plain", url=url, interval_s=60)], now=clock.now)
    poller = Poller(fetcher=fetcher, store=store, scorer=matcher, clock=clock)

    async def poll_now():  # type: ignore[no-untyped-def]
        clock.advance(3600)
        (source,) = store.claim_due_sources(now=clock.now, limit=5, owner="t", lease_seconds=60)
        return await poller.poll(source)

    first = await poll_now()
    assert (first.ok, first.items_seen, first.not_modified) == (True, 5, False)
    second = await poll_now()
    assert (second.ok, second.items_seen, second.not_modified) == (True, 0, True)
    assert len(feedserver.requests_to("/novalidators.xml")) == 2
    (row,) = store.source_health()
    assert row.consecutive_failures == 0
    assert row.last_success_at == clock.now

    changed = with_stories(body, story("fresh", format_datetime(clock.now, usegmt=True)))
    feedserver.add_feed("/novalidators.xml", changed)
    third = await poll_now()
    assert (third.items_seen, third.new_items, third.not_modified) == (6, 1, False)
    assert len(third.matches) == 1
