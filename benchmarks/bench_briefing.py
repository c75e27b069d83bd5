"""Briefing benchmark: /stats and a briefing over 90 days of 100,000 stored, matched items.

Run: .venv/bin/python benchmarks/bench_briefing.py [--items 100000] [--database-url URL]

Fills a database (a temporary SQLite file unless --database-url) with N items spread over the
last 90 days, every one matched (the worst case: unmatched items are pruned and never read),
from 60 sources, naming countries and organisations, a fifth of them in near-duplicate
stories. Then times, for one subscribed chat:

- the bare SQL query a briefing needs, executed by the driver with rows fetched as tuples
  (no JSON decoding, no Python objects): the floor;
- `/stats 90d`: the service's briefing (query, stories, counts) plus the PNG and caption;
- a 90-day briefing: the same plus the top-stories message;
- `narcowatch report --since 90d`: the briefing with source health, and the HTML page.

Each is the best of three runs. SPEC-style bar from issue 12: /stats and the briefing < 2 s.
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import insert  # noqa: E402

from bot.briefing.build import period_ending  # noqa: E402
from bot.drawing.charts import briefing_png  # noqa: E402
from bot.drawing.messages import caption, stories_message  # noqa: E402
from bot.drawing.report import report_html  # noqa: E402
from bot.services.briefing import Briefings  # noqa: E402
from bot.storage import SourceSpec, Store, open_store  # noqa: E402
from bot.storage.briefings import matched_rows_query  # noqa: E402
from bot.storage.tables import ITEM, MATCH  # noqa: E402

TOPIC = "drug-control-cooperation"
BAR_S = 2.0
COUNTRIES = "China Myanmar Laos Thailand Russia Kazakhstan Tajikistan Afghanistan Iran Pakistan "
COUNTRIES += "India Philippines Australia Vietnam Cambodia Colombia Mexico Peru Bolivia Brazil"
ORGS = "UNODC SCO CARICC INCB Interpol ASEAN CSTO Europol DEA CND"
WORDS = (
    "police seize methamphetamine heroin joint operation border patrol Mekong precursor "
    "chemicals trafficking network dismantled agreement signed talks training equipment "
    "handed extradited suspects cocaine shipment port customs"
).split()
CHAT = 1001


def fill(store: Store, items: int, now: datetime, rng: random.Random) -> None:
    """N matched items over 90 days, inserted in bulk (the poller would take hours)."""
    store.sync_config_sources(
        [SourceSpec(name=f"Source {n:02d}", url=f"https://s{n}.example/feed") for n in range(60)],
        now=now,
    )
    source_ids = [s.id for s in store.source_health()]
    countries, orgs = COUNTRIES.split(), ORGS.split()
    span = 90 * 86400
    item_rows, match_rows = [], []
    story = None
    for n in range(1, items + 1):
        at = now - timedelta(seconds=rng.random() * span)
        if n % 5 == 0 and story is not None:
            story_id = story
        else:
            story_id = n if n % 7 == 0 else None
            story = story_id
        title = " ".join(rng.sample(WORDS, 8)).capitalize()
        item_rows.append(
            {
                "id": n,
                "source_id": rng.choice(source_ids),
                "key": f"k{n}",
                "canonical_link": f"https://news.example/{n}",
                "title_hash": f"{n:064x}",
                "title": title,
                "link": f"https://news.example/{n}",
                "summary": "",
                "content": "",
                "published": at,
                "lang": rng.choice(("en", "en", "zh", "ru")),
                "fetched_at": at,
                "story_id": story_id,
            }
        )
        entities = [{"name": c, "type": "country"} for c in rng.sample(countries, 3)]
        entities.append({"name": rng.choice(orgs), "type": "organisation"})
        terms = [{"term": w, "group": "drug", "count": 1} for w in rng.sample(WORDS, 3)]
        match_rows.append(
            {
                "item_id": n,
                "topic": TOPIC,
                "score": round(0.5 + rng.random() / 2, 3),
                "terms": terms,
                "entities": entities,
                "reasons": ["benchmark"],
                "created_at": at,
            }
        )
        if len(item_rows) == 5000:
            _flush(store, item_rows, match_rows)
    _flush(store, item_rows, match_rows)
    store.upsert_chat(CHAT, type="private", title="bench", now=now)
    store.subscribe(CHAT, TOPIC, None, now=now)


def _flush(
    store: Store, item_rows: list[dict[str, object]], match_rows: list[dict[str, object]]
) -> None:
    if item_rows:
        with store.engine.begin() as conn:
            conn.execute(insert(ITEM), item_rows)
            conn.execute(insert(MATCH), match_rows)
    item_rows.clear()
    match_rows.clear()


def best_of(run: Callable[[], object], times: int = 3) -> float:
    best = float("inf")
    for _ in range(times):
        start = time.perf_counter()
        run()
        best = min(best, time.perf_counter() - start)
    return best


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=100_000)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite:///{Path(tmp) / 'bench.db'}"
        store = open_store(url)
        now = datetime.now(UTC)
        started = time.perf_counter()
        fill(store, args.items, now, random.Random(12))
        print(
            f"filled {args.items:,} matched items in {time.perf_counter() - started:.1f} s ({url.split(':')[0]})"
        )
        service = Briefings(store, lambda: now)
        period = period_ending(now, 90)
        statement = matched_rows_query(period, [TOPIC])
        sql = statement.compile(store.engine, compile_kwargs={"literal_binds": True})
        rows = 0

        def bare() -> None:
            nonlocal rows
            with store.engine.connect() as conn:
                rows = len(conn.exec_driver_sql(str(sql)).fetchall())

        def stats() -> None:
            briefing = service.stats(CHAT, 90)
            briefing_png(briefing)
            caption(briefing)

        def scheduled() -> None:
            briefing = service.for_chat(CHAT, period)
            briefing_png(briefing)
            caption(briefing)
            stories_message(briefing)

        def report() -> None:
            report_html(service.report(period, None), generated_at=now)

        briefing_png(service.stats(CHAT, 7))  # import matplotlib and warm its font cache once
        figures = {
            "bare SQL query (driver, tuples)": best_of(bare),
            "/stats 90d (briefing + PNG + caption)": best_of(stats),
            "briefing 90d (+ top-stories message)": best_of(scheduled),
            "report 90d (+ source health, HTML)": best_of(report),
        }
        stories = len(service.stats(CHAT, 90).stories)
        store.close()
    print(f"rows the query returns: {rows:,}; stories: {stories:,}")
    floor = figures["bare SQL query (driver, tuples)"]
    for name, seconds in figures.items():
        print(f"{name:42s} {seconds:6.2f} s  ({seconds / floor:4.1f}x the bare query)")
    ok = figures["/stats 90d (briefing + PNG + caption)"] < BAR_S
    ok = ok and figures["briefing 90d (+ top-stories message)"] < BAR_S
    print(f"bar: /stats and briefing < {BAR_S:.0f} s: {'PASS' if ok else 'FAIL'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
