"""Adversarial corpus: parse+score time per MB of each hostile body beside a normal feed's.

Run: python benchmarks/bench_hostile.py [--repeat 3]

Part 1 times the pipeline's CPU work on each body the way a worker does it (parse, identify,
score every item against the default topic), best of --repeat runs, per MB of body; the gzip
bomb is timed through the real fetcher against a loopback server (it is refused at the byte
cap before any parsing). The baseline in the same run is an ordinary 200-item feed. Bar
(issue 9): the worst within 10x of the normal feed per MB.

Part 2 polls every body with the daemon's poller, worker-process runner, fetcher and a SQLite
store, twice (a baseline poll, then a poll that scores new items), while a 10 ms ticker
measures the event loop (tests/support/lag.py): its longest block (the loop thread's CPU time
between two ticks) and its latest tick by the clock, beside an idle run's latest tick. Bar
(SPEC 5): no block over 100 ms.

Part 3 is the flood-plus-slow-pages run of issue 17, black-box through `narcowatch run` for
--seconds (90): a 30,000-item JSON Feed whose ids change on every request, two feeds whose
items link to article pages of 4.5 MB of one-line paragraphs (trafilatura takes minutes), and
three normal feeds gaining an item every 6 s (tests/support/floodrun.py). Bars (issue 17):
every /healthz answer within 2 s, every normal item stored within 30 s of its publication,
SIGTERM exits 0 within 10 s, the daemon with its workers under 400 MB resident. The baseline
in the same run is the same daemon with only the normal feeds.

Part 4 measures single steps of the findings of issue 17 with the daemon's default settings:
the second poll of 10,000 and 30,000 new old-dated items (time, the event loop's longest
block, rows stored); a poll bringing 2,000 matching items to a subscribed chat, black-box
through `narcowatch poll --once` (alerts queued, and the place of another source's alert in
the chat's queue); a 4.5 MB page of one-line paragraphs in a worker within the 15 s article
timeout (time, the worker's peak memory); the article cache filled with 4,096 pages. Run the
same script on an older checkout for the figures before.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.core.models import FetchRequest
from bot.errors import FetchError, ParseError
from bot.fetch import FetchLimits, HttpFetcher
from bot.matching import Matcher, compile_topics
from bot.matching.loader import load_topics
from bot.services.parse_jobs import Budget, ParseJob, parse_entries, score_entries
from bot.services.parse_runner import ProcessRunner
from bot.services.poll import Poller
from bot.storage import SourceSpec, open_store
from tests.support import hostile
from tests.support.cli import DEFAULT_TOPIC
from tests.support.feedserver import feed_server
from tests.support.floodrun import FloodPlan, FloodResult, run_flood
from tests.support.lag import LagWatch

MB = 1_000_000
CAP = 5 * 1024 * 1024
BAR_RATIO = 10.0
BAR_LAG_S = 0.1
URL = "http://example.org/feed"
JSON = "application/feed+json"


def corpus() -> dict[str, tuple[bytes, str]]:
    """Each hostile body at the size of the review (issue 9) or the classic attack."""
    return {
        "comment bait (<!----> x 150,000, octet-stream)": (
            hostile.regex_bait(150_000)[0],
            "application/octet-stream",
        ),
        "40,000 nested <div> in a description": hostile.nested_divs(40_000),
        "entity bomb, UTF-16": hostile.entity_bomb("utf-16"),
        "entity bomb (quadratic blowup), UTF-8": hostile.entity_bomb(
            "utf-8", value_size=20_000, references=40_000
        ),
        "billion laughs, UTF-8": hostile.billion_laughs("utf-8"),
        "billion laughs, UTF-16": hostile.billion_laughs("utf-16"),
        "1.4 MB Russian item full of topic terms": hostile.cyrillic_item(1_400_000),
        "deep nesting (50,000 XML elements)": hostile.deep_nesting(50_000),
        "5 MB on one line": hostile.one_long_line(5_000_000),
        "invalid UTF-8 (1 MB)": hostile.invalid_utf8(1_000_000),
        "huge attribute values (2 MB)": hostile.huge_attributes(2_000_000),
        "40,000 unclosed tags": hostile.malformed_tags(40_000),
    }


def parse_and_score(body: bytes, content_type: str, matcher: Matcher) -> str:
    """What a worker does with one body; the outcome in a few words."""
    try:
        parsed = parse_entries(ParseJob(body, URL, content_type))
    except ParseError as exc:
        return f"refused: {str(exc)[:60]}"
    scored = score_entries(parsed.entries, matcher, None)
    return f"{len(scored)} items, {sum(1 for e in scored if e.matches)} matched"


def best_of(repeat: int, run: Callable[[], str]) -> tuple[float, str]:
    best, outcome = float("inf"), ""
    for _ in range(repeat):
        started = time.perf_counter()
        outcome = run()
        best = min(best, time.perf_counter() - started)
    return best, outcome


async def time_gzip_bomb() -> tuple[float, str]:
    """The fetcher against 200 MB of zeros gzip-compressed: refused at the 5 MB cap."""
    async with (
        feed_server() as server,
        HttpFetcher(FetchLimits(timeout_s=30, max_bytes=CAP), trust_env=False) as fetcher,
    ):
        request = FetchRequest(server.url("/bomb/gzip?size=200000000"))
        seconds, outcome = float("inf"), ""
        for _ in range(2):  # the first also compresses the bomb in the server
            started = time.perf_counter()
            try:
                await fetcher.fetch(request)
                outcome = "fetched (!)"
            except FetchError as exc:
                outcome = f"refused: {str(exc)[:60]}"
            seconds = min(seconds, time.perf_counter() - started)
        return seconds, outcome


async def poll_everything(bodies: dict[str, tuple[bytes, str]], matcher: Matcher) -> LagWatch:
    """Poll every body twice with the daemon's pieces; the event-loop lag meanwhile."""
    now = [datetime(2026, 1, 1, tzinfo=UTC)]
    with tempfile.TemporaryDirectory() as workdir:
        store = open_store(f"sqlite:///{Path(workdir) / 'bench.db'}")
        limits = FetchLimits(timeout_s=30, max_bytes=CAP)
        async with (
            feed_server() as server,
            HttpFetcher(limits, trust_env=False) as fetcher,
            ProcessRunner(2) as runner,
        ):
            specs = []
            for n, name in enumerate(bodies):
                first, _ = hostile.normal_feed(1, prefix=f"first{n}")
                specs.append(SourceSpec(name=name, url=server.add_feed(f"/h{n}", first)))
            specs.append(SourceSpec(name="gzip bomb", url=server.url("/bomb/gzip?size=200000000")))
            store.sync_config_sources(specs, now=now[0])
            poller = Poller(
                fetcher=fetcher, store=store, scorer=matcher, clock=lambda: now[0], runner=runner
            )
            watch = LagWatch()
            ticker = asyncio.create_task(watch.run())
            try:
                for round_ in range(2):
                    due = await asyncio.to_thread(
                        store.claim_due_sources, now=now[0], limit=100, owner="b", lease_seconds=600
                    )
                    outcomes = await asyncio.gather(*(poller.poll(source) for source in due))
                    if round_ == 0:
                        for n, (body, content_type) in enumerate(bodies.values()):
                            server.add_feed(f"/h{n}", body, content_type=content_type)
                        now[0] += timedelta(days=2)
                failed = [o for o in outcomes if not o.ok]
                print(f"  second round: {len(outcomes)} polls, {len(failed)} failed (refused)")
            finally:
                ticker.cancel()
        store.close()
    return watch


