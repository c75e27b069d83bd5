"""The flood-plus-slow-pages run of issue 17, black-box through `narcowatch run`.

Loopback sources, served by one aiohttp app on 127.0.0.1:
- a JSON Feed of 30,000 small items whose ids change on every request (`/flood.json`);
- feeds whose items (drug words in the headline, no text) link to article pages of 4.5 MB of
  one-line paragraphs, which take trafilatura minutes (`/slow<k>.xml`, `/page/...`); their ids
  and links change on every request too, so every poll has pages to read;
- normal feeds gaining an item every 6 s (`/normal<k>.xml`).

Meanwhile `/healthz` is probed, the database is watched for each normal item (when it was
first seen stored), and the daemon's resident memory with its worker processes is sampled;
then SIGTERM. Shared by tests/integration/test_flood_and_slow_pages.py (a short run) and
benchmarks/bench_hostile.py (the full 90 s run).
"""

from __future__ import annotations

import asyncio
import json
import re
import signal
import sqlite3
import subprocess
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from typing import Any

import httpx
from aiohttp import web

from tests.support import hostile
from tests.support.cli import free_port, start_cli, write_config
from tests.support.webserve import serve_app

TOKEN = b"@REQ@NO@"  # replaced by the request number in the prebuilt flood body
FLOOD = "flood"
HEADLINES = (
    "Police seize heroin in cross-border drug trafficking case",
    "Customs seize cocaine and heroin at the port",
    "Drug trafficking ring broken up by police",
)


@dataclass(frozen=True)
class FloodPlan:
    """What to run, and for how long."""

    seconds: float = 90.0
    flood_items: int = 30_000
    slow_feeds: int = 2
    slow_items: int = 5
    page_bytes: int = 4_500_000
    normal_feeds: int = 3
    normal_every_s: float = 6.0
    interval: str = "5s"
    probe_every_s: float = 0.5
    probe_timeout_s: float = 5.0
    stop_wait_s: float = 30.0
    extra_config: dict[str, Any] = field(default_factory=dict)
    """Config keys merged over the run's own (e.g. a cap to compare)."""


@dataclass
class FloodResult:
    """What the daemon did during the run."""

    probes: int = 0
    slowest_probe_s: float = 0.0
    failed_probes: int = 0
    """Probes with no answer within the probe timeout (or a connection error)."""
    statuses: Counter[str] = field(default_factory=Counter)
    """`status` of each /healthz answer (healthy, degraded, ...)."""
    published: dict[str, float] = field(default_factory=dict)
    """Normal items published during the run: guid -> monotonic publication time."""
    stored: dict[str, float] = field(default_factory=dict)
    """Normal items seen stored: guid -> monotonic time first seen in the database."""
    flood_rows: int = 0
    requests: Counter[str] = field(default_factory=Counter)
    peak_rss_mb: float = 0.0
    """Highest sum of the daemon's and its workers' resident memory among the samples."""
    peak_worker_mb: float = 0.0
    """Highest resident memory of one worker process among the samples."""
    stop_s: float = float("inf")
    exit_code: int | None = None
    log_tail: str = ""
    metrics: str = ""

    ended: float = 0.0
    """Monotonic time the watching ended."""

    def delays(self, within_s: float) -> tuple[list[float], list[str]]:
        """Store delays of the normal items seen stored, and the guids of those published
        over `within_s` before the end and never seen stored."""
        delays, missing = [], []
        for guid, when in self.published.items():
            if guid in self.stored:
                delays.append(self.stored[guid] - when)
            elif when < self.ended - within_s:
                missing.append(guid)
        return delays, missing


def slow_page(size: int) -> bytes:
    """An article page of `size` bytes of one-line paragraphs (trafilatura takes minutes)."""
    head = b"<!DOCTYPE html><html><head><title>Seizure</title></head><body><article>\n"
    lines = []
    used = len(head)
    n = 0
    while used < size:
        line = f"<p>w{n}</p>\n".encode()
        lines.append(line)
        used += len(line)
        n += 1
    return head + b"".join(lines) + b"</article></body></html>\n"


def flood_body(items: int) -> bytes:
    """A JSON Feed of `items` small items; ids carry TOKEN, replaced on every request. They
    are dated years ago, as an archive is: stored, too old to alert."""
    then = "2020-01-01T00:00:00+00:00"
    entries = [
        {
            "id": f"{TOKEN.decode()}-{i}",
            "title": f"Flood item {i}",
            "content_text": "A small item.",
            "date_published": then,
        }
        for i in range(items)
    ]
    feed = {"version": "https://jsonfeed.org/version/1.1", "title": "Flood", "items": entries}
    return json.dumps(feed, separators=(",", ":")).encode()


