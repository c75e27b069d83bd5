"""`narcowatch sources test` and `sources add`, run as the real CLI against a loopback server."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime
from email.utils import format_datetime
from pathlib import Path

from bot.storage import Store, create_engine_for
from tests.support.cli import run_cli, write_config
from tests.support.feedserver import FeedServer, rss_feed

MATCHING = (
    "<item><guid>hit</guid><title>SCO members agree joint anti-drug operation</title>"
    "<link>http://example.org/hit</link><pubDate>{when}</pubDate><description>China, Russia "
    "and Kazakhstan will share intelligence on cross-border drug trafficking and precursor "
    "chemicals, the Ministry of Public Security said.</description></item>"
)
SITE = (
    b'<!DOCTYPE html><html><head><link rel="alternate" type="application/rss+xml" '
    b'href="/wire/feed.xml"></head><body><h1>Wire</h1></body></html>'
)


def feed_with_a_match() -> bytes:
    now = format_datetime(datetime.now(UTC), usegmt=True)
    extra = MATCHING.format(when=now).encode()
    return rss_feed(3).replace(b"<language>en</language>", b"<language>en</language>" + extra)


async def sources(config: Path, *args: str) -> tuple[int, str, str]:
    done = await asyncio.to_thread(run_cli, "sources", *args, "--config", str(config))
    return done.returncode, done.stdout, done.stderr


async def test_sources_test_shows_http_facts_scores_and_verdicts(
    feedserver: FeedServer, tmp_path: Path
) -> None:
    """JSON output: status, validators, final URL after a redirect, one alerting item, the
    others with why not; exit 0."""
    feedserver.add_feed("/wire.xml", feed_with_a_match(), etag='"w1"')
    config = write_config(tmp_path, [])
    code, out, err = await sources(
        config, "test", feedserver.url("/redirect/1?to=/wire.xml"), "--json"
    )

    assert code == 0, err
    report = json.loads(out)
    assert report["http"]["status"] == 200
    assert report["http"]["etag"] == '"w1"'
    assert report["http"]["final_url"] == feedserver.url("/wire.xml")
    alerting = [item for item in report["items"] if item["alert"]]
    assert [item["title"] for item in alerting] == ["SCO members agree joint anti-drug operation"]
    assert alerting[0]["scores"][0]["matched"] is True
    quiet = [item for item in report["items"] if not item["alert"]]
    assert len(quiet) == 3
    assert all("threshold" in " ".join(item["why_not"]) for item in quiet)
    assert report["timings_ms"]["fetch_and_parse"] >= 0


async def test_sources_test_by_name_discovers_the_feed_of_a_page(
    feedserver: FeedServer, tmp_path: Path
) -> None:
    """A config source named on the command line; its page leads to the feed; text output."""
    feedserver.add_feed("/wire/feed.xml", feed_with_a_match())
    page = feedserver.add_feed("/wire/", SITE, content_type="text/html")
    config = write_config(tmp_path, [{"name": "Wire", "url": page}])
    code, out, err = await sources(config, "test", "Wire")

    assert code == 0, err
    assert f"feed found: {feedserver.url('/wire/feed.xml')} (linked by the page" in out
    assert "4 items, 1 would alert" in out
    assert "ALERT" in out
    assert "why not:" in out


async def test_sources_test_exit_codes(feedserver: FeedServer, tmp_path: Path) -> None:
    """1 when nothing was found (a page without feeds); 2 for an unknown name or bad
    selectors."""
    config = write_config(tmp_path, [])
    page = feedserver.url("/html")

    code, out, _ = await sources(config, "test", page)
    assert code == 1
    assert "error: no feed found" in out
    assert "0 items" in out
    code, _, err = await sources(config, "test", "No Such Source")
    assert code == 2
    assert "neither an http(s) URL nor the name of a source" in err
    code, _, err = await sources(config, "test", page, "--type", "html", "--selectors", "item=li")
    assert code == 2
    assert "item and title are required" in err


async def test_sources_add_stores_the_discovered_feed(
    feedserver: FeedServer, tmp_path: Path
) -> None:
    """`sources add PAGE` adds the page's feed with name, interval and topics; twice is refused."""
    feed = feedserver.add_feed("/wire/feed.xml", rss_feed(2, title="Wire feed"))
    page = feedserver.add_feed("/wire/", SITE, content_type="text/html")
    config = write_config(tmp_path, [])
    code, _, err = await sources(config, "add", page)
    assert code == 1  # polled like a Telegram source: loopback refused by default
    assert "not a public address" in err
    config = write_config(tmp_path, [], extra={"telegram": {"allow_private_sources": True}})

    code, out, err = await sources(
        config, "add", page, "--interval", "20m", "--topics", "drug-control-cooperation"
    )
    assert code == 0, err
    assert "added source 1: 'Wire feed'" in out
    store = Store(create_engine_for(f"sqlite:///{tmp_path / 'narcowatch.db'}"))
    (row,) = store.claim_due_sources(now=datetime.now(UTC), limit=5, owner="t", lease_seconds=1)
    assert (row.name, row.url, row.interval_s) == ("Wire feed", feed, 1200.0)
    assert row.topics == ("drug-control-cooperation",)
    store.close()

    code, _, err = await sources(config, "add", feed, "--name", "Again")
    assert code == 1
    assert "already a source" in err


