"""Admin commands: only configured admins; /addsource refuses private addresses and bad feeds."""

from __future__ import annotations

import asyncio
import ipaddress
from collections.abc import AsyncIterator

import pytest
import pytest_asyncio

from bot.fetch import FetchLimits, HttpFetcher
from bot.services.delivery_jobs import DeliveryOptions
from bot.services.parse_jobs import Budget
from bot.services.parse_runner import ProcessRunner
from bot.storage.telegram_queries import TelegramStore
from bot.telegram.runtime import TelegramRuntime, telegram_runtime
from tests.support.fake_bot_api import FakeBotApi
from tests.support.feedserver import FeedServer, feed_server, rss_feed
from tests.telegram.conftest import ADMIN_ID, TOPICS, add_source, settings_for, utc_now


@pytest.fixture
def database_url(sqlite_url: str) -> str:
    """SQLite only: these tests are about Telegram; the store runs its contract on both."""
    return sqlite_url


@pytest.fixture(autouse=True)
def relaxed_limits(fake: FakeBotApi) -> None:
    """Command replies are not what these tests measure, so the fake does not throttle them."""
    fake.enforce_limits = False


async def test_non_admins_are_refused(bot: TelegramRuntime, fake: FakeBotApi) -> None:
    """A user not in telegram.admins gets a refusal for every admin command."""
    commands = (
        "/sources",
        "/addsource https://x.example/feed",
        "/rmsource 1",
        "/reload",
        "/models",
    )
    for text in commands:
        await fake.command(text, chat_id=50)
    await fake.wait_for(lambda s: sum("for narcowatch admins" in m.text for m in s) == 5)


async def test_admin_lists_pauses_and_removes_sources(
    bot: TelegramRuntime, fake: FakeBotApi, tg_store: TelegramStore
) -> None:
    """/sources lists them; /pausesource and /rmsource change them; bad ids get the usage."""
    source = add_source(tg_store, "Wire")
    await fake.command("/sources", chat_id=ADMIN_ID)
    await fake.wait_for_text(ADMIN_ID, f"{source}. Wire — ok")
    await fake.command(f"/pausesource {source}", chat_id=ADMIN_ID)
    await fake.wait_for_text(ADMIN_ID, "paused")
    assert tg_store.source_health()[0].paused is True
    await fake.command("/pausesource x", chat_id=ADMIN_ID)
    await fake.wait_for_text(ADMIN_ID, "Usage")
    await fake.command(f"/rmsource {source}", chat_id=ADMIN_ID)
    await fake.wait_for_text(ADMIN_ID, "removed")
    assert tg_store.source_health()[0].enabled is False


# Tests cannot reach a real public address, so 127.0.0.2 plays the public internet.
STAND_IN_PUBLIC = ipaddress.ip_address("127.0.0.2")


@pytest_asyncio.fixture
async def guarded_bot(fake: FakeBotApi, tg_store: TelegramStore) -> AsyncIterator[TelegramRuntime]:
    """A bot with the SSRF guard on, where only 127.0.0.2 counts as a public address."""
    async with (
        HttpFetcher(trust_env=False, address_policy=lambda a: a == STAND_IN_PUBLIC) as fetcher,
        telegram_runtime(
            settings_for(fake),
            tg_store,
            topics=lambda: TOPICS,
            clock=utc_now,
            owner="t",
            fetcher=fetcher,
            options=DeliveryOptions(),
        ) as runtime,
    ):
        yield runtime


async def test_addsource_refuses_private_addresses_by_default(
    guarded_bot: TelegramRuntime, fake: FakeBotApi, tg_store: TelegramStore
) -> None:
    """Loopback, link-local and unresolvable hosts all get the same refusal; none is added."""
    async with feed_server() as server:
        url = server.add_feed("/feed.xml", rss_feed(2, title="Internal"))
        for target in (url, "http://169.254.169.254/latest", "http://localhost:9/feed"):
            await fake.command(f"/addsource {target}", chat_id=ADMIN_ID)
        await fake.wait_for(lambda s: sum("not a public address" in m.text for m in s) == 3)
        assert server.requests == []
    assert tg_store.source_health() == []
    assert not any("Internal" in m.text for m in fake.sent)


async def test_addsource_redirect_to_loopback_is_refused(
    guarded_bot: TelegramRuntime, fake: FakeBotApi, tg_store: TelegramStore
) -> None:
    """A public feed URL that redirects to 127.0.0.1 is refused: no title echoed, no source."""
    async with feed_server("127.0.0.2") as public, feed_server() as private:
        target = private.add_feed("/feed.xml", rss_feed(2, title="Internal secret"))
        start = public.url(f"/redirect/1?code=301&to={target}")
        await fake.command(f"/addsource {start}", chat_id=ADMIN_ID)
        reply = await fake.wait_for_text(ADMIN_ID, "Not added")
        assert "refused 127.0.0.1: not a public address" in reply.text
        assert private.requests == []
    assert tg_store.source_health() == []


@pytest.mark.parametrize(
    "url",
    ["ftp://x.example/", "http://example.com:99999/feed", "http://[::1/feed", "http://:80/x"],
)
async def test_addsource_bad_urls_get_the_usage(
    bot: TelegramRuntime, fake: FakeBotApi, url: str
) -> None:
    """A URL that is not http(s), has a port out of range or a broken IPv6 host: the usage."""
    await fake.command(f"/addsource {url}", chat_id=ADMIN_ID)
    reply = await fake.wait_for_text(ADMIN_ID, "Usage")
    assert "/addsource" in reply.text


