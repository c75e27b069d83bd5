"""Actors and places in storage, on SQLite and PostgreSQL: each match's actors are stored; a
chat's places decide its outbox rows; /recent, briefings, pair counts and exports filter by
place; migration 0008 fills in the actors of matches stored before it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import timedelta

from sqlalchemy import JSON, column, insert, select, table

from bot.briefing.model import Period
from bot.core.models import TopicScore
from bot.matching.actor_ids import country_codes
from bot.places.follow import place_codes
from bot.services.ports import PollSuccess, StoredEntry
from bot.storage import Store, create_engine_for, upgrade_engine
from bot.storage.actor_backfill import actors_in_reasons
from bot.storage.exports import iter_matches
from bot.storage.tables import ITEM, MATCH, MATCH_ACTOR, OUTBOX, SOURCE, UTCDateTime
from tests.storage.conftest import NOW

CENTRAL_ASIA = place_codes(["143"])
WEEK = Period(NOW - timedelta(days=7), NOW + timedelta(minutes=1))


def _store_items(
    store: Store,
    source_id: int,
    entry: Callable[..., StoredEntry],
    score: Callable[..., TopicScore],
    ok: Callable[..., PollSuccess],
    actors_by_key: dict[str, tuple[str, ...]],
) -> None:
    entries = [
        entry(key, matches=(replace(score("drugs"), actors=actors),))
        for key, actors in actors_by_key.items()
    ]
    store.save_poll(source_id, ok(), entries, alert=True)


def outbox_titles(store: Store) -> dict[int, set[str]]:
    with store.engine.connect() as conn:
        rows = conn.execute(
            select(OUTBOX.c.chat_id, ITEM.c.title)
            .join(MATCH, MATCH.c.id == OUTBOX.c.match_id)
            .join(ITEM, ITEM.c.id == MATCH.c.item_id)
        ).all()
    found: dict[int, set[str]] = {}
    for chat_id, title in rows:
        found.setdefault(chat_id, set()).add(title)
    return found


def test_each_matchs_actors_are_stored_once(
    store: Store, source_id: int, entry: Callable[..., StoredEntry], score, ok
) -> None:
    """A match keeps its actors as the matcher listed them, and one row each (once)."""
    _store_items(store, source_id, entry, score, ok, {"a": ("KZ", "RU", "KZ", "UNODC")})
    with store.engine.connect() as conn:
        actors = sorted(conn.execute(select(MATCH_ACTOR.c.actor)).scalars())
        listed = conn.execute(select(MATCH.c.actors)).scalar_one()
    assert actors == ["KZ", "RU", "UNODC"]
    assert listed == ["KZ", "RU", "KZ", "UNODC"]


def test_a_chat_following_places_gets_only_alerts_in_which_one_acts(
    store: Store, source_id: int, chat, entry, score, ok
) -> None:
    """Chat 1 follows Central Asia, chat 2 China, chat 3 everywhere: each gets its alerts."""
    chat(1, "drugs")
    chat(2, "drugs")
    chat(3, "drugs")
    store.set_places(1, ["143"])
    store.set_places(2, ["CN"])
    _store_items(
        store,
        source_id,
        entry,
        score,
        ok,
        {"kz": ("KZ", "RU"), "cn": ("CN", "LA"), "un": ("UNODC",), "both": ("CN", "TJ")},
    )
    got = outbox_titles(store)
    assert got[1] == {"Item kz", "Item both"}
    assert got[2] == {"Item cn", "Item both"}
    assert got[3] == {"Item kz", "Item cn", "Item un", "Item both"}
    assert store.chat_places(1) == ("143",)
    assert store.get_chat(3).places == ()  # type: ignore[union-attr]


def test_recent_briefing_rows_pairs_and_export_filter_by_place(
    store: Store, source_id: int, chat, entry, score, ok
) -> None:
    """Only matches with an actor in the places are read; pairs are counted per item."""
    chat(1, "drugs")
    _store_items(
        store,
        source_id,
        entry,
        score,
        ok,
        {"kz": ("KZ", "RU"), "kz2": ("KZ", "RU", "SCO"), "cn": ("CN", "LA")},
    )
    recent = store.recent_matches(1, 10, CENTRAL_ASIA)
    assert sorted(a.title for a in recent) == ["Item kz", "Item kz2"]
    assert len(store.recent_matches(1, 10)) == 3

    rows, _previous = store.briefing_rows(WEEK, ["drugs"], CENTRAL_ASIA)
    assert sorted((r.title, r.actors) for r in rows) == [
        ("Item kz", ("KZ", "RU")),
        ("Item kz2", ("KZ", "RU", "SCO")),
    ]
    assert store.pair_counts(WEEK, ["drugs"]) == {
        ("KZ", "RU"): 2,
        ("KZ", "SCO"): 1,
        ("RU", "SCO"): 1,
        ("CN", "LA"): 1,
    }
    assert store.pair_counts(WEEK, ["drugs"], frozenset({"CN"})) == {("CN", "LA"): 1}
    counts = store.period_counts(WEEK, ["drugs"], CENTRAL_ASIA)
    assert counts.total == 2
    assert dict(counts.pairs)[("KZ", "RU")] == 2
    assert ("CN", "LA") not in dict(counts.pairs)
    exported = list(iter_matches(store.engine, places=CENTRAL_ASIA))
    assert sorted(row.title for row in exported) == ["Item kz", "Item kz2"]


def test_previous_periods_pairs_are_counted_apart(
    store: Store, source_id: int, entry, score, ok
) -> None:
    """A pair's items last week and the week before are two numbers (for the change)."""
    earlier = NOW - timedelta(days=9)
    entries = [entry("old", matches=(replace(score("drugs"), actors=("KZ", "RU")),))]
    store.save_poll(source_id, ok(earlier), entries, alert=True)
    _store_items(store, source_id, entry, score, ok, {"new": ("KZ", "RU"), "n2": ("KZ", "RU")})
    week = Period(NOW - timedelta(days=7), NOW + timedelta(1))
    assert dict(store.period_counts(week, ["drugs"]).pairs) == {("KZ", "RU"): 2}
    assert store.pair_counts(week, ["drugs"]) == {("KZ", "RU"): 2}
    assert store.pair_counts(week.previous(), ["drugs"]) == {("KZ", "RU"): 1}


