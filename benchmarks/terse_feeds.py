"""Labelled items served as terse feeds through the real daemon: what a user of a headline-and-
one-sentence feed gets.

Each item is a feed entry with its headline and the first sentence of its summary; its link
leads to an article page on the same loopback server: a site menu, the headline and the whole
summary as the article, a "most read" box of other items' headlines, and a footer, as outlets
lay them out. `narcowatch run` polls the feeds on its default article settings (only
`articles.allow_private`, because the pages are on 127.0.0.1); the verdicts are the matches
it stores. Items are published a few at a time after each feed's first poll (a new source's
first items are recorded without alerting).
"""

from __future__ import annotations

import asyncio
import html
import random
import signal
import sqlite3
import tempfile
import time
from dataclasses import dataclass
from email.utils import format_datetime
from pathlib import Path
from typing import Any

from bot.matching.model_fit import first_sentence
from tests.support.cli import cli_env, start_cli, write_config
from tests.support.feedserver import feed_server

FEEDS = 8
PER_STEP = 2
"""Items published on each feed at a time: within `articles.max_per_poll` for every poll."""
INTERVAL = 4.0


@dataclass(frozen=True, slots=True)
class TerseRun:
    """What the daemon decided: matched item ids, and how many article pages it read."""

    matched: set[str]
    stored: int
    pages_read: int
    seconds: float


def _entry(row: dict[str, Any], base: str) -> str:
    summary = str(row.get("summary") or "")
    when = _now_rfc822()
    return (
        f"<item><guid isPermaLink='false'>{html.escape(str(row['id']))}</guid>"
        f"<title>{html.escape(str(row['title']))}</title>"
        f"<link>{base}/a/{html.escape(str(row['id']))}</link>"
        f"<description>{html.escape(first_sentence(summary.strip()))}</description>"
        f"<pubDate>{when}</pubDate></item>"
    )


def _now_rfc822() -> str:
    from datetime import UTC, datetime

    return format_datetime(datetime.now(UTC))


def feed_body(entries: list[str], title: str) -> bytes:
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
        f"<title>{html.escape(title)}</title><link>http://127.0.0.1/</link>"
        f"<description>terse</description>{''.join(reversed(entries))}</channel></rss>"
    ).encode()


def article_page(row: dict[str, Any], others: list[dict[str, Any]]) -> bytes:
    """An outlet's article page: the story among the site's furniture."""
    menu = "".join(
        f"<li><a href='/section/{s}'>{s.title()}</a></li>"
        for s in ("world", "asia", "politics", "business", "sport", "opinion", "video")
    )
    most_read = "".join(
        f"<li><a href='/a/{html.escape(str(o['id']))}'>{html.escape(str(o['title']))}</a></li>"
        for o in others
    )
    paragraphs = "".join(
        f"<p>{html.escape(p.strip())}</p>"
        for p in str(row.get("summary") or "").replace(". ", ".\n").splitlines()
        if p.strip()
    )
    return (
        "<!DOCTYPE html><html><head><meta charset='utf-8'>"
        f"<title>{html.escape(str(row['title']))} | The Daily Outlet</title></head><body>"
        f"<header><a href='/'>The Daily Outlet</a><nav><ul>{menu}</ul></nav>"
        "<form action='/search'><input name='q'><button>Search</button></form></header>"
        f"<main><article><h1>{html.escape(str(row['title']))}</h1>"
        "<div class='byline'>By our correspondent · 3 min read</div>"
        f"<div class='story'>{paragraphs}</div>"
        "<div class='share'>Share on Facebook · Share on X · Email</div></article>"
        f"<aside><h2>Most read</h2><ol>{most_read}</ol></aside></main>"
        "<footer><p>© The Daily Outlet. All rights reserved.</p><ul><li>About us</li>"
        "<li>Contact</li><li>Privacy policy</li><li>Advertise</li></ul></footer>"
        "</body></html>"
    ).encode()


