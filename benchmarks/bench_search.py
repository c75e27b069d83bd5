"""Search benchmark: `narcowatch search` latency on 1,000,000 stored items, SQLite and PostgreSQL.

Run: .venv/bin/python benchmarks/bench_search.py [--items 1000000] [--only sqlite|postgres]
     [--postgres-url postgresql://postgres@127.0.0.1:5432/test] [--runs 30]

Fills each database (a temporary SQLite file; a schema of its own in the PostgreSQL database,
dropped afterwards) with N items in English, Chinese and Russian, 5% of them matched, over a
year, built from a small vocabulary of each language (sentences analysed once, items made of
them, so a million items take a minute or two rather than the analyser's half hour; a sample is
checked against the analyser). Then prints:

- latency (p50 / p95 of --runs, after a warm-up) of Store.search_items, newest first and best
  first, for query kinds: two common English words, a rare word, a Chinese word (in a run
  without spaces), a Russian inflected form, a word in half the items, and the first with
  --since 30d. Baseline, same run: the same words without the index (LIKE on title and
  summary, newest first: it stops early for common words, reads the whole table for rare ones);
- what the index adds to the database size (the search_text column and the index);
- what it adds to the poll cycle's write time: Store.save_poll of 50 new items, 60 times
  (after 5 to warm up) with the index, then as many after dropping it (and with no document
  to compute), on the same database.

Target from issue 19: under 200 ms for a two-word query.
"""

from __future__ import annotations

import argparse
import random
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import psycopg  # noqa: E402
from sqlalchemy import text  # noqa: E402

import bot.storage.items as item_rows  # noqa: E402
from bot.core.models import Item  # noqa: E402
from bot.matching.normalize import fold  # noqa: E402
from bot.search.analyze import document, document_tokens  # noqa: E402
from bot.search.query import SearchRequest, parse_query, split_words  # noqa: E402
from bot.services.ports import PollSuccess, StoredEntry  # noqa: E402
from bot.storage import SourceSpec, Store, open_store  # noqa: E402
from bot.storage.search import index_items  # noqa: E402

TOPIC = "drug-control-cooperation"
TARGET_MS = 200.0
SOURCES = 60
DAYS = 365
RARE = "xylazine"


def vocabulary(words: str) -> list[str]:
    return words.split()


EN = vocabulary(
    "the of and to in a on for with by from as at police cooperation drug drugs trafficking "
    "border joint operation seized heroin methamphetamine cocaine precursor chemicals "
    "network ministry agreement signed talks training customs officers arrested suspects "
    "shipment port court sentenced smuggling routes regional security meeting minister said "
    "officials government report year tonnes million pills cannabis opium poppy cultivation "
    "fields Mekong Myanmar Laos Thailand China Russia Kazakhstan Afghanistan Mexico "
    "Colombia Peru UNODC ASEAN SCO Interpol Europol patrol river investigation laboratory "
    "dismantled international law enforcement crime organised gang weapons money laundering "
    "bank economy trade weather football election parliament school hospital farmers prices"
)
ZH = vocabulary(
    "的 了 在 和 与 对 等 为 是 禁毒 合作 禁毒合作 加强 打击 毒品 犯罪 跨境 警方 联合 行动 "
    "中国 老挝 缅甸 泰国 湄公河 巡逻 查获 冰毒 海洛因 国际 执法 会议 部长 双方 同意 签署 "
    "协议 走私 边境 公安部 案件 嫌疑人 逮捕 制毒 物品 化学品 地区 安全 经济 贸易 天气 学校"
)
RU = vocabulary(
    "и в с на по о к из для что как это также наркотрафик наркотрафика наркотрафиком "
    "наркотрафику сотрудничество сотрудничества сотрудничестве полиция полиции полицией "
    "граница границы границе наркотики наркотиков героин героина операция операции "
    "совместной задержаны изъято тонн министр министерство соглашение подписали Россия "
    "России Китай Китаем Казахстан Таджикистан Афганистан ОДКБ ШОС МВД ФСБ контрабанда "
    "контрабанды прекурсоров безопасности региона экономика погода выборы"
)
QUERIES = (
    ("two common English words", "police cooperation", {}),
    ("rare word", RARE, {}),
    ("Chinese word", "禁毒合作", {}),
    ("Chinese, two characters", "走私", {}),
    ("Russian inflected form", "наркотрафиком", {}),
    ("a word in many items", "the", {}),
    ("two words, --since 30d", "police cooperation", {"since_days": 30}),
    ("two words, best first", "police cooperation", {"order": "best"}),
    ("Russian form, best first", "наркотрафиком", {"order": "best"}),
)


