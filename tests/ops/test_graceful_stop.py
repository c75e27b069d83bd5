"""SIGTERM during a poll burst and a delivery burst: exit 0 within 10 s, nothing lost or doubled."""

from __future__ import annotations

import asyncio
import signal
import subprocess
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine, text

from bot.storage import open_store
from tests.scale.cluster import wait_for
from tests.support.cli import cli_env, free_port, run_cli, start_cli, write_config
from tests.support.fake_bot_api import TOKEN, FakeBotApi, fake_bot_api
from tests.support.feedserver import FeedServer, feed_server, rss_feed

pytestmark = pytest.mark.slow

FEEDS = 100
SLOW_EVERY = 10  # every 10th feed answers after 4 s, so polls are in flight at any moment
CHATS = [7_000_000 + n for n in range(25)]
TOPIC = "drug-control-cooperation"
STORIES = {
    "s0": (
        "China and Myanmar agree joint anti-drug operations",
        "The Ministry of Public Security and Myanmar police will share intelligence on drug "
        "trafficking in the Golden Triangle under a new memorandum with UNODC support.",
    ),
    "s1": (
        "SCO members back a regional anti-drug agency",
        "Kazakhstan, Russia and China proposed that the Shanghai Cooperation Organisation set up "
        "a centre to counter narcotics smuggling from Afghanistan and precursor chemical "
        "diversion.",
    ),
    "s2": (
        "Russia and China sign protocol on narcotics control",
        "Moscow and Beijing will exchange liaison officers and hold joint training for police "
        "units fighting heroin and methamphetamine trafficking across the border.",
    ),
    "s3": (
        "Philippines and China expand drug enforcement cooperation",
        "Manila's drug enforcement agency and Chinese counterparts signed an agreement on "
        "information sharing about shabu shipments and money laundering networks.",
    ),
    "s5": (
        "Mekong countries launch joint patrols against opium smuggling",
        "Thailand, Laos, Myanmar and China agreed to coordinate river patrols and intelligence "
        "exchange targeting heroin and synthetic drug traffickers in the Mekong basin.",
    ),
    "s6": (
        "CARICC hosts Central Asian meeting on precursor control",
        "Delegations from Tajikistan, Uzbekistan and Kyrgyzstan discussed controlled deliveries "
        "and joint investigations of drug trafficking with the regional information centre.",
    ),
    "s7": (
        "UNODC and China train border officers in drug interdiction",
        "A programme run with the United Nations Office on Drugs and Crime teaches customs and "
        "police officers to detect narcotics and new psychoactive substances at crossings.",
    ),
}
ALERTS = len(CHATS) * len(STORIES)
# All feeds share one host (127.0.0.1): lift the per-host limit so 20 polls run at once.
POLLING = {"interval": "1s", "timeout": "5s", "concurrency": 20, "per_host": 20}


def serve(server: FeedServer, i: int, story: str | None = None, *, slow: bool = False) -> str:
    body = rss_feed(3, prefix=f"g{i}", summary_words=8)
    if story is not None:
        title, summary = STORIES[story]
        item = (
            f"<item><guid>{story}</guid><title>{title}</title>"
            f"<link>http://example.org/{story}</link><description>{summary}</description></item>"
        )
        body = body.replace(b"<language>en</language>", b"<language>en</language>" + item.encode())
    delay = 4.0 if slow and i % SLOW_EVERY == 0 else 0.0
    etag = f'"g{i}-{story}"'
    return server.add_feed(f"/g/{i}.xml", body, etag=etag, delay=delay)


