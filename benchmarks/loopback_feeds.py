"""Serve COUNT loopback RSS feeds of ITEMS items on several 127.0.0.x addresses (for benchmarks).

Usage: python benchmarks/loopback_feeds.py COUNT ITEMS HOSTS URLS_FILE [validators|plain]
Writes one feed URL per line to URLS_FILE once every server listens, then serves until killed.
With `validators` (the default) feeds answer 304 to conditional requests, so a second poll
cycle is an "unchanged" cycle; with `plain` they send no ETag or Last-Modified and answer every
request 200 with the same bytes, as many real feeds do.
"""

from __future__ import annotations

import asyncio
import signal
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from aiohttp import web

from tests.support.feedserver import FeedServer, rss_feed


async def serve(count: int, items: int, hosts: int, urls_file: Path, mode: str) -> None:
    server = FeedServer()
    server.record_requests = False  # a benchmark must not grow a request log
    if mode == "plain":
        for i in range(count):
            body = rss_feed(items, title=f"Feed {i}", prefix=f"f{i}", summary_words=200)
            server.add_feed(f"/feeds/{i}.xml", body)
    else:
        server.add_feeds(count, items)
    paths = [f"feeds/{i}.xml" for i in range(count)]
    runner = web.AppRunner(server.build_app(), access_log=None)
    await runner.setup()
    ports = []
    for h in range(hosts):
        site = web.TCPSite(runner, f"127.0.0.{h + 1}", 0)
        await site.start()
    ports = [address[:2] for address in runner.addresses]
    urls = [
        f"http://{ports[i % len(ports)][0]}:{ports[i % len(ports)][1]}/{path}"
        for i, path in enumerate(paths)
    ]
    await asyncio.to_thread(urls_file.write_text, "\n".join(urls) + "\n", encoding="utf-8")
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    await runner.cleanup()


if __name__ == "__main__":
    count, items, hosts = (int(a) for a in sys.argv[1:4])
    mode = sys.argv[5] if len(sys.argv) > 5 else "validators"
    asyncio.run(serve(count, items, hosts, Path(sys.argv[4]), mode))
