"""Source health in Telegram: reports to admins, /sources and /status, against the fake Bot API."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest_asyncio

from bot.services.ports import PollFailure
from bot.settings.model import TelegramSettings
from bot.storage import SourceSpec, create_engine_for, upgrade_engine
from bot.storage.telegram_queries import TelegramStore
from bot.telegram.runtime import TelegramRuntime, telegram_runtime
from tests.support.fake_bot_api import FakeBotApi, fake_bot_api

ADMIN, OTHER_ADMIN, USER = 777, 778, 4242


@pytest_asyncio.fixture
async def setup(tmp_path: Path) -> AsyncIterator[tuple[FakeBotApi, TelegramStore, TelegramRuntime]]:
    """A running bot with two admins, on a fresh SQLite store, against the fake Bot API."""
    engine = create_engine_for(f"sqlite:///{tmp_path / 'nw.db'}")
    upgrade_engine(engine)
    store = TelegramStore(engine)
    async with fake_bot_api() as fake:
        settings = TelegramSettings(
            token=fake.token, api_base_url=fake.base_url, admins=(ADMIN, OTHER_ADMIN)
        )
        async with telegram_runtime(
            settings, store, topics=lambda: (), clock=lambda: datetime.now(UTC), owner="t"
        ) as runtime:
            yield fake, store, runtime
    engine.dispose()


async def test_reports_reach_every_admin_that_can_be_reached(
    setup: tuple[FakeBotApi, TelegramStore, TelegramRuntime],
) -> None:
    """Each admin gets the messages in a private chat; one who blocked the bot does not stop
    the report counting as delivered."""
    fake, _, runtime = setup
    fake.fail(OTHER_ADMIN, "forbidden")
    assert await runtime.tell_admins(["⚠️ <b>Source unhealthy</b>: 1. Wire — down"]) is True
    [message] = fake.messages_to(ADMIN)
    assert message.parse_mode == "HTML"
    assert "Source unhealthy" in message.text


async def test_reports_blocked_by_transient_errors_are_retried(
    setup: tuple[FakeBotApi, TelegramStore, TelegramRuntime],
) -> None:
    """When every admin fails with a 5xx the caller is told to try again later."""
    fake, _, runtime = setup
    fake.fail(ADMIN, "5xx")
    fake.fail(OTHER_ADMIN, "5xx")
    assert await runtime.tell_admins(["news"]) is False
    assert fake.messages_to(ADMIN) == []


async def test_sources_and_status_show_unhealthy_sources(
    setup: tuple[FakeBotApi, TelegramStore, TelegramRuntime],
) -> None:
    """/sources marks a reported source and its failures; /status counts and names it."""
    fake, store, _ = setup
    now = datetime.now(UTC)
    store.sync_config_sources([SourceSpec(name="Wire", url="https://wire.example/")], now=now)
    source_id = store.source_health()[0].id
    for _ in range(5):
        failure = PollFailure(now=now, next_poll_at=now, error="HTTP 503", error_kind="http")
        store.save_failure(source_id, failure)
    assert store.set_health_reported(source_id, True) is True

    await fake.command("/sources", chat_id=ADMIN)
    sources = await fake.wait_for_text(ADMIN, "sources", within=15)
    assert "failing ×5: HTTP 503 (reported unhealthy)" in sources.text
    await fake.command("/status", chat_id=USER)
    status = await fake.wait_for_text(USER, "This chat", within=15)
    assert "Sources: 1 watched, 1 failing (Wire); 1 reported unhealthy to admins" in status.text
