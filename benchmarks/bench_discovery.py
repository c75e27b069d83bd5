"""Feed discovery under attack (issue 17, finding 4): requests per page, and other users' wait.

Run: python benchmarks/bench_discovery.py

Part 1 runs discovery (the daemon's HttpFetcher, 5 s timeout) on a loopback page linking
3,000 feeds, none of them there, and counts the requests the feed server gets; the baseline in
the same run is a page linking one feed that is not there.

Part 2 runs the Telegram side (python-telegram-bot against the fake Bot API) and measures how
long five other chats wait for their /help answers, first with nothing else going on (the
baseline), then while an admin's /addsource tries a page whose 12 linked feeds never answer;
and how long that /addsource takes. Bars: at most 15 requests for any page; other chats
answered as fast as in the baseline (well under a second); /addsource within the discovery
budget (20 s) plus one fetch timeout.
"""

from __future__ import annotations

import asyncio
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.fetch import FetchLimits, HttpFetcher
from bot.services.delivery_jobs import DeliveryOptions
from bot.services.discovery import discover_feed
from bot.storage import create_engine_for, upgrade_engine
from bot.storage.telegram_queries import TelegramStore
from bot.telegram.runtime import telegram_runtime
from tests.support.fake_bot_api import FakeBotApi, fake_bot_api
from tests.support.feedserver import FeedServer, feed_server, rss_feed
from tests.telegram.conftest import ADMIN_ID, TOPICS, settings_for, utc_now

TIMEOUT_S = 5.0
HTML = "text/html"


def linking(paths: list[str]) -> bytes:
    links = "".join(f'<link rel="alternate" type="application/rss+xml" href="{p}">' for p in paths)
    return f"<html><head>{links}</head><body>Site</body></html>".encode()


async def requests_for(server: FeedServer, fetcher: HttpFetcher, links: int) -> int:
    server.reset()
    paths = [f"/f{links}/{n}.xml" for n in range(links)]
    page = server.add_feed(f"/site{links}/", linking(paths), content_type=HTML)
    await discover_feed(fetcher, page)
    return len(server.requests)


async def help_waits(fake: FakeBotApi, chats: range) -> list[float]:
    waits = []
    for chat in chats:
        sent = time.monotonic()
        await fake.command("/help", chat_id=chat)
        await fake.wait_for_text(chat, "/subscribe", within=300)
        waits.append(time.monotonic() - sent)
    return waits


async def main() -> None:
    os.environ.setdefault("PTB_TIMEDELTA", "true")
    async with feed_server() as server, HttpFetcher(FetchLimits(timeout_s=TIMEOUT_S)) as fetcher:
        one = await requests_for(server, fetcher, 1)
        many = await requests_for(server, fetcher, 3000)
        print(f"discovery requests: page linking 1 feed {one}, page linking 3,000 feeds {many}")

    folder = Path(tempfile.mkdtemp())
    engine = create_engine_for(f"sqlite:///{folder / 'bench.db'}")
    upgrade_engine(engine)
    store = TelegramStore(engine)
    async with (
        fake_bot_api() as fake,
        feed_server() as server,
        HttpFetcher(FetchLimits(timeout_s=TIMEOUT_S), trust_env=False) as fetcher,
        telegram_runtime(
            settings_for(fake, allow_private_sources=True),
            store,
            topics=lambda: TOPICS,
            clock=utc_now,
            owner="bench",
            fetcher=fetcher,
            options=DeliveryOptions(),
        ),
    ):
        fake.enforce_limits = False
        hanging = [f"/hang/{n}.xml" for n in range(12)]
        page = server.add_feed("/site/", linking(hanging), content_type=HTML)
        for path in hanging:
            server.add_feed(path, rss_feed(1), delay=600)
        idle = await help_waits(fake, range(60, 65))
        started = time.monotonic()
        await fake.command(f"/addsource {page}", chat_id=ADMIN_ID)
        while not server.requests_to(hanging[0]):
            await asyncio.sleep(0.01)
        busy = await help_waits(fake, range(70, 75))
        await fake.wait_for(lambda _: bool(fake.messages_to(ADMIN_ID)), within=300)
        took = time.monotonic() - started
        tried = sum(1 for r in server.requests if r.path.startswith("/hang/"))
    engine.dispose()
    print(
        f"other chats' /help answer: median {statistics.median(idle) * 1000:.1f} ms, "
        f"max {max(idle) * 1000:.1f} ms with nothing else going on; "
        f"median {statistics.median(busy) * 1000:.1f} ms, max {max(busy) * 1000:.1f} ms "
        "while /addsource tries 12 hanging feeds"
    )
    print(f"/addsource answered after {took:.1f} s, {tried} of the 12 hanging feeds requested")
    print("answer:", fake.messages_to(ADMIN_ID)[0].text)


if __name__ == "__main__":
    asyncio.run(main())