BAR_PROBE_S = 2.0
BAR_STORE_S = 30.0
BAR_STOP_S = 10.0
BAR_RSS_MB = 400.0


def flood_figures(name: str, result: FloodResult, seconds: float) -> bool:
    """Print one run's figures; whether it met the bars."""
    delays, missing = result.delays(BAR_STORE_S)
    worst = max(delays, default=float("nan"))
    print(
        f"  {name}: /healthz {result.probes} probes, slowest {result.slowest_probe_s:.2f} s, "
        f"{result.failed_probes} unanswered; statuses {dict(result.statuses)}"
    )
    print(
        f"    normal items: {len(result.published)} published, {len(result.stored)} stored; "
        f"worst delay {worst:.1f} s, {len(missing)} not stored within {BAR_STORE_S:.0f} s"
    )
    print(
        f"    stop {result.stop_s:.1f} s (exit {result.exit_code}); peak RSS daemon+workers "
        f"{result.peak_rss_mb:.0f} MB (one worker {result.peak_worker_mb:.0f} MB); "
        f"flood rows {result.flood_rows}; requests {dict(result.requests)}"
    )
    for line in result.metrics.splitlines():
        if line.startswith(("narcowatch_article_fetches_total", "narcowatch_items_capped_total")):
            print(f"    {line}")
    return (
        result.slowest_probe_s <= BAR_PROBE_S
        and result.failed_probes == 0
        and not missing
        and (not delays or worst <= BAR_STORE_S)
        and result.exit_code == 0
        and result.stop_s <= BAR_STOP_S
        and result.peak_rss_mb < BAR_RSS_MB
    )


