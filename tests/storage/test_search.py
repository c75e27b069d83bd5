"""Full-text search of stored items, the same on SQLite (FTS5) and PostgreSQL (tsvector)."""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta

import pytest
from sqlalchemy import column, delete, insert, select, table, text, update

from bot.core.models import Item, TopicScore
from bot.search.query import SearchRequest, parse_query, split_words
from bot.services.ports import PollSuccess, StoredEntry
from bot.storage import SourceSpec, Store, create_engine_for, upgrade_engine
from bot.storage.tables import ITEM, SOURCE, UTCDateTime

ARTICLES = {
    "en": ("China and Laos step up anti-drug cooperation", "Joint patrols on the Mekong."),
    "zh": ("中国与老挝加强禁毒合作", "双方同意打击跨境毒品犯罪。"),
    "zh-hant": ("中國與寮國加強禁毒合作", "雙方同意打擊跨境毒品犯罪。"),
    "ru": ("Борьба с наркотрафиком в Центральной Азии", "Страны ОДКБ договорились."),
    "ru2": ("Объём наркотрафика снизился", "<p>По данным <b>МВД</b>, за год.</p>"),
    "noise": ("Weather today: sunny", "<p class='drugs'>No news.</p>"),
    "sco": ("上合组织SCO禁毒SCO会议", ""),
}


def stored(
    key: str,
    title: str,
    summary: str = "",
    *,
    published: datetime | None = None,
    matches: tuple[TopicScore, ...] = (),
) -> StoredEntry:
    link = f"https://news.example/{key}"
    return StoredEntry(
        key=key,
        canonical_link=link,
        title_hash=hashlib.sha256(title.encode()).hexdigest(),
        item=Item(title=title, link=link, summary=summary, published=published),
        matches=matches,
    )


def poll(store: Store, source_id: int, at: datetime, *entries: StoredEntry) -> None:
    success = PollSuccess(now=at, next_poll_at=at + timedelta(minutes=15))
    store.save_poll(source_id, success, list(entries), alert=True)


def found(store: Store, words: str, **narrowing: object) -> list[str]:
    """The keys (last part of the link) of what a search for `words` finds, in order."""
    request = SearchRequest(parse_query(split_words(words)), **narrowing)  # type: ignore[arg-type]
    return [(hit.link or "").rsplit("/", 1)[-1] for hit in store.search_items(request)]


@pytest.fixture
def articles(store: Store, source_id: int, now: datetime) -> Store:
    """The store with one item per ARTICLES entry, stored in that order (noise last)."""
    poll(store, source_id, now, *(stored(k, t, s, published=now) for k, (t, s) in ARTICLES.items()))
    return store


@pytest.mark.parametrize(
    ("words", "keys"),
    [
        ("禁毒合作", {"zh", "zh-hant"}),  # inside a sentence without spaces; traditional too
        ("禁毒", {"zh", "zh-hant", "sco"}),  # two characters
        ("毒", {"zh", "zh-hant", "sco"}),  # one character
        ("合作 加强", {"zh", "zh-hant"}),
        ("跨境毒品", {"zh", "zh-hant"}),  # in the summary
        ("老挝加强禁毒", {"zh"}),
        ('"禁毒 双方"', set()),  # a phrase: words between them
        ('"sco 禁毒"', {"sco"}),  # Latin then Chinese, in order
        ("禁毒sco", {"sco"}),
        ("наркотрафик", {"ru", "ru2"}),  # finds наркотрафиком and наркотрафика
        ("НАРКОТРАФИКОМ", {"ru", "ru2"}),  # and the other way round, any case
        ("ОДКБ", {"ru"}),
        ("мвд", {"ru2"}),  # text inside markup
        ("cooperation", {"en"}),
        ("cooperating", {"en"}),  # another English form
        ("ＣＯＯＰＥＲＡＴＩＯＮ", {"en"}),  # full-width letters (NFKC)
        ("Anti-Drug", {"en"}),
        ("drug cooperation", {"en"}),  # both words, anywhere
        ('"drug cooperation"', {"en"}),  # a phrase, in this order
        ('"cooperation drug"', set()),  # not in that order
        ("drug 禁毒", set()),  # every word must be in one item
        ("sunny weather", {"noise"}),
        ("class", set()),  # markup is not text
        ("laos*", {"en"}),
    ],
)
def test_finds_words_in_three_languages_and_their_forms(
    articles: Store, words: str, keys: set[str]
) -> None:
    """Chinese without spaces, Russian in other cases, English in other forms are found;
    case, width, traditional characters and markup make no difference."""
    assert set(found(articles, words)) == keys