class FloodServer:
    """The loopback sources of the run."""

    def __init__(self, plan: FloodPlan) -> None:
        self.plan = plan
        self.base_url = ""
        self.started = time.monotonic()
        self.started_at = datetime.now(UTC)
        self.requests: Counter[str] = Counter()
        self.normal_requests: list[tuple[float, int]] = []
        """When each normal feed was requested (monotonic) and how many items it then had."""
        self._flood = flood_body(plan.flood_items)
        self._page = slow_page(plan.page_bytes)

    def normal_published(self, now: float) -> dict[str, float]:
        """guid -> monotonic publication time of every normal item published by `now`."""
        count = int((now - self.started) // self.plan.normal_every_s)
        return {
            f"normal{k}-{n}": self.started + n * self.plan.normal_every_s
            for k in range(self.plan.normal_feeds)
            for n in range(1, count + 1)
        }

    async def _flood_feed(self, request: web.Request) -> web.StreamResponse:
        self.requests[FLOOD] += 1
        number = b"%08d" % self.requests[FLOOD]
        body = await asyncio.to_thread(self._flood.replace, TOKEN, number)
        return web.Response(body=body, content_type="application/feed+json")

    async def _slow_feed(self, request: web.Request) -> web.StreamResponse:
        k = request.match_info["k"]
        self.requests[f"slow{k}"] += 1
        n = self.requests[f"slow{k}"]
        items = [
            "<item>"
            f"<guid>slow{k}-{n}-{i}</guid><title>{HEADLINES[i % len(HEADLINES)]}</title>"
            f"<link>{self.base_url}/page/{k}/{n}/{i}</link>"
            "</item>"
            for i in range(self.plan.slow_items)
        ]
        return web.Response(text=hostile.rss(items), content_type="application/rss+xml")

    async def _page_view(self, request: web.Request) -> web.StreamResponse:
        self.requests["page"] += 1
        return web.Response(body=self._page, content_type="text/html")

    async def _normal_feed(self, request: web.Request) -> web.StreamResponse:
        k = int(request.match_info["k"])
        self.requests[f"normal{k}"] += 1
        every = self.plan.normal_every_s
        count = int((time.monotonic() - self.started) // every)
        self.normal_requests.append((time.monotonic(), count))
        items = []
        for n in range(count, 0, -1):
            when = self.started_at + timedelta(seconds=n * every)
            items.append(
                f'<item><guid isPermaLink="false">normal{k}-{n}</guid>'
                f"<title>Normal feed {k}: council story {n}</title>"
                f"<link>http://example.org/normal{k}/{n}</link>"
                f"<pubDate>{format_datetime(when, usegmt=True)}</pubDate>"
                "<description>The council met and approved the budget for roads and parks."
                "</description></item>"
            )
        if not items:  # a feed with no items is refused as not a feed
            items.append(
                f'<item><guid isPermaLink="false">normal{k}-0</guid>'
                f"<title>Normal feed {k} opens</title></item>"
            )
        return web.Response(text=hostile.rss(items), content_type="application/rss+xml")

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_get("/flood.json", self._flood_feed)
        app.router.add_get("/slow{k:\\d+}.xml", self._slow_feed)
        app.router.add_get("/page/{tail:.*}", self._page_view)
        app.router.add_get("/normal{k:\\d+}.xml", self._normal_feed)
        return app


def process_tree(pid: int) -> list[int]:
    """The process and its descendants (the parse workers)."""
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        return []
    return [pid, *(p for child in children for p in process_tree(int(child)))]


def rss_mb(pid: int) -> float:
    """Resident memory of one process now, in MB (0 when it is gone)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0.0
    match = re.search(r"^VmRSS:\s+(\d+) kB", status, re.M)
    return int(match.group(1)) / 1024 if match else 0.0


def stored_normal(database: Path) -> set[str]:
    """Keys of the normal feeds' stored items."""
    with sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=5) as conn:
        rows = conn.execute(
            "SELECT i.key FROM item i JOIN source s ON s.id = i.source_id "
            "WHERE s.name LIKE 'normal %'"
        ).fetchall()
    return {str(key).split(":", 1)[-1] for (key,) in rows}


def flood_rows(database: Path) -> int:
    with sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=5) as conn:
        (count,) = conn.execute(
            "SELECT count(*) FROM item i JOIN source s ON s.id = i.source_id WHERE s.name = ?",
            (FLOOD,),
        ).fetchone()
    return int(count)


async def run_flood(tmp_path: Path, plan: FloodPlan) -> FloodResult:
    """Start the sources and `narcowatch run`, watch it for `plan.seconds`, then stop it."""
    result = FloodResult()
    server = FloodServer(plan)
    async with serve_app(server.app(), shutdown_timeout=0.2, access_log=False) as (host, port):
        server.base_url = f"http://{host}:{port}"
        await _run_daemon(tmp_path, plan, server, result)
    database = tmp_path / "narcowatch.db"
    result.flood_rows = await asyncio.to_thread(flood_rows, database)
    log = (tmp_path / "daemon.stderr").read_text(encoding="utf-8", errors="replace")
    result.log_tail = log[-4000:]
    return result