def test_reasons_name_the_actors_of_old_matches() -> None:
    """The backfill reads countries (agencies in brackets, nested too) and bodies."""
    reasons = [
        "cross-border: 2 countries (Ghana, United Kingdom); international bodies (UNODC, "
        "Interpol) +0.15",
        "actors that counted: Ghana (Narcotics Control Commission (Ghana), NACOC), United "
        "Kingdom (NCA); not counted (nationality, origin or destination): Peru",
    ]
    assert actors_in_reasons(reasons, country_codes()) == ("GH", "GB", "UNODC", "Interpol")
    assert actors_in_reasons(["actors that counted: no country"], country_codes()) == ()
    assert actors_in_reasons(["score 0.9 >= threshold 0.5: matched"], country_codes()) == ()


# The tables as revision 0006 has them (the models name columns added since).
ITEM_0006 = table(
    "item",
    *(column(name) for name in ("id", "source_id", "key", "title_hash", "title", "summary")),
    column("content"),
    column("fetched_at", UTCDateTime()),
)
MATCH_0006 = table(
    "match",
    *(column(name) for name in ("id", "item_id", "topic", "score")),
    column("terms", JSON()),
    column("entities", JSON()),
    column("reasons", JSON()),
    column("created_at", UTCDateTime()),
)


def test_migration_0008_fills_in_the_actors_of_stored_matches(database_url: str) -> None:
    """Matches stored at revision 0006 get their actors from their reasons when upgraded."""
    engine = create_engine_for(database_url)
    try:
        upgrade_engine(engine, revision="0006")
        with engine.begin() as conn:
            conn.execute(
                insert(SOURCE.c.id.table).values(
                    id=1,
                    name="Wire",
                    origin="config",
                    url="https://wire.example/feed",
                    type="feed",
                    interval_s=900.0,
                    enabled=True,
                    paused=False,
                    consecutive_failures=0,
                    health_reported=False,
                    created_at=NOW,
                )
            )
            for n, reasons in enumerate(
                (
                    ["actors that counted: Kazakhstan (CARICC), Kyrgyzstan"],
                    [
                        "cross-border: international bodies (UNODC) +0.15",
                        "actors that counted: China; not counted (nationality, origin or "
                        "destination): Myanmar",
                    ],
                    ["no term or entity of the topic found"],
                ),
                start=1,
            ):
                conn.execute(
                    insert(ITEM_0006).values(
                        id=n,
                        source_id=1,
                        key=f"k{n}",
                        title_hash=f"{n:064x}",
                        title=f"Item {n}",
                        summary="",
                        content="",
                        fetched_at=NOW,
                    )
                )
                conn.execute(
                    insert(MATCH_0006).values(
                        id=n,
                        item_id=n,
                        topic="drugs",
                        score=0.8,
                        terms=[],
                        entities=[],
                        reasons=reasons,
                        created_at=NOW,
                    )
                )
        upgrade_engine(engine)
        with engine.connect() as conn:
            rows = conn.execute(
                select(MATCH_ACTOR.c.match_id, MATCH_ACTOR.c.actor).order_by(
                    MATCH_ACTOR.c.match_id, MATCH_ACTOR.c.actor
                )
            ).all()
            listed = conn.execute(select(MATCH.c.id, MATCH.c.actors).order_by(MATCH.c.id)).all()
        assert [tuple(row) for row in rows] == [(1, "KG"), (1, "KZ"), (2, "CN"), (2, "UNODC")]
        assert [tuple(row) for row in listed] == [(1, ["KZ", "KG"]), (2, ["CN", "UNODC"]), (3, [])]
    finally:
        engine.dispose()