def outbox(database_url: str) -> Counter[str]:
    engine = create_engine(database_url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(text("SELECT status, count(*) FROM outbox GROUP BY status")).all()
    finally:
        engine.dispose()
    return Counter({status: count for status, count in rows})


def alerts_received(telegram: FakeBotApi) -> Counter[tuple[int, str]]:
    """(chat, story) -> how many alert messages the fake accepted for it."""
    found: Counter[tuple[int, str]] = Counter()
    for message in telegram.sent:
        for guid, (title, _) in STORIES.items():
            if title in message.text:
                found[(message.chat_id, guid)] += 1
    return found


async def stop(daemon: subprocess.Popen[str]) -> float:
    """SIGTERM the daemon; return how long it took to exit."""
    sent = time.monotonic()
    daemon.send_signal(signal.SIGTERM)
    await asyncio.to_thread(daemon.wait, 20)
    return time.monotonic() - sent


async def test_sigterm_under_load_exits_quickly_and_loses_no_alert(tmp_path: Path) -> None:
    """With 100 feeds being polled (some slow) and 175 alerts going out, SIGTERM exits 0 within
    10 s with no alert half-sent; after a restart every alert reaches its chat exactly once."""
    database_url = f"sqlite:///{tmp_path / 'nw.db'}"
    port = free_port()
    async with feed_server() as feeds, fake_bot_api() as telegram:
        urls = [serve(feeds, i) for i in range(FEEDS)]
        sources = [
            {"name": f"feed {i}", "url": url, "interval": "1s"} for i, url in enumerate(urls)
        ]
        config = write_config(
            tmp_path,
            sources,
            database_url=database_url,
            health_port=port,
            extra={"polling": POLLING},
        )
        baseline = await asyncio.to_thread(run_cli, "poll", "--once", "--config", str(config))
        assert baseline.returncode == 0, baseline.stderr
        store = open_store(database_url)
        for chat_id in CHATS:
            store.upsert_chat(chat_id, type="private", title=None, now=datetime.now(UTC))
            store.subscribe(chat_id, TOPIC, now=datetime.now(UTC))
        store.close()
        stories = dict(enumerate(STORIES, start=1))
        for n, guid in stories.items():
            serve(feeds, n, guid)
        queued = await asyncio.to_thread(run_cli, "poll", "--once", "--config", str(config))
        assert queued.returncode == 0, queued.stderr
        assert outbox(database_url) == {"pending": ALERTS}
        for i in range(FEEDS):  # slow feeds from now on: the daemon's polls are in flight
            serve(feeds, i, stories.get(i), slow=True)

        env = cli_env(TELEGRAM_BOT_TOKEN=TOKEN, TELEGRAM_API_BASE_URL=telegram.base_url)
        feeds.reset()
        first = start_cli("run", "--config", str(config), env=env, output=tmp_path / "first")
        try:
            await telegram.wait_for(lambda sent: len(sent) >= 40, within=30)
            async with httpx.AsyncClient(trust_env=False) as client:
                page = (await client.get(f"http://127.0.0.1:{port}/metrics", timeout=5)).text
            polls_during_run = len(feeds.requests)
        finally:
            first_stop = await stop(first)
        assert first.returncode == 0, (tmp_path / "first.stderr").read_text()
        assert first_stop < 10
        backlog = next(
            line for line in page.splitlines() if line.startswith("narcowatch_outbox_backlog ")
        )
        assert float(backlog.split()[1]) > 0
        after_stop = outbox(database_url)
        received = alerts_received(telegram)
        assert after_stop["sending"] == 0, "SIGTERM left rows half-sent"
        assert after_stop["sent"] == sum(received.values()), "every accepted send is recorded"
        assert 0 < after_stop["sent"] < ALERTS, "the stop came in the middle of the burst"
        assert polls_during_run >= 50, "polls were under way when the stop came"
        stopping = next(
            line
            for line in (tmp_path / "first.stderr").read_text().splitlines()
            if "daemon.stopping" in line
        )
        assert "polls_in_flight=0 " not in stopping + " ", "the stop came during slow polls"

        for i in range(FEEDS):  # the restart is about the alerts left: fast feeds again
            serve(feeds, i, stories.get(i))
        second = start_cli("run", "--config", str(config), env=env, output=tmp_path / "second")
        try:
            await wait_for(
                lambda: outbox(database_url)["sent"] == ALERTS,
                deadline_s=45,
                what=f"all {ALERTS} alerts sent after the restart",
                every_s=0.5,
            )
        finally:
            second_stop = await stop(second)
        assert second.returncode == 0, (tmp_path / "second.stderr").read_text()
        assert second_stop < 10
    assert outbox(database_url) == {"sent": ALERTS}
    received = alerts_received(telegram)
    assert set(received) == {(chat, guid) for chat in CHATS for guid in STORIES}
    assert set(received.values()) == {1}, "no alert was sent twice"
    print(f"stop times: {first_stop:.2f}s under load, {second_stop:.2f}s after the rest")