async def _run_daemon(
    tmp_path: Path, plan: FloodPlan, server: FloodServer, result: FloodResult
) -> None:
    """`narcowatch run` against the served sources, watched, then stopped (into `result`)."""
    health_port = free_port()
    sources: list[dict[str, Any]] = [
        {"name": FLOOD, "url": f"{server.base_url}/flood.json", "interval": plan.interval}
    ]
    sources += [
        {"name": f"slow {k}", "url": f"{server.base_url}/slow{k}.xml", "interval": plan.interval}
        for k in range(plan.slow_feeds)
    ]
    sources += [
        {"name": f"normal {k}", "url": f"{server.base_url}/normal{k}.xml", "interval": "5s"}
        for k in range(plan.normal_feeds)
    ]
    extra: dict[str, Any] = {"articles": {"enabled": True, "allow_private": True}}
    for key, value in plan.extra_config.items():
        extra[key] = {**extra.get(key, {}), **value} if isinstance(value, dict) else value
    config = write_config(tmp_path, sources, health_port=health_port, extra=extra)
    database = tmp_path / "narcowatch.db"
    # From scratch: its memory is watched, and the CLI server's imports would count in it.
    daemon = start_cli(
        "run", "--config", str(config), output=tmp_path / "daemon", from_scratch=True
    )
    url = f"http://127.0.0.1:{health_port}/healthz"
    try:
        await _wait_up(url, daemon)
        server.started = time.monotonic()
        server.started_at = datetime.now(UTC)
        watchers = [
            asyncio.create_task(_watch_store(database, server, result)),
            asyncio.create_task(_watch_memory(daemon.pid, result)),
        ]
        try:
            await _probe(url, plan, result)
        finally:
            for task in watchers:
                task.cancel()
            await asyncio.gather(*watchers, return_exceptions=True)
        result.ended = time.monotonic()
        result.published = server.normal_published(result.ended)
        async with httpx.AsyncClient(trust_env=False) as client:
            try:
                response = await client.get(url.replace("/healthz", "/metrics"), timeout=5)
                result.metrics = response.text
            except httpx.HTTPError:
                pass
    finally:
        sent = time.monotonic()
        daemon.send_signal(signal.SIGTERM)
        try:
            await asyncio.to_thread(daemon.wait, plan.stop_wait_s)
            result.stop_s = time.monotonic() - sent
        except subprocess.TimeoutExpired:
            daemon.kill()
            await asyncio.to_thread(daemon.wait, 10)
        result.exit_code = daemon.returncode
        result.requests = server.requests


async def _wait_up(url: str, daemon: subprocess.Popen[str]) -> None:
    async with httpx.AsyncClient(trust_env=False) as client:
        for _ in range(300):
            if daemon.poll() is not None:
                raise AssertionError(f"the daemon exited with {daemon.returncode}")
            try:
                response = await client.get(url, timeout=2)
                if response.status_code in (200, 503):
                    return
            except httpx.HTTPError:
                pass
            await asyncio.sleep(0.2)
    raise AssertionError("the daemon never answered /healthz")


async def _probe(url: str, plan: FloodPlan, result: FloodResult) -> None:
    started = time.monotonic()
    async with httpx.AsyncClient(trust_env=False) as client:
        while time.monotonic() - started < plan.seconds:
            sent = time.monotonic()
            try:
                response = await client.get(url, timeout=plan.probe_timeout_s)
                result.statuses[str(response.json().get("status", response.status_code))] += 1
            except (httpx.HTTPError, ValueError):
                result.failed_probes += 1
            took = time.monotonic() - sent
            result.probes += 1
            result.slowest_probe_s = max(result.slowest_probe_s, took)
            await asyncio.sleep(max(0.0, plan.probe_every_s - took))


async def _watch_store(database: Path, server: FloodServer, result: FloodResult) -> None:
    while True:
        try:
            keys = await asyncio.to_thread(stored_normal, database)
        except sqlite3.Error:
            keys = set()
        seen = time.monotonic()
        for key in keys:
            result.stored.setdefault(key, seen)
        await asyncio.sleep(0.5)


async def _watch_memory(pid: int, result: FloodResult) -> None:
    while True:
        tree = process_tree(pid)
        sizes = [rss_mb(p) for p in tree]
        if sizes:
            result.peak_rss_mb = max(result.peak_rss_mb, sum(sizes))
            result.peak_worker_mb = max([result.peak_worker_mb, *sizes[1:]])
        await asyncio.sleep(0.25)
