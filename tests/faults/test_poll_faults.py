"""Hostile and broken feeds polled together with healthy ones: real fetcher, store and matcher.

The fetch-level behaviour of each fault is tested in tests/fetch; here the invariants are the
poller's: nothing raises, each failure is state on its source row (error, failure count, next
poll per backoff or Retry-After, 410 disables), and healthy sources in the same run are untouched.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import pytest_asyncio

from bot.core.models import PollOutcome, SourceState
from bot.fetch import FetchLimits, HttpFetcher
from bot.services.poll import Poller
from bot.services.ports import Scorer
from bot.storage import SourceHealth, SourceSpec, Store
from tests.faults.conftest import Clock
from tests.support.cli import start_cli, write_config
from tests.support.feedserver import FeedServer, compression_bomb, rss_feed

INTERVAL_S = 600.0
BOMB_SIZE = 50_000_000
LIMITS = FetchLimits(timeout_s=1.0, max_bytes=1024 * 1024)
HEALTHY = 4

# Nine levels of ten references each: 10^9 "lol"s if expanded.
_LAUGH_LEVELS = "".join(
    f'<!ENTITY lol{n} "{f"&lol{n - 1};" * 10}">\n' for n in range(1, 10)
).replace("&lol0;", "&lol;")
BILLION_LAUGHS = (
    b'<?xml version="1.0"?>\n<!DOCTYPE rss [\n<!ENTITY lol "lol">\n'
    + _LAUGH_LEVELS.encode()
    + b']>\n<rss version="2.0"><channel><title>t</title>'
    b"<item><guid>bl-1</guid><title>&lol9;</title><link>http://example.org/bl1</link></item>"
    b"</channel></rss>"
)
# One 20 KB entity named 40,000 times: 140 KB on the wire, 800 MB if expanded.
QUADRATIC_BLOWUP = (
    b'<?xml version="1.0"?>\n<!DOCTYPE rss [\n<!ENTITY x "'
    + b"a" * 20_000
    + b'">\n]>\n<rss version="2.0"><channel><title>t</title><item><guid>qb-1</guid>'
    b"<title>blowup</title><link>http://example.org/qb1</link><description>"
    + b"&x;" * 40_000
    + b"</description></item></channel></rss>"
)
CP1251_AS_UTF8 = (
    '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Новости</title>'
    "<item><guid>enc-1</guid><title>Сотрудничество в борьбе с наркотиками</title>"
    "<link>http://example.org/enc1</link></item></channel></rss>"
).encode("cp1251")
TRUNCATED = rss_feed(3, prefix="cut")[:-60]


@dataclass(frozen=True)
class Fault:
    """A broken source and what its row must say after one failed poll."""

    name: str
    path: str
    kind: str
    says: str
    disables: bool = False
    retry_after_s: float | None = None


FAILURES = [
    Fault("server error", "/status/500", "transient", "HTTP 500"),
    Fault("not found", "/status/404", "permanent", "HTTP 404"),
    Fault("gone", "/status/410", "gone", "HTTP 410", disables=True),
    Fault(
        "rate limited", "/status/429?retry_after=120", "rate_limited", "HTTP 429", retry_after_s=120
    ),
    Fault("unavailable", "/status/503?retry_after=7", "rate_limited", "HTTP 503", retry_after_s=7),
    Fault("hangs", "/slow?delay=5", "transient", "timed out"),
    Fault("slow loris", "/trickle?interval=0.1&count=100", "transient", "timed out"),
    Fault("oversize", "/big?size=3000000&chunked=1", "permanent", "cap"),
    Fault("gzip bomb", f"/bomb/gzip?size={BOMB_SIZE}", "permanent", "cap"),
    Fault("redirect loop", "/loop/a", "permanent", "redirect loop"),
    Fault("random bytes", "/garbage", "parse", "not a feed"),
    Fault("html page", "/html", "parse", "HTML page"),
]
# Damaged but readable: these poll fine (with a warning at most) and must stay bounded.
SURVIVABLE = {
    "billion laughs": ("/laughs.xml", BILLION_LAUGHS),
    "quadratic blowup": ("/blowup.xml", QUADRATIC_BLOWUP),
    "wrong encoding": ("/cp1251.xml", CP1251_AS_UTF8),
    "truncated": ("/truncated.xml", TRUNCATED),
}


def healthy_feed(i: int, *, matching: bool = False) -> bytes:
    body = rss_feed(5, prefix=f"ok{i}")
    if not matching:
        return body
    story = (
        f"<item><guid>hit-{i}</guid><title>SCO members agree joint anti-drug operation {i}"
        f"</title><link>http://example.org/hit/{i}</link><description>China, Russia and "
        "Kazakhstan will share intelligence on cross-border drug trafficking and precursor "
        "chemicals, the Ministry of Public Security said.</description></item>"
    ).encode()
    return body.replace(b"<language>en</language>", b"<language>en</language>" + story)


@pytest_asyncio.fixture
async def poller(store: Store, matcher: Scorer, clock: Clock) -> AsyncIterator[Poller]:
    """A Poller over a real HttpFetcher (1 s timeout, 1 MB cap), the store and the matcher."""
    async with HttpFetcher(LIMITS, trust_env=False) as fetcher:
        yield Poller(fetcher=fetcher, store=store, scorer=matcher, clock=clock)


def serve_everything(server: FeedServer) -> list[SourceSpec]:
    compression_bomb("gzip", BOMB_SIZE)  # built now, not while a 1 s fetch timeout runs
    specs = [
        SourceSpec(name=f"healthy {i}", url=server.add_feed(f"/ok/{i}.xml", healthy_feed(i)))
        for i in range(HEALTHY)
    ]
    specs += [SourceSpec(name=f.name, url=server.url(f.path)) for f in FAILURES]
    specs += [
        SourceSpec(name=name, url=server.add_feed(path, body))
        for name, (path, body) in SURVIVABLE.items()
    ]
    return [SourceSpec(name=s.name, url=s.url, interval_s=INTERVAL_S) for s in specs]


async def poll_all(poller: Poller, sources: list[SourceState]) -> dict[str, PollOutcome]:
    outcomes = await asyncio.gather(*(poller.poll(source) for source in sources))
    return {outcome.source_name: outcome for outcome in outcomes}


def rows(store: Store) -> dict[str, SourceHealth]:
    return {row.name: row for row in store.source_health()}


def items_of(store: Store, name: str) -> list[str]:
    from sqlalchemy import text

    with store.engine.connect() as conn:
        found = conn.execute(
            text(
                "SELECT i.key FROM item i JOIN source s ON s.id = i.source_id "
                "WHERE s.name = :name ORDER BY i.key"
            ),
            {"name": name},
        )
        return [row[0] for row in found]


async def test_every_fault_is_recorded_on_its_row_and_healthy_sources_are_unaffected(
    feedserver: FeedServer, store: Store, poller: Poller, clock: Clock
) -> None:
    """One concurrent run over 4 healthy and 16 broken or hostile feeds: no poll raises, each
    broken source has its error, one failure and a backed-off next poll (Retry-After when sent,
    410 disabled), the hostile-but-readable ones stay bounded, and healthy feeds store all."""
    store.sync_config_sources(serve_everything(feedserver), now=clock.now)
    sources = store.claim_due_sources(now=clock.now, limit=100, owner="t", lease_seconds=60)
    started = time.monotonic()
    outcomes = await poll_all(poller, sources)
    took = time.monotonic() - started

    # The 1 s fetch timeout bounds every poll, slow-drip ones included (memory: next test).
    assert took < 5, f"a hostile feed held the run up: {took:.1f} s"
    state = rows(store)
    for fault in FAILURES:
        outcome, row = outcomes[fault.name], state[fault.name]
        assert not outcome.ok, fault
        assert outcome.error_kind == fault.kind, (fault, outcome.error)
        assert row.last_error is not None
        assert fault.says in row.last_error, (fault, row)
        assert row.last_error_kind == fault.kind
        assert row.consecutive_failures == 1
        assert row.last_success_at is None
        assert row.enabled is not fault.disables
        assert row.next_poll_at is not None
        wait = (row.next_poll_at - clock.now).total_seconds()
        if fault.retry_after_s is not None:
            assert wait == pytest.approx(fault.retry_after_s, abs=1), fault
        else:  # first failure: one interval, +-10% jitter
            assert INTERVAL_S * 0.9 <= wait <= INTERVAL_S * 1.1, (fault, wait)
        assert items_of(store, fault.name) == []
    gone = state["gone"]
    assert gone.disabled_reason is not None
    assert "410" in gone.disabled_reason

    for name in SURVIVABLE:
        assert outcomes[name].ok, (name, outcomes[name].error)
        assert state[name].consecutive_failures == 0
    assert longest_text(store, "quadratic blowup") < LIMITS.max_bytes
    assert longest_text(store, "billion laughs") < 10_000
    assert len(items_of(store, "wrong encoding")) == 1
    assert items_of(store, "truncated") != []

    for i in range(HEALTHY):
        assert outcomes[f"healthy {i}"].ok
        assert outcomes[f"healthy {i}"].new_items == 5
        assert state[f"healthy {i}"].last_error is None
        assert len(items_of(store, f"healthy {i}")) == 5


async def peak_rss_mb(workdir: Path, sources: list[SourceSpec]) -> float:
    """Peak RSS of a `narcowatch poll --once` process over these sources (its own, from wait4)."""
    workdir.mkdir()
    config = write_config(
        workdir,
        [{"name": spec.name, "url": spec.url} for spec in sources],
        extra={
            "polling": {
                "timeout": f"{LIMITS.timeout_s:g}s",
                "max_bytes": LIMITS.max_bytes,
                "concurrency": 20,
                "per_host": 20,
            }
        },
    )
    # From scratch: this test reaps the process itself, and its peak RSS is its own imports'.
    process = start_cli(
        "poll", "--once", "--config", str(config), output=workdir / "poll", from_scratch=True
    )
    _, status, usage = await asyncio.to_thread(os.wait4, process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)  # reaped here, not by Popen
    summary = (workdir / "poll.stdout").read_text(encoding="utf-8")
    assert sources[-1].name in summary, (workdir / "poll.stderr").read_text(encoding="utf-8")
    return usage.ru_maxrss / 1024  # KB on Linux


async def test_hostile_feeds_do_not_blow_up_the_polling_process_memory(
    feedserver: FeedServer, tmp_path: Path
) -> None:
    """`poll --once` over the hostile feeds peaks within 200 MB of the same command over the
    healthy feeds alone: each child process's own peak RSS, not this test process's (which
    also runs the server that builds the bombs)."""
    everything = serve_everything(feedserver)
    healthy = [spec for spec in everything if spec.name.startswith("healthy")]
    baseline, hostile = await asyncio.gather(  # side by side: two processes, two figures
        peak_rss_mb(tmp_path / "healthy", healthy), peak_rss_mb(tmp_path / "hostile", everything)
    )
    print(f"\npoll --once peak RSS: healthy feeds {baseline:.0f} MB, with hostile {hostile:.0f} MB")
    assert hostile - baseline < 200, f"a hostile feed blew memory up by {hostile - baseline:.0f} MB"


async def test_repeated_failures_back_off_and_healthy_sources_still_match(
    feedserver: FeedServer, store: Store, poller: Poller, clock: Clock
) -> None:
    """A second run an hour later: transient failures count 2 and wait two intervals, the
    disabled 410 source is not claimed again, and healthy feeds' new items are matched."""
    store.sync_config_sources(serve_everything(feedserver), now=clock.now)
    first = store.claim_due_sources(now=clock.now, limit=100, owner="t", lease_seconds=60)
    await poll_all(poller, first)

    for i in range(HEALTHY):
        feedserver.add_feed(f"/ok/{i}.xml", healthy_feed(i, matching=True))
    clock.advance(3600)
    second = store.claim_due_sources(now=clock.now, limit=100, owner="t", lease_seconds=60)
    assert "gone" not in {source.name for source in second}
    outcomes = await poll_all(poller, second)

    state = rows(store)
    for fault in FAILURES:
        if fault.disables:
            continue
        row = state[fault.name]
        assert row.consecutive_failures == 2, fault
        assert row.next_poll_at is not None
        wait = (row.next_poll_at - clock.now).total_seconds()
        if fault.retry_after_s is not None:
            assert wait == pytest.approx(fault.retry_after_s, abs=1), fault
        else:  # second failure: twice the interval, +-10%
            assert 2 * INTERVAL_S * 0.9 <= wait <= 2 * INTERVAL_S * 1.1, (fault, wait)
    for i in range(HEALTHY):
        outcome = outcomes[f"healthy {i}"]
        assert outcome.ok
        assert outcome.new_items == 1
        assert [m.score.topic for m in outcome.matches] == ["drug-control-cooperation"]
        assert state[f"healthy {i}"].consecutive_failures == 0
    assert state["gone"].consecutive_failures == 1
    assert state["gone"].enabled is False


def longest_text(store: Store, name: str) -> int:
    """The longest title + summary + content stored for a source's items."""
    from sqlalchemy import text

    with store.engine.connect() as conn:
        found = conn.execute(
            text(
                "SELECT max(length(coalesce(i.title, '')) + length(coalesce(i.summary, '')) "
                "+ length(coalesce(i.content, ''))) FROM item i JOIN source s "
                "ON s.id = i.source_id WHERE s.name = :name"
            ),
            {"name": name},
        ).scalar()
    return int(found or 0)