def test_newest_stored_first_and_the_limit(store: Store, source_id: int, now: datetime) -> None:
    """Hits come newest stored first; `limit` keeps the newest."""
    for n in range(5):
        poll(store, source_id, now + timedelta(hours=n), stored(f"k{n}", f"Heroin seizure {n}"))
    assert found(store, "heroin") == ["k4", "k3", "k2", "k1", "k0"]
    assert found(store, "heroin", limit=2) == ["k4", "k3"]


def test_best_first_puts_the_most_relevant_first(
    store: Store, source_id: int, now: datetime
) -> None:
    """Best first ranks an item about the words above one that mentions them in passing."""
    poll(
        store,
        source_id,
        now,
        stored("dense", "Methamphetamine: the methamphetamine trade", "Methamphetamine labs."),
        stored("passing", "Border news", "Trade, tariffs, and one methamphetamine case."),
    )
    assert found(store, "methamphetamine") == ["passing", "dense"]
    assert found(store, "methamphetamine", order="best") == ["dense", "passing"]


def test_best_first_ranks_the_newest_window(
    store: Store, source_id: int, now: datetime, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Best first ranks only the RANK_WINDOW newest hits, so its cost has a bound."""
    monkeypatch.setattr("bot.storage.search.RANK_WINDOW", 2)
    dense = "Ephedrine ephedrine ephedrine"
    poll(store, source_id, now, stored("old-dense", dense, "Ephedrine precursor ephedrine."))
    poll(store, source_id, now, stored("passing", "Markets", "Prices, and ephedrine once."))
    poll(store, source_id, now, stored("newer", "Ephedrine case", "Ephedrine in court."))
    assert found(store, "ephedrine", order="best") == ["newer", "passing"]


def test_hits_say_which_topics_they_matched(
    store: Store, source_id: int, now: datetime, score
) -> None:
    """A matched hit carries its topics and scores (best first); an unmatched one none; the
    topic filter keeps only that topic's matches."""
    poll(
        store,
        source_id,
        now,
        stored("both", "Opium cooperation", matches=(score("drugs", 0.7), score("asia", 0.9))),
        stored("one", "Opium fields", matches=(score("drugs", 0.6),)),
        stored("none", "Opium history"),
    )
    request = SearchRequest(parse_query(["opium"]))
    hits = {(h.link or "").rsplit("/", 1)[-1]: h for h in store.search_items(request)}
    assert [(m.topic, m.score) for m in hits["both"].matches] == [("asia", 0.9), ("drugs", 0.7)]
    assert (hits["both"].matched, hits["both"].score) == (True, 0.9)
    assert (hits["none"].matched, hits["none"].score, hits["none"].matches) == (False, None, ())
    assert hits["one"].source == "Wire"
    assert found(store, "opium", topic="drugs") == ["one", "both"]
    assert found(store, "opium", topic="asia") == ["both"]


def test_since_keeps_the_period(store: Store, source_id: int, now: datetime) -> None:
    """`since` keeps items stored and published since then; an old article found lately and
    a period with nothing stored give nothing."""
    poll(store, source_id, now - timedelta(days=40), stored("old", "Cocaine route", published=None))
    poll(
        store,
        source_id,
        now - timedelta(days=2),
        stored("recent", "Cocaine haul", published=now - timedelta(days=2)),
        stored("late", "Cocaine in 2019", published=now - timedelta(days=900)),
    )
    assert found(store, "cocaine") == ["late", "recent", "old"]
    assert found(store, "cocaine", since=now - timedelta(days=30)) == ["recent"]
    assert found(store, "cocaine", since=now + timedelta(days=1)) == []


def test_leaves_out_excluded_sources(store: Store, source_id: int, now: datetime) -> None:
    """Items of excluded sources (a chat's muted ones) are not found."""
    other = store.add_source(SourceSpec(name="Other", url="https://other.example/feed"), now=now)
    assert other is not None
    poll(store, source_id, now, stored("wire", "Fentanyl precursors"))
    poll(store, other, now, stored("other", "Fentanyl precursors seized"))
    assert found(store, "fentanyl") == ["other", "wire"]
    assert found(store, "fentanyl", exclude_sources=(other,)) == ["wire"]


def indexed(store: Store, token: str) -> set[int]:
    """Item ids the index itself holds for `token` (not joined to the item table)."""
    with store.engine.connect() as conn:
        if store.engine.dialect.name == "sqlite":
            sql = "SELECT rowid FROM item_search WHERE item_search MATCH :q"
            return set(conn.execute(text(sql), {"q": f'"{token}"'}).scalars())
        sql = "SELECT id FROM item WHERE search_text @@ to_tsquery('simple', :q)"
        return set(conn.execute(text(sql), {"q": token}).scalars())


def ids_of(store: Store) -> dict[str, int]:
    with store.engine.connect() as conn:
        return {key: item_id for key, item_id in conn.execute(select(ITEM.c.key, ITEM.c.id))}


def test_index_follows_updates_deletes_and_prunes(
    store: Store, source_id: int, now: datetime, score
) -> None:
    """The index changes with the items: a new search text, pruning, and a cascade delete."""
    other = store.add_source(SourceSpec(name="Other", url="https://other.example/feed"), now=now)
    assert other is not None
    poll(
        store,
        source_id,
        now - timedelta(days=100),
        stored("kept", "Ketamine trade", matches=(score("drugs"),)),
        stored("pruned", "Ketamine history"),
        stored("edited", "Ketamine lab"),
    )
    poll(store, other, now, stored("cascaded", "Ketamine route"))
    ids = ids_of(store)
    assert indexed(store, "ketamin") == set(ids.values())

    with store.engine.begin() as conn:
        conn.execute(
            update(ITEM).where(ITEM.c.id == ids["edited"]).values(search_text="zebra crossing")
        )
    assert indexed(store, "zebra") == {ids["edited"]}
    assert found(store, "zebra") == ["edited"]
    assert store.prune_unmatched_items(now - timedelta(days=30)) == 2
    with store.engine.begin() as conn:
        conn.execute(delete(SOURCE).where(SOURCE.c.id == other))  # items go with it (cascade)
    assert indexed(store, "ketamin") == {ids["kept"]}
    assert indexed(store, "zebra") == set()
    assert found(store, "ketamine") == ["kept"]


def test_query_reads_the_index(store: Store, source_id: int, now: datetime) -> None:
    """The search statement is answered from the full-text index, not by reading every row."""
    poll(store, source_id, now, *(stored(f"k{n}", f"Poppy field {n}") for n in range(50)))
    request = SearchRequest(parse_query(["poppy", "field"]))
    statement = store._statement(request, None)
    with store.engine.begin() as conn:
        compiled = statement.compile(conn, compile_kwargs={"literal_binds": True})
        if store.engine.dialect.name == "sqlite":
            plan = " ".join(row[-1] for row in conn.execute(text(f"EXPLAIN QUERY PLAN {compiled}")))
            assert "SCAN item_search VIRTUAL TABLE INDEX" in plan
            assert "SCAN item " not in f"{plan} "  # the item table is only looked up by id
            assert "TEMP B-TREE" not in plan  # newest first comes in index order, unsorted
        else:
            conn.execute(text("SET LOCAL enable_seqscan = off"))  # a 50-row table invites one
            plan = " ".join(row[0] for row in conn.execute(text(f"EXPLAIN {compiled}")))
            assert "ix_item_search_text" in plan


# The item table as revision 0006 left it (no search_text), for rows stored before 0007.
ITEM_0006 = table(
    "item",
    *(column(name) for name in ("source_id", "key", "title_hash", "title", "link", "summary")),
    column("content"),
    column("fetched_at", UTCDateTime()),
)


def test_migration_indexes_items_stored_before_it(database_url: str, now: datetime) -> None:
    """Upgrading a database with items from before revision 0007 makes them searchable, and
    the migration goes down and up again cleanly."""
    engine = create_engine_for(database_url)
    try:
        upgrade_engine(engine, revision="0006")
        store = Store(engine)
        store.sync_config_sources([SourceSpec(name="Old", url="https://old.example")], now=now)
        source_id = store.source_health()[0].id
        titles = ("Наркотрафиком занялись", "加强禁毒合作", "Opiate trade")
        with engine.begin() as conn:
            conn.execute(
                insert(ITEM_0006),
                [
                    {
                        "source_id": source_id,
                        "key": f"k{n}",
                        "title_hash": "h",
                        "title": title,
                        "link": f"https://old.example/{n}",
                        "summary": "<p>Old text</p>",
                        "content": "",
                        "fetched_at": now,
                    }
                    for n, title in enumerate(titles)
                ],
            )
        upgrade_engine(engine)
        assert found(store, "наркотрафик") == ["0"]
        assert found(store, "禁毒") == ["1"]
        assert found(store, "opiates") == ["2"]
        assert found(store, "old text") == ["2", "1", "0"]
        upgrade_engine(engine, revision="0006")
        upgrade_engine(engine)
        assert found(store, "禁毒合作") == ["1"]
    finally:
        engine.dispose()


ODD_WORDS = (
    "ǅemal",
    "İstanbul",
    "ﬁnance",
    "𝐁𝐨𝐥𝐝",
    "٣٤",
    "Ⅻ",
    "x²",
    "ｶﾀｶﾅ",
    "ー々〇",
    "한국어",
    "𒀀",
    "a\u0301b",
    "ok'; DROP",
    '"*',
    "NEAR(",
    "-x",
    "a:b",
    "\\'",
)


def test_any_letters_are_searchable_without_errors(
    store: Store, source_id: int, now: datetime
) -> None:
    """Words of any script, ligatures, digits of other scripts and query-syntax characters
    neither break the query on either database nor stop an item being found by them."""
    poll(
        store,
        source_id,
        now,
        *(stored(f"k{n}", f"Odd {word} item") for n, word in enumerate(ODD_WORDS)),
    )
    for n, word in enumerate(ODD_WORDS):
        try:
            hits = found(store, word)
        except ValueError:
            continue  # nothing searchable in it, as the user is told
        assert f"k{n}" in hits, word


def test_search_reads_while_a_writer_holds_the_lock(sqlite_url: str, now: datetime) -> None:
    """On SQLite a search takes no write lock, so it answers while the poller writes."""
    from bot.storage import open_store

    store = open_store(sqlite_url)
    try:
        store.sync_config_sources([SourceSpec(name="Wire", url="https://w.example/f")], now=now)
        poll(store, store.source_health()[0].id, now, stored("k", "Khat trade"))
        with store.engine.connect() as writer, writer.begin():  # BEGIN IMMEDIATE: the lock
            writer.execute(update(ITEM).values(lang="en"))
            assert found(store, "khat") == ["k"]
    finally:
        store.close()