REAL_ALERT = (
    b'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title><item><guid>real</guid>'
    b"<title>Kazakhstan hosts SCO security council meeting on narcotics</title>"
    b"<link>http://example.org/real</link><description>Interior ministers of the Shanghai "
    b"Cooperation Organisation member states agreed in Astana to create a joint anti-drug "
    b"centre with UNODC support against Afghan opium and synthetic drug smuggling."
    b"</description></item></channel></rss>"
)


def matching_feed(count: int, version: int) -> bytes:
    """RSS of `count` items about anti-drug cooperation, each its own story."""
    places = ["Laos", "Myanmar", "Kazakhstan", "Tajikistan", "Vietnam", "Thailand", "Cambodia"]
    items = "".join(
        f"<item><guid>m{version}-{n}</guid>"
        f"<title>China and {places[n % 7]} agree joint anti-drug operation {n}</title>"
        f"<link>http://example.org/m{version}/{n}</link><description>Police of China and "
        f"{places[(n + 3) % 7]} will share intelligence on heroin trafficking and precursor "
        f"chemicals, case {n * 7919} of the Mekong patrol, the ministry said.</description></item>"
        for n in range(count)
    )
    head = '<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>'
    return f"{head}{items}</channel></rss>".encode()


async def flood_poll(count: int) -> tuple[float, float, int]:
    """Finding 1: the second poll of `count` new items dated years ago (the daemon's poller,
    worker process and SQLite store, its default settings but a parse budget of 10 minutes):
    seconds, the event loop's longest block, rows stored."""
    from tests.support.floodrun import TOKEN, flood_body

    now = [datetime(2026, 1, 1, tzinfo=UTC)]
    body = flood_body(count)
    with tempfile.TemporaryDirectory() as workdir:
        store = open_store(f"sqlite:///{Path(workdir) / 'flood.db'}")
        matcher = compile_topics(load_topics([DEFAULT_TOPIC], env={}))
        async with (
            feed_server() as server,
            HttpFetcher(FetchLimits(timeout_s=30, max_bytes=CAP), trust_env=False) as fetcher,
            ProcessRunner(1) as runner,
        ):
            url = server.add_feed("/f.json", body.replace(TOKEN, b"00000001"), content_type=JSON)
            store.sync_config_sources([SourceSpec(name="flood", url=url)], now=now[0])
            # A generous parse budget: the poll's own cost is measured, not the budget's cut.
            poller = Poller(
                fetcher=fetcher,
                store=store,
                scorer=matcher,
                clock=lambda: now[0],
                runner=runner,
                parse_budget_s=600,
            )
            claim = store.claim_due_sources
            (source,) = claim(now=now[0], limit=1, owner="b", lease_seconds=9999)
            await poller.poll(source)
            server.add_feed("/f.json", body.replace(TOKEN, b"00000002"), content_type=JSON)
            now[0] += timedelta(hours=1)
            (source,) = claim(now=now[0], limit=1, owner="b", lease_seconds=9999)
            watch = LagWatch()
            ticker = asyncio.create_task(watch.run())
            started = time.perf_counter()
            try:
                outcome = await poller.poll(source)
            finally:
                ticker.cancel()
            seconds = time.perf_counter() - started
        store.close()
    return seconds, watch.worst_busy_s, outcome.new_items


