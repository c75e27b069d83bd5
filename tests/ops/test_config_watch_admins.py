"""A rejected config edit reaches the admins in Telegram (fake Bot API), escaped, once."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest_asyncio

from bot.config_watch import ConfigWatcher
from bot.errors import ConfigError
from bot.services.configuration import load_configuration
from bot.settings.model import TelegramSettings
from bot.storage import create_engine_for, upgrade_engine
from bot.storage.telegram_queries import TelegramStore
from bot.telegram.runtime import TelegramRuntime, telegram_runtime
from tests.matching.test_tune import TOPIC
from tests.support.fake_bot_api import FakeBotApi, fake_bot_api

ADMIN = 777


@pytest_asyncio.fixture
async def bot(tmp_path: Path) -> AsyncIterator[tuple[FakeBotApi, TelegramRuntime]]:
    """A running bot with one admin, against the fake Bot API."""
    engine = create_engine_for(f"sqlite:///{tmp_path / 'nw.db'}")
    upgrade_engine(engine)
    async with fake_bot_api() as fake:
        settings = TelegramSettings(token=fake.token, api_base_url=fake.base_url, admins=(ADMIN,))
        async with telegram_runtime(
            settings,
            TelegramStore(engine),
            topics=lambda: (),
            clock=lambda: datetime.now(UTC),
            owner="t",
        ) as runtime:
            await runtime.ready.wait()
            yield fake, runtime
    engine.dispose()


async def test_a_broken_topic_edit_is_sent_to_admins_with_file_and_line(
    tmp_path: Path, bot: tuple[FakeBotApi, TelegramRuntime]
) -> None:
    """The admin gets one message naming each problem as file:line, HTML in it escaped; later
    checks of the same broken file send nothing more."""
    fake, runtime = bot
    topic = tmp_path / "animals.yaml"
    topic.write_text(TOPIC, encoding="utf-8")
    config = tmp_path / "narcowatch.yaml"
    config.write_text(f"topics: [{topic}]\n", encoding="utf-8")

    async def reload() -> list[str]:
        try:
            load_configuration(config, env={})
        except ConfigError as exc:
            return [str(problem) for problem in exc.problems]
        return []

    watcher = ConfigWatcher(
        files=lambda: [config, topic],
        reload=reload,
        clock=time.monotonic,
        debounce_s=0.0,
        notify=runtime.tell_admins,
    )
    await watcher.start()
    topic.write_text(TOPIC.replace("threshold: 0.2", "threshold: 2") + "<b>: 1\n", "utf-8")
    assert await watcher.tick()
    message = await fake.wait_for_text(ADMIN, "config edit was rejected", within=15)
    assert f"{topic}:3:" in message.text
    assert message.parse_mode == "HTML"
    assert "unknown key &#x27;&lt;b&gt;&#x27;" in message.text  # escaped, so it shows as text
    for _ in range(3):
        assert not await watcher.tick()
    assert len(fake.messages_to(ADMIN)) == 1
