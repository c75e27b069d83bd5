"""`/where Central Asia` end to end: a loopback feed of mixed news in English, Chinese and
Russian, the real daemon (`narcowatch run`) on SQLite and PostgreSQL, the fake Bot API."""

from __future__ import annotations

import asyncio
import signal
from pathlib import Path

import pytest

from tests.scale.cluster import Database, wait_for
from tests.support.cli import cli_env, start_cli, write_config
from tests.support.fake_bot_api import TOKEN, fake_bot_api
from tests.support.feedserver import feed_server, rss_feed

pytestmark = pytest.mark.slow

DESK = 5550101  # follows Central Asia
EVERYTHING = 5550102  # follows no places: gets every alert, so we know they all went out
TOPIC = "drug-control-cooperation"

CENTRAL_ASIAN = (
    (
        "ca-en",
        "Kazakhstan and Kyrgyzstan police seize heroin in joint operation",
        "The interior ministries of Kazakhstan and Kyrgyzstan dismantled a drug trafficking "
        "network in a joint operation coordinated by CARICC.",
    ),
    (
        "ca-ru",
        "МВД Узбекистана и Таджикистана провели совместную операцию против наркотрафика",
        "Полиция Узбекистана и Таджикистана изъяла крупную партию героина в ходе совместной "
        "спецоперации.",
    ),
    ("ca-zh", "中国与哈萨克斯坦开展禁毒合作", "中哈两国警方联合破获一起跨国贩毒案，缴获海洛因。"),
)
ELSEWHERE = (
    (
        "xx-en",
        "Mexico and United States navies seize cocaine in joint operation",
        "The Mexican Navy and the US Coast Guard seized 2 tonnes of cocaine in a coordinated "
        "anti-drug operation.",
    ),
    # Tajikistan is named, but only as the couriers' nationality: it did not act.
    (
        "xx-ru",
        "Китай и Лаос провели совместную операцию против наркотрафика",
        "Полиция Китая и Лаоса задержала наркокурьеров, граждан Таджикистана.",
    ),
    (
        "xx-zh",
        "中老缅泰第120次湄公河联合巡逻执法行动启动",
        "中国、老挝、缅甸、泰国四国执法部门开展联合巡逻，打击跨国贩毒活动。",
    ),
)


def feed_with(items: tuple[tuple[str, str, str], ...]) -> bytes:
    body = "".join(
        f"<item><guid>{guid}</guid><title>{title}</title><link>http://example.org/{guid}</link>"
        f"<description>{text}</description></item>"
        for guid, title, text in items
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>t</title>'
        f"{body}</channel></rss>"
    ).encode()


async def test_a_central_asia_desk_gets_the_central_asian_alerts_and_none_other(
    tmp_path: Path, database_url: str
) -> None:
    """Of six matching items (two per language), the chat following Central Asia gets the
    three in which a Central Asian country acted and none of the three others, while a chat
    following no places gets all six."""
    interval = 2.0
    async with feed_server() as feeds, fake_bot_api() as telegram:
        url = feeds.add_feed("/feed.xml", rss_feed(2, prefix="old"), etag='"v1"')
        config = write_config(
            tmp_path,
            [{"name": "Desk Wire", "url": url, "interval": f"{interval:g}s"}],
            database_url=database_url,
        )
        env = cli_env(TELEGRAM_BOT_TOKEN=TOKEN, TELEGRAM_API_BASE_URL=telegram.base_url)
        logs = tmp_path / "daemon"
        daemon = start_cli("run", "--config", str(config), env=env, output=logs)
        db = Database(database_url)
        try:
            for chat in (DESK, EVERYTHING):
                await telegram.command(f"/subscribe {TOPIC}", chat_id=chat)
                await telegram.wait_for_text(chat, "Subscribed to", within=30)
            await telegram.command("/where Central Asia", chat_id=DESK)
            await telegram.wait_for_text(DESK, "Alerts only when one of these acts")
            await wait_for(lambda: db.polled() == 1, deadline_s=30, what="the baseline poll")

            feeds.add_feed("/feed.xml", feed_with(CENTRAL_ASIAN + ELSEWHERE), etag='"v2"')
            for _guid, title, _text in CENTRAL_ASIAN + ELSEWHERE:
                await telegram.wait_for_text(EVERYTHING, title[:30], within=60)
            for _guid, title, _text in CENTRAL_ASIAN:
                await telegram.wait_for_text(DESK, title[:30], within=30)
            # Every alert has been sent to the other chat, and the desk's rows were made in the
            # same transaction: nothing more is owed to the desk. One more poll, then stop.
            polls = len(feeds.requests_to("/feed.xml"))
            await wait_for(
                lambda: len(feeds.requests_to("/feed.xml")) > polls,
                deadline_s=interval * 2 + 10,
                what="the poll after the alerts",
            )
        finally:
            db.close()
            daemon.send_signal(signal.SIGTERM)
            await asyncio.to_thread(daemon.wait, 15)
    stderr = logs.with_suffix(".stderr").read_text(encoding="utf-8")
    assert daemon.returncode == 0, stderr
    desk = [m.text for m in telegram.messages_to(DESK)]
    for _guid, title, _text in CENTRAL_ASIAN:
        assert sum(title[:30] in text for text in desk) == 1, title
    for _guid, title, _text in ELSEWHERE:
        assert not any(title[:30] in text for text in desk), title
