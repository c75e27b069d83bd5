"""End to end through the real CLI: a loopback feed, `narcowatch run`, a fake Bot API."""

from __future__ import annotations

import asyncio
import signal
import time
from pathlib import Path

import pytest

from tests.scale.cluster import Database, wait_for
from tests.support.cli import cli_env, start_cli, write_config
from tests.support.fake_bot_api import TOKEN, fake_bot_api
from tests.support.feedserver import feed_server, rss_feed

pytestmark = pytest.mark.slow

USER = 5550001
TOPIC = "drug-control-cooperation"


def feed_with(*items: tuple[str, str, str]) -> bytes:
    body = "".join(
        f"<item><guid>{guid}</guid><title>{title}</title><link>http://example.org/{guid}</link>"
        f"<description>{text}</description></item>"
        for guid, title, text in items
    )
    return (
        f'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>{body}</channel></rss>'
    ).encode()


MATCHING = (
    "m1",
    "Thailand, Laos &amp; Myanmar: 3 &lt; 4 joint anti-drug patrols",
    "The three countries will share intelligence on transnational methamphetamine trafficking "
    "in the Golden Triangle with UNODC support.",
)
NOT_MATCHING = ("n1", "City council approves new park", "A park will open in spring.")


async def test_subscriber_gets_only_matching_items_within_interval_plus_5s(
    tmp_path: Path,
) -> None:
    """/start and /subscribe answer; a new matching item reaches the subscriber as an escaped
    HTML alert within the source interval + 5 s; a non-matching one never does."""
    interval = 2.0
    async with feed_server() as feeds, fake_bot_api() as telegram:
        url = feeds.add_feed("/feed.xml", rss_feed(2, prefix="old"), etag='"v1"')
        config = write_config(
            tmp_path, [{"name": "Mekong Times", "url": url, "interval": f"{interval:g}s"}]
        )
        env = cli_env(TELEGRAM_BOT_TOKEN=TOKEN, TELEGRAM_API_BASE_URL=telegram.base_url)
        logs = tmp_path / "daemon"
        daemon = start_cli("run", "--config", str(config), env=env, output=logs)
        db = Database(f"sqlite:///{tmp_path / 'narcowatch.db'}")
        try:
            await telegram.command("/start", chat_id=USER)
            welcome = await telegram.wait_for_text(USER, "Tap a topic", within=30)
            assert welcome.reply_markup is not None, "topics are offered as buttons"
            await telegram.command(f"/subscribe {TOPIC}", chat_id=USER)
            await telegram.wait_for_text(USER, "Subscribed to")
            before = len(telegram.messages_to(USER))
            await wait_for(lambda: db.polled() == 1, deadline_s=30, what="the baseline poll")

            published = time.monotonic()
            feeds.add_feed("/feed.xml", feed_with(MATCHING, NOT_MATCHING), etag='"v2"')
            alert = await telegram.wait_for_text(USER, "joint anti-drug patrols", within=20)
            latency = time.monotonic() - published
            # A wrong second alert would come from a later poll: wait for one, then stop (which
            # hands over or finishes every send) before counting.
            polls = len(feeds.requests_to("/feed.xml"))
            await wait_for(
                lambda: len(feeds.requests_to("/feed.xml")) > polls,
                deadline_s=interval * 2 + 10,
                what="the poll after the alert",
            )
        finally:
            db.close()
            daemon.send_signal(signal.SIGTERM)
            await asyncio.to_thread(daemon.wait, 15)
    stderr = logs.with_suffix(".stderr").read_text(encoding="utf-8")
    assert daemon.returncode == 0, stderr
    assert latency <= interval + 5
    assert alert.parse_mode == "HTML"
    assert "Laos &amp; Myanmar: 3 &lt; 4 joint" in alert.text, "feed text is escaped"
    assert "Mekong Times" in alert.text
    assert alert.link_preview_disabled is True
    later = telegram.messages_to(USER)[before:]
    assert [m for m in later if "joint anti-drug patrols" in m.text] == [alert]
    assert not any("City council" in m.text for m in later)
    assert TOKEN not in stderr
    assert TOKEN.split(":")[1] not in stderr