@pytest_asyncio.fixture
async def private_bot(fake: FakeBotApi, tg_store: TelegramStore) -> AsyncIterator[TelegramRuntime]:
    """A bot allowed to add loopback sources, with a real HTTP fetcher."""
    async with (
        HttpFetcher(trust_env=False) as fetcher,
        telegram_runtime(
            settings_for(fake, allow_private_sources=True),
            tg_store,
            topics=lambda: TOPICS,
            clock=utc_now,
            owner="t",
            fetcher=fetcher,
            options=DeliveryOptions(),
        ) as runtime,
    ):
        yield runtime


async def test_addsource_test_fetches_before_saving(
    private_bot: TelegramRuntime, fake: FakeBotApi, tg_store: TelegramStore
) -> None:
    """A working feed is added under the given name; a page that is no feed is not added."""
    async with feed_server() as server:
        good = server.add_feed("/news.xml", rss_feed(3))
        await fake.command(f"/addsource {good} Loopback News", chat_id=ADMIN_ID)
        await fake.wait_for_text(ADMIN_ID, "Added source")
        await fake.command(f"/addsource {server.url('/html')}", chat_id=ADMIN_ID)
        await fake.wait_for_text(ADMIN_ID, "Not added")
    names = [s.name for s in tg_store.source_health()]
    assert names == ["Loopback News"]


async def test_addsource_finds_the_feed_behind_a_site_page(
    private_bot: TelegramRuntime, fake: FakeBotApi, tg_store: TelegramStore
) -> None:
    """Given a page that links its feed, /addsource adds the feed's URL and says where it was."""
    async with feed_server() as server:
        feed = server.add_feed("/agency/rss.xml", rss_feed(2, title="Agency news"))
        page = server.add_feed(
            "/agency/",
            b'<!DOCTYPE html><html><head><link rel="alternate" type="application/rss+xml" '
            b'href="rss.xml"></head><body>Press</body></html>',
            content_type="text/html",
        )
        await fake.command(f"/addsource {page}", chat_id=ADMIN_ID)
        await fake.wait_for_text(ADMIN_ID, "Feed found at")
    (source,) = tg_store.source_health()
    assert (source.name, source.url) == ("Agency news", feed)


async def test_addsource_parses_in_the_worker_pool_within_the_budget(
    fake: FakeBotApi, tg_store: TelegramStore
) -> None:
    """Guards finding 1 for /addsource: the test parse runs in the daemon's worker pool with
    the source budget, so a body that parses too long is not added and the bot carries on.
    A budget spent before the job starts is refused without sending the job, so no worker is
    killed for it (issue 17)."""
    budget = Budget(0.0)  # spent before the job starts: refused whatever the body
    async with (
        HttpFetcher(trust_env=False) as fetcher,
        ProcessRunner(1) as runner,
        telegram_runtime(
            settings_for(fake, allow_private_sources=True),
            tg_store,
            topics=lambda: TOPICS,
            clock=utc_now,
            owner="t",
            fetcher=fetcher,
            parse=lambda job: runner.parse(job, budget),
            options=DeliveryOptions(),
        ),
        feed_server() as server,
    ):
        url = server.add_feed("/news.xml", rss_feed(3))
        await fake.command(f"/addsource {url}", chat_id=ADMIN_ID)
        await fake.wait_for_text(ADMIN_ID, "parse budget of 0s exceeded")
        assert runner.replaced == 0
    assert tg_store.source_health() == []


async def until_requested(server: FeedServer, path: str, within: float = 10.0) -> None:
    """Wait until the feed server has received a request for `path`."""
    async with asyncio.timeout(within):
        while not server.requests_to(path):
            await asyncio.sleep(0.02)


async def test_a_slow_addsource_holds_up_no_other_chat(
    fake: FakeBotApi, tg_store: TelegramStore
) -> None:
    """While /addsource tries a page's 12 hanging feeds, other chats get their answers at once;
    the admin's next command waits for the /addsource answer (each chat keeps its order), and
    discovery gives up at its budget."""
    links = "".join(
        f'<link rel="alternate" type="application/rss+xml" href="/hang/{n}.xml">' for n in range(12)
    )
    async with (
        HttpFetcher(FetchLimits(timeout_s=30.0), trust_env=False) as fetcher,
        feed_server() as server,
        telegram_runtime(
            settings_for(fake, allow_private_sources=True),
            tg_store,
            topics=lambda: TOPICS,
            clock=utc_now,
            owner="t",
            fetcher=fetcher,
            options=DeliveryOptions(),
            discovery_budget_s=6.0,
        ),
    ):
        page = server.add_feed(
            "/site/", f"<html><head>{links}</head></html>".encode(), content_type="text/html"
        )
        for n in range(12):
            server.add_feed(f"/hang/{n}.xml", rss_feed(1), delay=120)
        await fake.command(f"/addsource {page}", chat_id=ADMIN_ID)
        await fake.command("/sources", chat_id=ADMIN_ID)
        await until_requested(server, "/hang/0.xml")
        await fake.command("/help", chat_id=60)
        await fake.command("/topics", chat_id=61)
        await fake.wait_for_text(60, "/subscribe", within=5.0)
        await fake.wait_for_text(61, "drug-control-cooperation", within=5.0)
        assert fake.messages_to(ADMIN_ID) == []  # still busy with the hanging feeds

        await fake.wait_for(lambda _: len(fake.messages_to(ADMIN_ID)) == 2, within=30.0)
        first, second = (m.text for m in fake.messages_to(ADMIN_ID))
        assert first.startswith("Not added")
        assert "discovery stopped after 6 s; 13 more not tried" in first
        assert "0 sources" in second
    assert len([r for r in server.requests if r.path.startswith("/hang/")]) == 1
