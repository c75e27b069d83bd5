"""Sources added from Telegram stay untrusted on every poll: no private address, no URL rewrite."""

from __future__ import annotations

import ipaddress

from bot.fetch import FetchLimits, HttpFetcher
from bot.fetch.fetcher import refused_text
from bot.services.poll import Poller
from bot.services.ports import Scorer
from bot.settings import Settings
from bot.storage import SourceSpec, Store
from tests.faults.conftest import Clock
from tests.support.feedserver import FeedServer, feed_server, rss_feed

LIMITS = FetchLimits(timeout_s=2.0)
STAND_IN_PUBLIC = ipaddress.ip_address("127.0.0.2")  # tests cannot reach a public address


def item_count(store: Store, source_id: int) -> int:
    from sqlalchemy import func, select

    from bot.storage.tables import ITEM

    with store.engine.connect() as conn:
        return int(
            conn.execute(
                select(func.count()).select_from(ITEM).where(ITEM.c.source_id == source_id)
            ).scalar_one()
        )


async def test_telegram_source_on_loopback_is_refused_at_every_poll(
    feedserver: FeedServer, store: Store, matcher: Scorer, clock: Clock
) -> None:
    """A Telegram-added loopback source fails with the refusal; a config one beside it works."""
    url = feedserver.add_feed("/feed.xml", rss_feed(3))
    store.sync_config_sources([SourceSpec(name="config feed", url=url)], now=clock.now)
    added = store.add_source(SourceSpec(name="telegram feed", url=url), now=clock.now)
    assert added is not None
    async with HttpFetcher(LIMITS, trust_env=False) as fetcher:
        poller = Poller(fetcher=fetcher, store=store, scorer=matcher, clock=clock)
        for _ in range(2):
            sources = store.claim_all_enabled(now=clock.now, owner="t", lease_seconds=60)
            outcomes = {s.name: await poller.poll(s) for s in sources}
            assert outcomes["config feed"].ok
            assert outcomes["telegram feed"].error == refused_text("127.0.0.1")
            clock.advance(3600)
    health = {row.name: row for row in store.source_health()}
    assert health["telegram feed"].last_error == refused_text("127.0.0.1")
    assert item_count(store, added) == 0
    assert len(feedserver.requests_to("/feed.xml")) == 2  # the config source's polls only


async def test_allow_private_sources_lets_telegram_sources_poll(
    feedserver: FeedServer, store: Store, matcher: Scorer, clock: Clock
) -> None:
    """With telegram.allow_private_sources the same Telegram source is polled and stored."""
    url = feedserver.add_feed("/feed.xml", rss_feed(3))
    added = store.add_source(SourceSpec(name="telegram feed", url=url), now=clock.now)
    assert added is not None
    async with HttpFetcher(LIMITS, trust_env=False) as fetcher:
        poller = Poller(
            fetcher=fetcher, store=store, scorer=matcher, clock=clock, allow_private_sources=True
        )
        (source,) = store.claim_all_enabled(now=clock.now, owner="t", lease_seconds=60)
        assert (await poller.poll(source)).ok
    assert item_count(store, added) == 3


async def test_a_reload_that_turns_private_sources_off_refuses_the_next_poll(
    feedserver: FeedServer, store: Store, matcher: Scorer, clock: Clock
) -> None:
    """The poller takes a reloaded config's limits (`Poller.apply`, as the daemon's reload
    does): private Telegram sources polled while allowed are refused once a reload disallows
    them, and the poll limits come from the new config."""
    url = feedserver.add_feed("/feed.xml", rss_feed(3))
    added = store.add_source(SourceSpec(name="telegram feed", url=url), now=clock.now)
    assert added is not None
    allowed = Settings.model_validate({"telegram": {"allow_private_sources": True}})
    reloaded = Settings.model_validate(
        {"polling": {"max_items": 7, "parse_budget": "9s", "max_item_age": "3d"}}
    )
    async with HttpFetcher(LIMITS, trust_env=False) as fetcher:
        poller = Poller(fetcher=fetcher, store=store, scorer=matcher, clock=clock)
        poller.apply(allowed)
        (source,) = store.claim_all_enabled(now=clock.now, owner="t", lease_seconds=60)
        assert (await poller.poll(source)).ok
        poller.apply(reloaded)
        assert (poller.max_items, poller.parse_budget_s, poller.max_item_age_s) == (
            7,
            9.0,
            3 * 86400.0,
        )
        clock.advance(3600)
        (source,) = store.claim_all_enabled(now=clock.now, owner="t", lease_seconds=60)
        assert (await poller.poll(source)).error == refused_text("127.0.0.1")
    assert item_count(store, added) == 3


async def test_permanent_redirect_to_private_never_rewrites_the_stored_url(
    store: Store, matcher: Scorer, clock: Clock
) -> None:
    """A 301 or 308 from a Telegram source to 127.0.0.1 is refused and its URL stays."""
    async with feed_server("127.0.0.2") as public, feed_server() as private:
        target = private.add_feed("/feed.xml", rss_feed(3))
        urls = {code: public.url(f"/redirect/1?code={code}&to={target}") for code in ("301", "308")}
        for code, url in urls.items():
            store.add_source(SourceSpec(name=f"moved {code}", url=url), now=clock.now)
        async with HttpFetcher(
            LIMITS, trust_env=False, address_policy=lambda a: a == STAND_IN_PUBLIC
        ) as fetcher:
            poller = Poller(fetcher=fetcher, store=store, scorer=matcher, clock=clock)
            for source in store.claim_all_enabled(now=clock.now, owner="t", lease_seconds=60):
                outcome = await poller.poll(source)
                assert outcome.error == refused_text("127.0.0.1")
        assert private.requests == []
    stored = {row.name: row.url for row in store.source_health()}
    assert stored == {f"moved {code}": url for code, url in urls.items()}