@dataclass(frozen=True, slots=True)
class Sentence:
    text: str
    doc: str


class Corpus:
    """Sentences of each language, each analysed once; items are made of them."""

    def __init__(self, rng: random.Random, per_language: int = 4000) -> None:
        self.rng = rng
        self.pools = {
            "en": [self._sentence(EN, " ", ". ") for _ in range(per_language)],
            "zh": [self._sentence(ZH, "", "。") for _ in range(per_language)],
            "ru": [self._sentence(RU, " ", ". ") for _ in range(per_language)],
        }
        rare = f"Traces of {RARE} were found. "
        self.rare = Sentence(rare, " ".join(document_tokens(fold(rare))))

    def _sentence(self, words: list[str], space: str, end: str) -> Sentence:
        # Zipf-like: the first words of each list (function words) are the most frequent.
        weights = [1.0 / (rank + 2) for rank in range(len(words))]
        chosen = self.rng.choices(words, weights=weights, k=self.rng.randint(7, 16))
        body = space.join(chosen)
        sentence = body[:1].upper() + body[1:] + end
        return Sentence(sentence, " ".join(document_tokens(fold(sentence))))

    def item(self, n: int) -> tuple[str, str, str, str]:
        """(lang, title, summary, search document) of item n."""
        lang = self.rng.choices(("en", "zh", "ru"), weights=(6, 2, 2))[0]
        pool = self.pools[lang]
        title = self.rng.choice(pool)
        body = self.rng.sample(pool, self.rng.randint(3, 7))
        if n % 10_007 == 0:
            body.append(self.rare)
        summary = "".join(s.text for s in body).strip()
        doc = " ".join(s.doc for s in [title, *body] if s.doc)
        return lang, title.text.strip(), summary, doc


def rows(corpus: Corpus, count: int, start: datetime, source_ids: list[int]) -> Iterator[Any]:
    """Item rows (and whether each matched) in id order, fetched across DAYS up to `start`."""
    step = DAYS * 86400 / count
    rng = corpus.rng
    for n in range(1, count + 1):
        lang, title, summary, doc = corpus.item(n)
        fetched = start - timedelta(seconds=(count - n) * step)
        published = fetched - timedelta(seconds=rng.random() * 6 * 3600)
        yield (n, rng.choice(source_ids), title, summary, doc, lang, fetched, published)


def check_sample(corpus: Corpus) -> None:
    """The composed documents are what the analyser makes of the same text."""
    for n in range(200):
        _lang, title, summary, doc = corpus.item(n * 10_007)
        assert document(Item(title=title, summary=summary)) == doc, (title, summary)


# --- filling -------------------------------------------------------------------------------


def add_sources(store: Store, now: datetime) -> list[int]:
    specs = [
        SourceSpec(name=f"Source {n:02d}", url=f"https://s{n}.example/f") for n in range(SOURCES)
    ]
    store.sync_config_sources(specs, now=now)
    return [s.id for s in store.source_health()]


def fill_sqlite(store: Store, count: int, now: datetime, corpus: Corpus) -> None:
    """Bulk insert through the driver with the FTS5 triggers set aside, then the index built
    in one pass ('rebuild', 2.3x faster than a million trigger inserts) and the triggers put
    back as they were; the poll-time cost of the triggers is measured below."""
    source_ids = add_sources(store, now)
    fmt = "%Y-%m-%d %H:%M:%S.%f"  # SQLAlchemy's SQLite format, in UTC (string order = time)
    raw = store.engine.raw_connection()
    try:
        cursor = raw.cursor()
        triggers = cursor.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'item'"
        ).fetchall()
        for name, _sql in triggers:
            cursor.execute(f"DROP TRIGGER {name}")
        batch: list[tuple[Any, ...]] = []
        matches: list[tuple[Any, ...]] = []
        for n, source, title, summary, doc, lang, fetched, published in rows(
            corpus, count, now, source_ids
        ):
            f, p = fetched.astimezone(UTC).strftime(fmt), published.astimezone(UTC).strftime(fmt)
            batch.append(
                (
                    n,
                    source,
                    f"k{n}",
                    f"https://news.example/{n}",
                    f"{n:064x}",
                    title,
                    f"https://news.example/{n}",
                    summary,
                    p,
                    lang,
                    f,
                    doc,
                )
            )
            if n % 20 == 0:
                matches.append((n, TOPIC, 0.5 + (n % 50) / 100, f))
            if len(batch) == 20_000:
                _flush_sqlite(cursor, batch, matches)
                raw.commit()
        _flush_sqlite(cursor, batch, matches)
        raw.commit()
        cursor.execute("INSERT INTO item_search(item_search) VALUES ('rebuild')")
        for _name, sql in triggers:
            cursor.execute(sql)
        raw.commit()
        cursor.execute("ANALYZE")
        raw.commit()
    finally:
        raw.close()