async def run_terse(rows: list[dict[str, Any]], config_dir: Path, *, seed: int = 7) -> TerseRun:
    """Serve `rows` as terse feeds to `narcowatch run` on the topic files of `config_dir`."""
    rng = random.Random(seed)
    shuffled = rows[:]
    rng.shuffle(shuffled)
    by_feed = [shuffled[i::FEEDS] for i in range(FEEDS)]
    topic = next((config_dir / "topics").glob("*.yaml"))
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="nw-terse-") as tmp:
        workdir = Path(tmp)
        async with feed_server() as server:
            base = server.url("").rstrip("/")
            for row in rows:
                others = rng.sample(rows, k=min(5, len(rows)))
                server.add_feed(
                    f"/a/{row['id']}", article_page(row, others), content_type="text/html"
                )
            entries: list[list[str]] = [[] for _ in range(FEEDS)]
            urls = []
            for f in range(FEEDS):
                seed_row = {"id": f"seed-{f}", "title": "Weather: a mild week ahead", "summary": ""}
                entries[f].append(_entry(seed_row, base))
                urls.append(server.add_feed(f"/feed/{f}.xml", feed_body(entries[f], f"Feed {f}")))
            sources = [
                {"name": f"Terse {f}", "url": url, "interval": f"{INTERVAL:g}s"}
                for f, url in enumerate(urls)
            ]
            config = write_config(workdir, sources, extra={"articles": {"allow_private": True}})
            _use_topic(config, topic)
            daemon = start_cli("run", "--config", str(config), env=cli_env(), output=workdir / "d")
            try:
                for f in range(FEEDS):
                    while not server.requests_to(f"/feed/{f}.xml"):
                        await asyncio.sleep(0.1)
                step = 0
                while any(step * PER_STEP < len(feed) for feed in by_feed):
                    for f in range(FEEDS):
                        fresh = by_feed[f][step * PER_STEP : (step + 1) * PER_STEP]
                        if fresh:
                            entries[f] += [_entry(row, base) for row in fresh]
                            server.add_feed(
                                f"/feed/{f}.xml", feed_body(entries[f][-60:], f"Feed {f}")
                            )
                    step += 1
                    await asyncio.sleep(INTERVAL * 1.25)
                database = workdir / "narcowatch.db"
                wanted = {str(row["id"]) for row in rows}
                deadline = time.monotonic() + 120
                while time.monotonic() < deadline:
                    if len(_stored(database) & wanted) == len(wanted):
                        break
                    await asyncio.sleep(1.0)
                await asyncio.sleep(INTERVAL * 2)  # the last polls' article pages
                stored = _stored(database) & wanted
                matched = _matched(database) & wanted
            finally:
                daemon.send_signal(signal.SIGTERM)
                await asyncio.to_thread(daemon.wait, 20)
            pages = sum(len(server.requests_to(f"/a/{row['id']}")) for row in rows)
    return TerseRun(matched, len(stored), pages, time.monotonic() - started)


def _use_topic(config: Path, topic: Path) -> None:
    import yaml

    data = yaml.safe_load(config.read_text(encoding="utf-8"))
    data["topics"] = [str(topic)]
    data.pop("articles", None)
    data["articles"] = {"allow_private": True}
    config.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")


def _ids(links: Any) -> set[str]:
    """Item ids from stored links (`.../a/<id>`)."""
    return {str(link).rsplit("/a/", 1)[1] for (link,) in links if link and "/a/" in str(link)}


def _stored(database: Path) -> set[str]:
    if not database.exists():
        return set()
    with sqlite3.connect(database) as db:
        return _ids(db.execute("SELECT link FROM item"))


def _matched(database: Path) -> set[str]:
    with sqlite3.connect(database) as db:
        query = "SELECT DISTINCT item.link FROM match JOIN item ON item.id = match.item_id"
        return _ids(db.execute(query))