def burst_figures() -> tuple[int, int, int]:
    """Finding 5, black-box (`narcowatch poll --once`, default config): a feed bringing 2,000
    matching items to one subscribed chat, then one real alert from another source: matches
    stored, alerts queued for the chat, and the real alert's place in the chat's queue."""
    from tests.support.cli import run_cli, write_config

    async def run(workdir: Path) -> tuple[int, int, int]:
        async with feed_server() as server:
            burst = server.add_feed("/burst.xml", matching_feed(1, 1))
            other = server.add_feed("/other.xml", matching_feed(1, 7))
            sources = [{"name": "burst", "url": burst}, {"name": "other", "url": other}]
            config = str(write_config(workdir, sources))
            database = f"sqlite:///{workdir / 'narcowatch.db'}"
            await asyncio.to_thread(run_cli, "poll", "--once", "--config", config)
            store = open_store(database)
            store.upsert_chat(7, type="private", title=None, now=datetime.now(UTC))
            store.subscribe(7, "drug-control-cooperation", now=datetime.now(UTC))
            server.add_feed("/burst.xml", matching_feed(2000, 2))
            await asyncio.to_thread(run_cli, "poll", "--once", "--config", config)
            server.add_feed("/other.xml", REAL_ALERT)
            await asyncio.to_thread(run_cli, "poll", "--once", "--config", config)
            claimed = store.claim_outbox(
                now=datetime.now(UTC) + timedelta(minutes=1),
                limit=5000,
                owner="b",
                lease_seconds=60,
            )
            queue = [alert for alert in claimed if alert.edit is None]
            matches = len(store.recent_matches(7, 5000))
            store.close()
        place = next((n for n, a in enumerate(queue, 1) if a.source_name == "other"), 0)
        return matches, len(queue), place

    with tempfile.TemporaryDirectory() as workdir:
        return asyncio.run(run(Path(workdir)))


async def page_in_worker(seconds: float) -> tuple[float, float, str]:
    """Finding 14: one 4.5 MB page of one-line paragraphs extracted in a worker process
    within the default article timeout: seconds, the worker's peak resident MB, outcome."""
    from tests.support.floodrun import rss_mb, slow_page

    page = slow_page(4_500_000)
    async with ProcessRunner(1) as runner:
        await runner.extract(
            b"<html><body><p>warm</p></body></html>", "http://x", "text/html", Budget(60)
        )
        (worker,) = runner._live
        peak = rss_mb(worker.process.pid)
        job = asyncio.create_task(runner.extract(page, "http://x/p", "text/html", Budget(seconds)))
        started = time.perf_counter()
        while not job.done():
            peak = max(peak, rss_mb(worker.process.pid))
            await asyncio.sleep(0.05)
        took = time.perf_counter() - started
        try:
            outcome = f"{len(job.result())} characters"
        except ParseError as exc:
            outcome = f"failed: {exc}"
    return took, peak, outcome


def cache_figure(entries: int = 4096) -> tuple[int, float]:
    """Finding 14: the article cache filled with pages of 20,000 Cyrillic characters (how
    many it keeps, MB it holds, measured by tracemalloc)."""
    import tracemalloc

    from bot.services.article_text import ArticleReader
    from bot.settings.model import ArticleSettings

    reader = ArticleReader(None, ArticleSettings(), topics=lambda: ())  # type: ignore[arg-type]
    text = "Сотрудничество в борьбе с наркотиками. " * 520
    tracemalloc.start()
    for n in range(entries):
        page = (text + str(n))[:20_000]
        if hasattr(reader, "_remember"):  # before issue 17: 4,096 entries whatever their size
            reader._remember(f"https://news.example/{n}", page)
        else:
            reader.cache.put(f"https://news.example/{n}", page)
    held, _ = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    kept = len(reader._cache) if reader._cache is not None else 0
    return kept, held / MB


def single_steps(seconds: float) -> None:
    """Part 4: findings 1, 5 and 14 one step at a time."""
    print("Part 4: single steps")
    for count in (10_000, 30_000):
        took, block, rows = asyncio.run(flood_poll(count))
        print(
            f"  finding 1: second poll of {count:,} new old-dated items: {took:.1f} s, "
            f"longest event-loop block {block * 1000:.0f} ms, {rows:,} rows stored"
        )
    matches, queued, place = burst_figures()
    print(
        f"  finding 5: a poll bringing 2,000 matching items: {matches:,} matches stored, "
        f"{queued:,} alerts queued for the chat; another source's alert queued after it is "
        f"number {place:,} in the chat's queue (at 1 message/s)"
    )
    took, peak, outcome = asyncio.run(page_in_worker(seconds))
    print(
        f"  finding 14: a 4.5 MB page of one-line paragraphs in a worker (limit {seconds:g} s): "
        f"{took:.1f} s, worker peak {peak:.0f} MB resident, {outcome}"
    )
    kept, held = cache_figure()
    print(
        f"  finding 14: article cache after 4,096 pages of 20,000 Cyrillic characters: "
        f"{kept:,} kept, {held:.0f} MB"
    )