def _flush_sqlite(cursor: Any, batch: list[Any], matches: list[Any]) -> None:
    cursor.execute("BEGIN")
    cursor.executemany(
        "INSERT INTO item (id, source_id, key, canonical_link, title_hash, title, link, summary, "
        "content, published, lang, fetched_at, search_text) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, '', ?, ?, ?, ?)",
        batch,
    )
    cursor.executemany(
        "INSERT INTO match (item_id, topic, score, terms, entities, reasons, created_at) "
        "VALUES (?, ?, ?, '[]', '[]', '[]', ?)",
        matches,
    )
    batch.clear()
    matches.clear()


def fill_postgres(store: Store, count: int, now: datetime, corpus: Corpus) -> None:
    """COPY into a staging table, one INSERT ... SELECT making each document its tsvector,
    then the GIN index built once, as a restore would (the poll-time cost is measured below)."""
    source_ids = add_sources(store, now)
    raw = store.engine.raw_connection()
    try:
        cursor = raw.cursor()
        cursor.execute("DROP INDEX ix_item_search_text")
        cursor.execute(
            "CREATE TEMPORARY TABLE staging (id integer, source_id integer, title text, "
            "summary text, published timestamptz, lang text, fetched_at timestamptz, doc text)"
        )
        matches = []
        with cursor.copy("COPY staging FROM STDIN") as copy:
            for n, source, title, summary, doc, lang, fetched, published in rows(
                corpus, count, now, source_ids
            ):
                copy.write_row((n, source, title, summary, published, lang, fetched, doc))
                if n % 20 == 0:
                    matches.append((n, TOPIC, 0.5 + (n % 50) / 100, "[]", "[]", "[]", fetched))
        cursor.execute(
            "INSERT INTO item (id, source_id, key, canonical_link, title_hash, title, link, "
            "summary, content, published, lang, fetched_at, search_text) "
            "SELECT id, source_id, 'k' || id, 'https://news.example/' || id, lpad(id::text, 64, "
            "'0'), title, 'https://news.example/' || id, summary, '', published, lang, "
            "fetched_at, to_tsvector('simple'::regconfig, doc) FROM staging ORDER BY id"
        )
        cursor.execute("DROP TABLE staging")
        with cursor.copy(
            "COPY match (item_id, topic, score, terms, entities, reasons, created_at) FROM STDIN"
        ) as copy:
            for row in matches:
                copy.write_row(row)
        cursor.execute("SELECT setval(pg_get_serial_sequence('item', 'id'), %s)", (count,))
        raw.commit()
        cursor.execute("SET maintenance_work_mem = '512MB'")
        cursor.execute("CREATE INDEX ix_item_search_text ON item USING gin (search_text)")
        raw.commit()
        raw.driver_connection.autocommit = True  # type: ignore[union-attr]
        cursor = raw.cursor()
        cursor.execute("VACUUM ANALYZE item")
        cursor.execute("VACUUM ANALYZE match")
        raw.driver_connection.autocommit = False  # type: ignore[union-attr]
    finally:
        raw.close()


# --- measuring -----------------------------------------------------------------------------


def percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return statistics.median(ordered) * 1000, p95 * 1000


def timed(run: Callable[[], object], runs: int) -> tuple[list[float], object]:
    result = run()  # warm-up
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        result = run()
        samples.append(time.perf_counter() - start)
    return samples, result


def baseline_like(store: Store, words: str, since: datetime | None) -> Callable[[], object]:
    """The same query without an index, as one would write it: each word a case-insensitive
    LIKE on title and summary, newest first (it stops early for common words)."""
    like = "LIKE" if store.engine.dialect.name == "sqlite" else "ILIKE"
    conditions, params = [], {}
    for n, word in enumerate(split_words(words)):
        params[f"p{n}"] = f"%{word}%"
        conditions.append(f"(i.title || ' ' || i.summary) {like} :p{n}")
    where = " AND ".join(conditions)
    if since is not None:
        where += " AND i.fetched_at >= :since"
        params["since"] = since  # type: ignore[assignment]
    sql = text(
        f"SELECT i.id, i.title, i.link, s.name FROM item i JOIN source s ON s.id = i.source_id "
        f"WHERE {where} ORDER BY i.id DESC LIMIT 20"
    )

    def run() -> object:
        with store.engine.connect() as conn:
            return conn.execute(sql, params).all()

    return run


