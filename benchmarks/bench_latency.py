"""End-to-end latency: a matching item published on a feed -> the Telegram message arrives.

Run: python benchmarks/bench_latency.py [--items 10] [--interval 5] [--database-url URL]

Starts a loopback feed server and a fake Bot API in this process, and the real
`narcowatch run` as a subprocess with one subscribed chat. Publishes one matching item at a
time at random moments and measures, per item, publish -> message (the SPEC bar is the
source interval + 5 s) and, as the baseline in the same run, the part of it that is only
waiting for the next scheduled poll (publish -> the feed request that served the item): the
difference is narcowatch's own pipeline time (fetch, parse, match, store, outbox, send).
"""

from __future__ import annotations

import argparse
import asyncio
import random
import signal
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.support.cli import cli_env, start_cli, write_config
from tests.support.fake_bot_api import TOKEN, fake_bot_api
from tests.support.feedserver import feed_server, rss_feed

CHAT = 7007


def feed_of(count: int) -> bytes:
    items = "".join(
        f"<item><guid>lat-{i}</guid><title>Item {i}: China and Laos hold joint anti-drug "
        f"operation</title><link>http://example.org/lat/{i}</link><description>Police of both "
        "countries share intelligence on transnational heroin trafficking.</description></item>"
        for i in range(count)
    )
    return (
        f'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>{items}</channel></rss>'
    ).encode()


async def measure(items: int, interval: float, database_url: str | None) -> None:
    with tempfile.TemporaryDirectory(prefix="nw-latency-") as tmp:
        workdir = Path(tmp)
        async with feed_server() as feeds, fake_bot_api() as telegram:
            url = feeds.add_feed("/feed.xml", rss_feed(1, prefix="old"), etag='"v0"')
            config = write_config(
                workdir,
                [{"name": "latency", "url": url, "interval": f"{interval:g}s"}],
                database_url=database_url,
            )
            env = cli_env(TELEGRAM_BOT_TOKEN=TOKEN, TELEGRAM_API_BASE_URL=telegram.base_url)
            daemon = start_cli("run", "--config", str(config), env=env, output=workdir / "d")
            totals: list[float] = []
            # (total, wait for the poll) of the items whose serving request was seen: a pair per
            # item, so each pipeline time subtracts that item's own wait.
            paired: list[tuple[float, float]] = []
            try:
                await telegram.command("/subscribe drug-control-cooperation", chat_id=CHAT)
                await telegram.wait_for_text(CHAT, "Subscribed", within=60)
                while not feeds.requests_to("/feed.xml"):
                    await asyncio.sleep(0.05)
                for i in range(items):
                    await asyncio.sleep(random.uniform(0.2, interval))
                    served_before = len(feeds.requests_to("/feed.xml"))
                    published = time.monotonic()
                    feeds.add_feed("/feed.xml", feed_of(i + 1), etag=f'"v{i + 1}"')
                    await telegram.wait_for_text(CHAT, f"Item {i}:", within=interval + 30)
                    total = time.monotonic() - published
                    totals.append(total)
                    requests = feeds.requests_to("/feed.xml")
                    if len(requests) > served_before:
                        paired.append((total, max(requests[served_before].at - published, 0.0)))
            finally:
                daemon.send_signal(signal.SIGTERM)
                await asyncio.to_thread(daemon.wait, 20)
    print(
        f"items: {items}, source interval {interval:g} s, bar: <= interval + 5 = {interval + 5:g} s"
    )
    print(
        f"publish -> Telegram message: median {statistics.median(totals):.2f} s, "
        f"max {max(totals):.2f} s"
    )
    if paired:
        waits = [wait for _, wait in paired]
        overhead = [total - wait for total, wait in paired]
        print(
            f"baseline, waiting for the next poll: median {statistics.median(waits):.2f} s; "
            f"narcowatch's own pipeline: median {statistics.median(overhead):.2f} s, "
            f"max {max(overhead):.2f} s ({len(paired)} of {len(totals)} items had their "
            "serving request recorded)"
        )
    print("bar met" if max(totals) <= interval + 5 else "BAR MISSED")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--items", type=int, default=10)
    parser.add_argument("--interval", type=float, default=5.0)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    asyncio.run(measure(args.items, args.interval, args.database_url))


if __name__ == "__main__":
    main()