def flood_run(seconds: float) -> bool:
    """Part 3: the normal feeds alone (baseline), then with the flood and the slow pages."""
    print(f"Part 3: the flood-plus-slow-pages run, `narcowatch run` for {seconds:.0f} s")
    with tempfile.TemporaryDirectory() as alone_dir, tempfile.TemporaryDirectory() as run_dir:
        alone_plan = FloodPlan(seconds=seconds, flood_items=1, slow_feeds=0)
        alone = asyncio.run(run_flood(Path(alone_dir), alone_plan))
        flood_figures("baseline, normal feeds only (and a 1-item flood feed)", alone, seconds)
        result = asyncio.run(run_flood(Path(run_dir), FloodPlan(seconds=seconds)))
        ok = flood_figures("with the 30,000-item flood and two slow-page feeds", result, seconds)
    print(
        f"  bars: /healthz within {BAR_PROBE_S:.0f} s, normal items stored within "
        f"{BAR_STORE_S:.0f} s, stop within {BAR_STOP_S:.0f} s, RSS under {BAR_RSS_MB:.0f} MB: "
        + ("met" if ok else "NOT met")
    )
    return ok


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=90.0, help="length of the Part 3 run")
    parser.add_argument(
        "--only",
        choices=("flood", "steps"),
        default=None,
        help="run only Part 3 (the flood run) or Part 4 (single steps)",
    )
    args = parser.parse_args()
    logging.getLogger("narcowatch").setLevel(logging.ERROR)  # the figures, not the events
    if args.only == "flood":
        return 0 if flood_run(args.seconds) else 1
    if args.only == "steps":
        single_steps(15.0)
        return 0
    matcher = compile_topics(load_topics([DEFAULT_TOPIC], env={}))

    normal, rss = hostile.normal_feed(200)
    base_s, base_outcome = best_of(args.repeat, lambda: parse_and_score(normal, rss, matcher))
    base_per_mb = base_s / (len(normal) / MB)
    print(f"Part 1: parse+score time per MB (best of {args.repeat})")
    print(f"{'input':48} {'MB':>6} {'time s':>8} {'s/MB':>7} {'x normal':>8}  outcome")
    print(
        f"{'normal feed, 200 items (baseline)':48} {len(normal) / MB:6.2f} {base_s:8.3f} "
        f"{base_per_mb:7.3f} {1.0:8.1f}  {base_outcome}"
    )
    worst = 0.0
    bodies = corpus()
    rows: list[tuple[str, float, float, str]] = []
    for name, (body, content_type) in bodies.items():
        seconds, outcome = best_of(
            args.repeat, lambda b=body, c=content_type: parse_and_score(b, c, matcher)
        )
        rows.append((name, len(body) / MB, seconds, outcome))
    seconds, outcome = asyncio.run(time_gzip_bomb())
    rows.append(("gzip bomb (200 MB of zeros, 194 KB on the wire)", CAP / MB, seconds, outcome))
    for name, size_mb, seconds, outcome in rows:
        per_mb = seconds / size_mb
        ratio = per_mb / base_per_mb
        worst = max(worst, ratio)
        print(f"{name:48} {size_mb:6.2f} {seconds:8.3f} {per_mb:7.3f} {ratio:8.1f}  {outcome}")
    print(f"worst: {worst:.1f}x the normal feed per MB (bar: within {BAR_RATIO:.0f}x)")

    print("Part 2: every body polled by the daemon's poller and worker pool, twice")
    idle = LagWatch()
    asyncio.run(idle.watch_for(5))
    lag = asyncio.run(poll_everything(bodies, matcher))
    print(
        f"  longest block of the event loop (its CPU time between two 10 ms ticks): "
        f"{lag.worst_busy_s * 1000:.0f} ms (bar: under {BAR_LAG_S * 1000:.0f} ms)"
    )
    print(
        f"  latest tick by the clock: {lag.worst_wall_s * 1000:.0f} ms; with nothing running, "
        f"over 5 s in the same run: {idle.worst_wall_s * 1000:.0f} ms (the machine's own load)"
    )
    ok = worst <= BAR_RATIO and lag.worst_busy_s < BAR_LAG_S
    ok = flood_run(args.seconds) and ok
    single_steps(15.0)
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