def latencies(store: Store, now: datetime, runs: int) -> None:
    print(
        f"  {'query':<30} {'words':<20} {'hits':>4} {'p50 ms':>8} {'p95 ms':>8}  "
        f"{'LIKE scan p50':>13}"
    )
    for label, words, options in QUERIES:
        since = now - timedelta(days=options["since_days"]) if "since_days" in options else None
        request = SearchRequest(
            parse_query(split_words(words)),
            order=options.get("order", "newest"),
            since=since,
        )

        def run(request: SearchRequest = request) -> object:
            return store.search_items(request)

        samples, hits = timed(run, runs)
        p50, p95 = percentiles(samples)
        base = "-"
        if options.get("order", "newest") == "newest":
            base_samples, _ = timed(baseline_like(store, words, since), 2)
            base = f"{statistics.median(base_samples) * 1000:,.0f}"
        flag = "" if p50 < TARGET_MS else "  (over the target)"
        print(
            f"  {label:<30} {words:<20} {len(hits):>4} {p50:>8.1f} {p95:>8.1f}  "  # type: ignore[arg-type]
            f"{base:>13}{flag}"
        )


def sizes(store: Store) -> None:
    with store.engine.connect() as conn:
        if store.engine.dialect.name == "sqlite":
            pages = dict(
                conn.execute(text("SELECT name, sum(pgsize) FROM dbstat GROUP BY name")).all()
            )
            total = sum(pages.values())
            index = sum(v for k, v in pages.items() if k.startswith("item_search"))
            column = conn.execute(
                text("SELECT sum(length(CAST(search_text AS BLOB))) FROM item")
            ).scalar_one()
            parts = [("FTS5 index (item_search_*)", index), ("search_text column", column)]
        else:
            total = conn.execute(text("SELECT pg_database_size(current_database())")).scalar_one()
            schema_total = conn.execute(
                text(
                    "SELECT sum(pg_total_relation_size(c.oid)) FROM pg_class c JOIN pg_namespace "
                    "n ON n.oid = c.relnamespace WHERE n.nspname = current_schema() "
                    "AND c.relkind = 'r'"
                )
            ).scalar_one()
            total = int(schema_total)
            index = conn.execute(
                text("SELECT pg_relation_size('ix_item_search_text')")
            ).scalar_one()
            column = conn.execute(
                text("SELECT sum(pg_column_size(search_text)) FROM item")
            ).scalar_one()
            parts = [("GIN index", index), ("search_text column (tsvector)", column)]
    added = sum(int(v) for _, v in parts)
    mb = 1024 * 1024
    print(
        f"  database: {total / mb:,.0f} MB; without the search parts {(total - added) / mb:,.0f} MB"
        f"; search adds {added / mb:,.0f} MB (+{100 * added / max(1, total - added):.0f}%)"
    )
    for name, value in parts:
        print(f"    {name}: {int(value) / mb:,.0f} MB")


