"""User-Agent and headers from config reach the server: global ones, and a source's own."""

from __future__ import annotations

import pytest

from bot import USER_AGENT
from bot.fetch import HttpFetcher
from bot.runtime import fetch_limits, source_specs
from bot.services.poll import Poller
from bot.services.ports import Scorer
from bot.settings import Settings
from bot.storage import Store
from tests.sources.conftest import Clock
from tests.support.feedserver import FeedServer, rss_feed


def settings_for(polling: dict[str, object], sources: list[dict[str, object]]) -> Settings:
    return Settings.model_validate({"polling": polling, "sources": sources})


async def poll_every_source(
    store: Store, settings: Settings, matcher: Scorer, clock: Clock
) -> None:
    store.sync_config_sources(source_specs(settings), now=clock.now)
    async with HttpFetcher(fetch_limits(settings), trust_env=False) as fetcher:
        poller = Poller(fetcher=fetcher, store=store, scorer=matcher, clock=clock)
        for source in store.claim_due_sources(now=clock.now, limit=9, owner="t", lease_seconds=60):
            assert (await poller.poll(source)).ok


async def test_global_and_per_source_headers_are_sent(
    store: Store, matcher: Scorer, clock: Clock, feedserver: FeedServer
) -> None:
    """polling.headers go everywhere; a source's user_agent and headers win for that source."""
    settings = settings_for(
        {"user_agent": "Mozilla/5.0 (compatible; test)", "headers": {"Accept-Language": "zh"}},
        [
            {"name": "plain", "url": feedserver.add_feed("/a.xml", rss_feed(1))},
            {
                "name": "own",
                "url": feedserver.add_feed("/b.xml", rss_feed(1)),
                "user_agent": "SourceAgent/1.0",
                "headers": {"Accept-Language": "ru", "X-Api-Key": "k1"},
            },
        ],
    )
    await poll_every_source(store, settings, matcher, clock)

    (plain,) = feedserver.requests_to("/a.xml")
    (own,) = feedserver.requests_to("/b.xml")
    assert plain.headers["user-agent"] == "Mozilla/5.0 (compatible; test)"
    assert plain.headers["accept-language"] == "zh"
    assert "x-api-key" not in plain.headers
    assert own.headers["user-agent"] == "SourceAgent/1.0"
    assert (own.headers["accept-language"], own.headers["x-api-key"]) == ("ru", "k1")


async def test_the_default_user_agent_is_narcowatchs_own(
    store: Store, matcher: Scorer, clock: Clock, feedserver: FeedServer
) -> None:
    """Without any setting the honest narcowatch User-Agent goes out, with no extra headers."""
    settings = settings_for({}, [{"name": "a", "url": feedserver.add_feed("/c.xml", rss_feed(1))}])
    await poll_every_source(store, settings, matcher, clock)

    (request,) = feedserver.requests_to("/c.xml")
    assert request.headers["user-agent"] == USER_AGENT
    assert USER_AGENT.startswith("narcowatch/")


@pytest.mark.parametrize(
    ("where", "bad"),
    [
        ("polling", {"headers": {"Bad Name": "x"}}),
        ("polling", {"headers": {"X-Evil": "a\r\nInjected: 1"}}),
        ("source", {"user_agent": "  "}),
        ("source", {"headers": {"X-Ok": "caf\u00e9"}}),
    ],
)
def test_bad_headers_are_config_errors(where: str, bad: dict[str, object]) -> None:
    """Header names must be tokens and values one line of printable ASCII."""
    from pydantic import ValidationError

    source: dict[str, object] = {"name": "s", "url": "http://example.org/feed"}
    polling, sources = (bad, [source]) if where == "polling" else ({}, [{**source, **bad}])
    with pytest.raises(ValidationError):
        settings_for(polling, sources)