LIST_PAGE = (
    "<!DOCTYPE html><html><head><title>Press releases</title></head><body>"
    "<nav><a href='/'>Home</a> <a href='/about/'>About us</a></nav><ul class='releases'>"
    + "".join(
        f"<li><a href='/press/2026/11/{day:02d}/joint-operation-{day}.html'>Customs of two "
        f"countries seize precursor chemicals in joint operation number {day}</a></li>"
        for day in range(1, 7)
    )
    + "</ul><footer><a href='/contact/'>Contact</a></footer></body></html>"
).encode()


async def test_sources_test_html_shows_the_detected_list(
    feedserver: FeedServer, tmp_path: Path
) -> None:
    """--type html without selectors: the detected group, its size and the items' links."""
    page = feedserver.add_feed("/press/", LIST_PAGE, content_type="text/html")
    config = write_config(tmp_path, [])
    code, out, err = await sources(config, "test", page, "--type", "html", "--json")

    assert code == 0, err
    report = json.loads(out)
    assert report["html"]["detected"] is True
    assert "li" in report["html"]["group"]
    assert report["html"]["candidate_groups"] >= 1
    links = [item["link"] for item in report["items"]]
    assert links == [
        feedserver.url(f"/press/2026/11/{d:02d}/joint-operation-{d}.html") for d in range(1, 7)
    ]


def linking_page(hrefs: list[str]) -> bytes:
    links = "".join(
        f'<link rel="alternate" type="application/rss+xml" href="{href}">' for href in hrefs
    )
    return f"<!DOCTYPE html><html><head>{links}</head><body><h1>Site</h1></body></html>".encode()


async def test_sources_test_tries_a_few_of_thousands_of_linked_feeds(
    feedserver: FeedServer, tmp_path: Path
) -> None:
    """A page linking 3,000 feeds (none there) costs the page, 8 linked feeds and the 6 usual
    paths, and the output says how many linked feeds were left untried."""
    page = feedserver.add_feed(
        "/site/", linking_page([f"/f/{n}.xml" for n in range(3000)]), content_type="text/html"
    )
    config = write_config(tmp_path, [])
    code, out, err = await sources(config, "test", page)

    assert code == 1, err
    assert len(feedserver.requests) == 1 + 8 + 6
    assert [r.path for r in feedserver.requests[1:9]] == [f"/f/{n}.xml" for n in range(8)]
    assert "2992 more linked feeds not tried (at most 8)" in out


async def test_discovery_candidates_with_escape_sequences_are_shown_escaped(
    feedserver: FeedServer, tmp_path: Path
) -> None:
    """Linked feed URLs carrying terminal escape sequences are printed with the escapes
    visible (`\\x1b`) by `sources test` and `sources add`, never raw."""
    hrefs = ["/a\x1b]0;pwned\x07.xml", "/b\x1b[2J\x1b[31m.xml", "/c\u202eslx.xml"]
    page = feedserver.add_feed("/site/", linking_page(hrefs), content_type="text/html")
    private = {"telegram": {"allow_private_sources": True}}
    config = write_config(tmp_path, [], extra=private)

    code, out, err = await sources(config, "test", page)
    assert code == 1, err
    assert "\\x1b]0;pwned\\x07.xml" in out
    assert "\\x1b[2J\\x1b[31m.xml" in out
    assert "\\u202eslx.xml" in out
    code, out, err = await sources(config, "add", page)
    assert code == 1
    assert "\\x1b[2J\\x1b[31m.xml" in err
    for text in (out, err):
        assert not any(ch in text for ch in "\x1b\x07\u202e")