def write_cost(store: Store, now: datetime, corpus: Corpus, polls: int = 60) -> None:
    """save_poll of 50 new items, with the index and without it (median ms per poll).

    Without it: no document computed and, on SQLite, no rows added to the FTS5 table; on
    PostgreSQL the GIN index is first rebuilt as a partial one that leaves out empty documents,
    so the polls without a document do not touch it. Polls with and without alternate, so
    both see the same load."""
    source_id = store.source_health()[0].id
    serial = iter(range(10_000_000, 20_000_000))
    sqlite = store.engine.dialect.name == "sqlite"

    def entries() -> list[StoredEntry]:
        made = []
        for _ in range(50):
            n = next(serial)
            _lang, title, summary, _doc = corpus.item(1)
            item = Item(title=title, summary=summary)
            key, title_hash = f"w{n}", f"{n:064x}"
            made.append(StoredEntry(key=key, canonical_link=None, title_hash=title_hash, item=item))
        return made

    parts: dict[str, list[float]] = {"documents": [], "index": []}

    def timed_index(conn: Any, ids: Any) -> None:
        start = time.perf_counter()
        index_items(conn, ids)
        parts["index"][-1] += time.perf_counter() - start

    def timed_document(item: Item) -> str:
        start = time.perf_counter()
        doc = document(item)
        parts["documents"][-1] += time.perf_counter() - start
        return doc

    def save(indexed: bool) -> float:
        batch = entries()
        success = PollSuccess(now=now, next_poll_at=now + timedelta(minutes=15))
        item_rows.index_items = timed_index  # type: ignore[assignment]
        item_rows.document = timed_document  # type: ignore[assignment]
        for part in parts.values():
            part.append(0.0)
        if not indexed:
            item_rows.document = lambda item: ""  # type: ignore[assignment]
            item_rows.index_items = lambda conn, ids: None  # type: ignore[assignment]
        try:
            start = time.perf_counter()
            store.save_poll(source_id, success, batch, alert=False)
            return time.perf_counter() - start
        finally:
            item_rows.document = document  # type: ignore[assignment]
            item_rows.index_items = index_items  # type: ignore[assignment]

    if not sqlite:
        with store.engine.begin() as conn:
            conn.execute(text("DROP INDEX ix_item_search_text"))
            conn.execute(text("SET LOCAL maintenance_work_mem = '512MB'"))
            conn.execute(
                text(
                    "CREATE INDEX ix_item_search_text ON item USING gin (search_text) "
                    "WHERE search_text <> ''::tsvector"
                )
            )
    # (with the index?, counted?): the first five polls of each kind warm up.
    plan = [(on, n >= 10) for n, on in enumerate((True, False) * (polls + 5))]
    times: dict[bool, list[float]] = {True: [], False: []}
    for indexed, counted in plan:
        took = save(indexed)
        if counted:
            times[indexed].append(took)
    with_index, without = (statistics.median(times[on]) * 1000 for on in (True, False))
    best_with, best_without = (min(times[on]) * 1000 for on in (True, False))
    counted = [n for n, (on, kept) in enumerate(plan) if on and kept]
    docs, fts = ([parts[name][n] * 1000 for n in counted] for name in ("documents", "index"))
    print(
        f"  save_poll of 50 new items, median (best) of {len(times[True])}: "
        f"{with_index:.1f} ({best_with:.1f}) ms with the index, {without:.1f} "
        f"({best_without:.1f}) ms without: +{with_index - without:.1f} "
        f"({best_with - best_without:.1f}) ms per poll"
    )
    print(
        f"    computing the 50 documents {statistics.median(docs):.1f} ({min(docs):.1f}) ms"
        + (
            f", the FTS5 statement {statistics.median(fts):.1f} ({min(fts):.1f}) ms"
            if sqlite
            else ""
        )
    )


# --- main ----------------------------------------------------------------------------------


@contextmanager
def database(kind: str, postgres_url: str, keep: bool) -> Iterator[str]:
    """A SQLite file in a temporary directory, or a PostgreSQL schema of its own; removed
    afterwards unless `keep` (then printed, for a look at query plans)."""
    if kind == "sqlite":
        folder = tempfile.mkdtemp(prefix="bench_search_")
        try:
            yield f"sqlite:///{Path(folder) / 'bench.db'}"
        finally:
            if keep:
                print(f"  kept: sqlite:///{Path(folder) / 'bench.db'}")
            else:
                shutil.rmtree(folder)
        return
    schema = f"bench_search_{uuid.uuid4().hex[:8]}"
    admin = postgres_url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    try:
        yield f"{postgres_url}?options=-csearch_path%3D{schema}"
    finally:
        if keep:
            print(f"  kept: schema {schema} (DROP SCHEMA {schema} CASCADE when done)")
        else:
            with psycopg.connect(admin, autocommit=True) as conn:
                conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


def bench(kind: str, url: str, items: int, runs: int, *, keep: bool) -> None:
    now = datetime.now(UTC)
    corpus = Corpus(random.Random(19))
    check_sample(corpus)
    store = open_store(url)
    try:
        started = time.perf_counter()
        (fill_sqlite if kind == "sqlite" else fill_postgres)(store, items, now, corpus)
        took = time.perf_counter() - started
        print(f"\n{kind}: {items:,} items stored and indexed in {took:.0f} s")
        latencies(store, now, runs)
        sizes(store)
        if not keep:  # it drops the index
            write_cost(store, now, corpus)
    finally:
        store.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--only", choices=("sqlite", "postgres"), default=None)
    parser.add_argument("--keep", action="store_true", help="Keep the databases (no write test).")
    parser.add_argument(
        "--postgres-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/test"
    )
    args = parser.parse_args()
    for kind in ("sqlite", "postgres"):
        if args.only in (None, kind):
            with database(kind, args.postgres_url, args.keep) as url:
                bench(kind, url, args.items, args.runs, keep=args.keep)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
