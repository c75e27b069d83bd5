"""Delivery benchmark: alerts to 2,000 subscribed chats through a fake Bot API enforcing limits.

Run: .venv/bin/python benchmarks/bench_delivery.py [--messages 2000] [--database-url URL]

One matching item fans out to N subscribed private chats (one outbox row each); the real
Telegram runtime (PTB over HTTP to a loopback fake Bot API that answers 429 beyond 30 messages
in any second overall or 3 in 3 s per chat) delivers them, ticked once a second as the daemon's
scheduler does. Prints messages/s (first to last accepted send), 429 answers, lost and duplicate
messages. SPEC 5 bar: >= 25 messages/s, no 429, none lost.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.core.models import Item, TermHit, TopicScore  # noqa: E402
from bot.services.ports import PollSuccess, StoredEntry  # noqa: E402
from bot.settings.model import TelegramSettings  # noqa: E402
from bot.storage import SourceSpec, create_engine_for, upgrade_engine  # noqa: E402
from bot.storage.telegram_queries import TelegramStore  # noqa: E402
from bot.telegram.runtime import telegram_runtime  # noqa: E402
from tests.support.fake_bot_api import fake_bot_api  # noqa: E402

TOPIC = "drug-control-cooperation"
BAR_RATE = 25.0


class BenchTopic:
    id = TOPIC
    title = "Drug-control cooperation"


def now() -> datetime:
    return datetime.now(UTC)


def prepare(store: TelegramStore, chats: int) -> None:
    """N subscribed chats and one stored match: N outbox rows."""
    store.sync_config_sources([SourceSpec(name="Wire", url="https://wire.example/feed")], now=now())
    source_id = store.source_health()[0].id
    for chat_id in range(1, chats + 1):
        store.upsert_chat(chat_id, type="private", title=None, now=now())
        store.subscribe(chat_id, TOPIC, now=now() - timedelta(seconds=1))
    score = TopicScore(TOPIC, 0.9, True, terms=(TermHit("anti-drug", "drug", 2),))
    title = "SCO members agree on a joint anti-drug agency"
    entry = StoredEntry(
        key="bench-1",
        canonical_link="https://wire.example/1",
        title_hash=hashlib.sha256(title.encode()).hexdigest(),
        item=Item(
            title=title, link="https://wire.example/1", summary="Joint work.", published=now()
        ),
        matches=(score,),
    )
    success = PollSuccess(now=now(), next_poll_at=now() + timedelta(minutes=15))
    store.save_poll(source_id, success, [entry], alert=True)


async def run(messages: int, database_url: str) -> int:
    engine = create_engine_for(database_url)
    upgrade_engine(engine)
    store = TelegramStore(engine)
    print(f"preparing {messages} chats ...", flush=True)
    prepare(store, messages)
    async with fake_bot_api() as fake:
        settings = TelegramSettings(token=fake.token, api_base_url=fake.base_url)
        async with telegram_runtime(
            settings,
            store,
            topics=lambda: [BenchTopic()],
            clock=now,
            owner="bench",
            receive_updates=False,
        ) as runtime:
            started = time.perf_counter()
            deadline = started + max(120.0, messages / 10)
            while len(fake.sent) < messages and time.perf_counter() < deadline:
                await runtime.deliver_tick()
                await asyncio.sleep(1.0)
            # A few more ticks: anything left over (or duplicated) would show now.
            for _ in range(2):
                await runtime.deliver_tick()
                await asyncio.sleep(0.5)
        sent = list(fake.sent)
        limited = fake.rate_limited
    backlog, _ = store.outbox_backlog(now())
    engine.dispose()
    chats = {m.chat_id for m in sent}
    lost = messages - len(chats)
    duplicates = len(sent) - len(chats)
    span = (sent[-1].at - sent[0].at) if len(sent) > 1 else float("nan")
    rate = (len(sent) - 1) / span if len(sent) > 1 and span > 0 else 0.0
    print(f"messages sent     {len(sent)} to {len(chats)} chats in {span:.1f} s")
    print(f"messages/s        {rate:.1f}   (bar >= {BAR_RATE:.0f})")
    print(f"429 answers       {limited}   (bar 0)")
    print(f"lost              {lost}   (bar 0; outbox backlog {backlog})")
    print(f"duplicates        {duplicates}")
    ok = rate >= BAR_RATE and limited == 0 and lost == 0 and duplicates == 0
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=2000, help="subscribed chats (messages)")
    parser.add_argument("--database-url", default=None, help="default: a temporary SQLite file")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite:///{tmp}/bench.db"
        return asyncio.run(run(args.messages, url))


if __name__ == "__main__":
    sys.exit(main())
