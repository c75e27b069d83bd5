"""Fixtures for the Telegram tests: a migrated TelegramStore, the fake Bot API, a running bot."""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
import pytest_asyncio

from bot.core.models import EntityHit, Item, TermHit, TopicScore
from bot.services.delivery_jobs import DeliveryOptions
from bot.services.ports import PollSuccess, Scorer, StoredEntry
from bot.settings.model import TelegramSettings
from bot.storage import SourceSpec, create_engine_for, upgrade_engine
from bot.storage.telegram_queries import TelegramStore
from bot.telegram.runtime import TelegramRuntime, telegram_runtime
from tests.support.fake_bot_api import FakeBotApi, fake_bot_api

TOPIC = "drug-control-cooperation"
ADMIN_ID = 777


@dataclass(frozen=True)
class FakeTopic:
    id: str
    title: str


TOPICS = (FakeTopic(TOPIC, "Drug-control cooperation"), FakeTopic("other", "Other things"))


@pytest.fixture(autouse=True)
def ptb_timedelta(monkeypatch: pytest.MonkeyPatch) -> None:
    """PTB 22 warns about int time attributes unless opted in; warnings are errors here."""
    monkeypatch.setenv("PTB_TIMEDELTA", "true")


@pytest.fixture
def tg_store(database_url: str) -> Iterator[TelegramStore]:
    """A migrated TelegramStore on each database kind."""
    engine = create_engine_for(database_url)
    upgrade_engine(engine)
    try:
        yield TelegramStore(engine)
    finally:
        engine.dispose()


def utc_now() -> datetime:
    return datetime.now(UTC)


def add_source(store: TelegramStore, name: str = "Wire") -> int:
    """A config source; returns its id."""
    store.sync_config_sources(
        [SourceSpec(name=name, url=f"https://{name.lower()}.example/feed")], now=utc_now()
    )
    return next(s.id for s in store.source_health() if s.name == name)


def add_chat(
    store: TelegramStore, chat_id: int, *, chat_type: str = "private", thread_id: int | None = None
) -> None:
    """A chat subscribed to the test topic."""
    store.upsert_chat(chat_id, type=chat_type, title=f"chat {chat_id}", now=utc_now())
    store.subscribe(chat_id, TOPIC, thread_id, now=utc_now() - timedelta(seconds=1))


def publish(
    store: TelegramStore,
    source_id: int,
    count: int = 1,
    *,
    title: str = "Item",
    key: str = "k",
    actors: tuple[str, ...] = ("CN", "RU", "SCO"),
) -> None:
    """Store `count` new matching items in which `actors` acted: one outbox row per
    subscribed chat (that follows one of the places, if it follows some) and item."""
    now = utc_now()
    score = TopicScore(
        topic=TOPIC,
        score=0.87,
        matched=True,
        terms=(TermHit("anti-drug", "drug", 2), TermHit("cooperation", "coop", 1)),
        entities=(EntityHit("SCO", "org"),),
        reasons=("drug term and cooperation signal",),
        actors=actors,
    )
    entries = []
    for n in range(count):
        item_title = f"{title} {key}{n}"
        entries.append(
            StoredEntry(
                key=f"{key}{n}",
                canonical_link=f"https://news.example/{key}{n}",
                title_hash=hashlib.sha256(item_title.encode()).hexdigest(),
                item=Item(
                    title=item_title,
                    link=f"https://news.example/{key}{n}",
                    summary="China and Russia agree on joint anti-drug work.",
                    published=now,
                ),
                matches=(score,),
            )
        )
    success = PollSuccess(now=now, next_poll_at=now + timedelta(minutes=15))
    store.save_poll(source_id, success, entries, alert=True)


def outbox_status(store: TelegramStore) -> dict[str, int]:
    """How many outbox rows are in each status."""
    from sqlalchemy import func, select

    from bot.storage.tables import OUTBOX

    with store.engine.begin() as conn:
        rows = conn.execute(select(OUTBOX.c.status, func.count()).group_by(OUTBOX.c.status)).all()
    return {status: count for status, count in rows}


@pytest_asyncio.fixture
async def fake() -> AsyncIterator[FakeBotApi]:
    """The fake Bot API, enforcing Telegram's limits."""
    async with fake_bot_api() as server:
        yield server


def settings_for(fake: FakeBotApi, **changes: object) -> TelegramSettings:
    return TelegramSettings(
        token=fake.token, api_base_url=fake.base_url, admins=(ADMIN_ID,), **changes
    )  # type: ignore[arg-type]


class Clock:
    """Real UTC time plus an offset the test can move forward (leases, retries, digests)."""

    def __init__(self) -> None:
        self.offset = timedelta()

    def __call__(self) -> datetime:
        return utc_now() + self.offset

    def shift(self, seconds: float) -> None:
        self.offset += timedelta(seconds=seconds)


@pytest.fixture
def clock() -> Clock:
    """The clock the bot runs on."""
    return Clock()


@pytest.fixture
def scorer() -> Scorer | None:
    """The daemon's matcher as the bot sees it (none here; /borderline tests give one)."""
    return None


@pytest_asyncio.fixture
async def bot(
    fake: FakeBotApi, tg_store: TelegramStore, clock: Clock, scorer: Scorer | None
) -> AsyncIterator[TelegramRuntime]:
    """The Telegram runtime against the fake (polling updates, delivering on `pump`)."""
    options = DeliveryOptions(lease_seconds=30)
    async with telegram_runtime(
        settings_for(fake),
        tg_store,
        topics=lambda: TOPICS,
        clock=clock,
        owner="test",
        options=options,
        scorer=lambda: scorer,
    ) as runtime:
        yield runtime


async def pump(runtime: TelegramRuntime, done: Callable[[], bool], within: float = 15.0) -> None:
    """Tick delivery (as the scheduler would, only faster) until `done()`; fail after `within`."""
    async with asyncio.timeout(within):
        while not done():
            await runtime.deliver_tick()
            await asyncio.sleep(0.05)
