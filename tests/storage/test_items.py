"""Item rows: new-entry filtering, storing polls once under races, matches, pruning, time zones."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import func, insert, select
from sqlalchemy.exc import IntegrityError, StatementError

from bot.storage import SourceSpec, Store
from bot.storage.tables import ITEM, MATCH, OUTBOX


def count(store: Store, table) -> int:  # type: ignore[no-untyped-def]
    with store.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())


def test_filter_new_drops_known_keys_and_same_link_and_title(
    store: Store, source_id: int, now: datetime, entry, ok
) -> None:
    """Known keys are filtered out, and so is a changed guid with the same link and title."""
    store.save_poll(source_id, ok(now), [entry("a"), entry("b")], alert=False)
    candidates = [
        entry("a"),  # same key
        entry("b-v2", title="Item b", link="https://news.example/b"),  # new guid, same item
        entry("b-v3", title="Item b, updated", link="https://news.example/b"),  # new title
        entry("c"),
        entry("c"),  # twice in one feed
    ]
    fresh = store.filter_new(source_id, candidates)
    assert [e.key for e in fresh] == ["b-v3", "c"]


def test_filter_new_is_per_source(store: Store, source_id: int, now: datetime, entry, ok) -> None:
    """An item stored for one source is still new for another."""
    store.save_poll(source_id, ok(now), [entry("a")], alert=False)
    second = store.add_source(SourceSpec(name="Other", url="https://other.example"), now=now)
    assert second is not None
    assert [e.key for e in store.filter_new(second, [entry("a")])] == ["a"]
    assert store.filter_new(source_id, [entry("a")]) == []


def test_baseline_poll_stores_items_without_alerts(
    store: Store, source_id: int, now: datetime, entry, score, ok, chat
) -> None:
    """With alert=False items are stored but no match or outbox row is made."""
    chat(1, "drugs")
    new, matches = store.save_poll(
        source_id, ok(now), [entry("a", matches=(score("drugs"),))], alert=False
    )
    assert (new, matches) == (1, [])
    assert (count(store, ITEM), count(store, MATCH), count(store, OUTBOX)) == (1, 0, 0)


def test_alert_poll_stores_matches_and_returns_them(
    store: Store, source_id: int, now: datetime, entry, score, ok
) -> None:
    """With alert=True each matched topic of a new item becomes a match row and a NewMatch
    naming the item and its source."""
    entries = [
        entry("a", matches=(score("drugs", 0.9), score("other", 0.2, matched=False))),
        entry("c", matches=(score("drugs", 0.6), score("arms", 0.7))),
        entry("b"),
    ]
    new, matches = store.save_poll(source_id, ok(now), entries, alert=True)
    assert new == 3
    assert [(m.title, m.score.topic, m.score.score) for m in matches] == [
        ("Item a", "drugs", 0.9),
        ("Item c", "arms", 0.7),
        ("Item c", "drugs", 0.6),
    ]
    assert (matches[0].title, matches[0].link, matches[0].source_name) == (
        "Item a",
        "https://news.example/a",
        "Wire",
    )
    assert count(store, MATCH) == 3
    (health,) = store.source_health()
    assert health.last_new_item_at == now


def test_saving_known_entries_again_inserts_nothing(
    store: Store, source_id: int, now: datetime, entry, score, ok
) -> None:
    """Entries already stored are skipped without error, and make no new matches."""
    entries = [entry("a", matches=(score(),))]
    store.save_poll(source_id, ok(now), entries, alert=True)
    later = now + timedelta(minutes=15)
    assert store.save_poll(source_id, ok(later), entries, alert=True) == (0, [])
    assert count(store, ITEM) == 1
    (health,) = store.source_health()
    assert health.last_new_item_at == now


def test_racing_pollers_store_each_item_once(
    store: Store, source_id: int, now: datetime, entry, score, ok, chat
) -> None:
    """Two threads saving the same entries at once neither fail nor duplicate items or alerts."""
    chat(7, "drugs")
    entries = [entry(f"k{n}", matches=(score(),)) for n in range(30)]
    barrier = threading.Barrier(2)
    results: list[tuple[int, int]] = []
    errors: list[BaseException] = []

    def save() -> None:
        barrier.wait()
        try:
            new, matches = store.save_poll(source_id, ok(now), entries, alert=True)
            results.append((new, len(matches)))
        except BaseException as exc:  # reported below, with the thread's failure
            errors.append(exc)

    threads = [threading.Thread(target=save) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert errors == []
    assert sorted(results) == [(0, 0), (30, 30)]
    assert (count(store, ITEM), count(store, MATCH), count(store, OUTBOX)) == (30, 30, 30)


def test_unique_constraints_hold(store: Store, source_id: int, now: datetime, entry, ok) -> None:
    """The database itself refuses a second item with the same source and key."""
    store.save_poll(source_id, ok(now), [entry("a")], alert=False)
    row = {
        "source_id": source_id,
        "key": "a",
        "title_hash": "x",
        "title": "dup",
        "summary": "",
        "content": "",
        "fetched_at": now,
    }
    with pytest.raises(IntegrityError), store.engine.begin() as conn:
        conn.execute(insert(ITEM).values(**row))


def test_datetimes_round_trip_as_aware_utc(store: Store, source_id: int, entry, ok) -> None:
    """A time given in any zone comes back as the same instant, timezone-aware, in UTC."""
    moscow = timezone(timedelta(hours=3))
    polled = datetime(2026, 5, 1, 15, 30, 15, 123456, tzinfo=moscow)
    store.save_poll(source_id, ok(polled), [entry("a")], alert=False)
    (health,) = store.source_health()
    assert health.last_polled_at == polled
    assert health.last_polled_at is not None
    assert health.last_polled_at.tzinfo == UTC
    assert health.last_polled_at.hour == 12


def test_naive_datetimes_are_refused(store: Store, source_id: int, entry, ok) -> None:
    """Storing a naive datetime is a bug and raises instead of guessing a zone."""
    with pytest.raises(StatementError, match="naive datetime"):
        store.save_poll(source_id, ok(datetime(2026, 1, 1)), [entry("a")], alert=False)


def test_prune_deletes_only_old_unmatched_items(
    store: Store, source_id: int, now: datetime, entry, score, ok
) -> None:
    """Pruning removes items older than the cut-off that matched nothing."""
    old = now - timedelta(days=100)
    store.save_poll(
        source_id, ok(old), [entry("old"), entry("old-hit", matches=(score(),))], alert=True
    )
    store.save_poll(source_id, ok(now), [entry("new")], alert=True)
    assert store.prune_unmatched_items(now - timedelta(days=90)) == 1
    assert [
        e.key for e in store.filter_new(source_id, [entry("old"), entry("old-hit"), entry("new")])
    ] == ["old"]


def test_prune_keeps_an_item_reported_missed(
    store: Store, source_id: int, now: datetime, entry, score, ok
) -> None:
    """A report that an unmatched item was missed is training data: the item stays, and
    item_topics tells what each item matched (None for no such item)."""
    old = now - timedelta(days=100)
    _, matches = store.save_poll(
        source_id,
        ok(old),
        [entry("kept"), entry("gone"), entry("hit", matches=(score(),))],
        alert=True,
    )
    with store.engine.connect() as conn:
        ids = dict(conn.execute(select(ITEM.c.key, ITEM.c.id)).all())
    hit = matches[0].item_id
    assert store.record_miss(ids["kept"], "drugs", 1, 2, now=now)
    assert not store.record_miss(ids["kept"], "drugs", 1, 2, now=now)  # once per user
    assert store.item_topics(ids["kept"]) == frozenset()
    assert store.item_topics(hit) == {"drugs"}
    assert store.item_topics(10**9) is None
    assert store.prune_unmatched_items(now - timedelta(days=90)) == 1
    assert store.item_topics(ids["gone"]) is None
    assert store.item_topics(ids["kept"]) == frozenset()


def test_unchanged_polls_are_recorded_together_as_save_poll_would(
    store: Store, now: datetime, ok
) -> None:
    """save_unchanged updates each source like an empty save_poll: success time, next poll,
    failures cleared, lease freed, validators kept unless new ones came, in one call."""
    specs = [SourceSpec(name=f"s{n}", url=f"https://s{n}.example/feed") for n in range(3)]
    store.sync_config_sources(specs, now=now)
    claimed = store.claim_due_sources(now=now, limit=9, owner="me", lease_seconds=60)
    ids = {source.name: source.id for source in claimed}
    later = now + timedelta(minutes=5)
    store.save_poll(ids["s0"], ok(now, etag='"old"'), [], alert=False)

    store.save_unchanged(
        [
            (ids["s0"], ok(later)),
            (ids["s1"], ok(later, etag='"e1"')),
            (ids["s2"], ok(later)),
        ]
    )

    rows = {row.name: row for row in store.source_health()}
    for name in ("s0", "s1", "s2"):
        assert rows[name].last_success_at == later
        assert rows[name].consecutive_failures == 0
        assert rows[name].last_new_item_at is None
    again = store.claim_due_sources(
        now=later + timedelta(hours=2), limit=9, owner="other", lease_seconds=60
    )
    etags = {source.name: source.etag for source in again}
    assert etags == {"s0": '"old"', "s1": '"e1"', "s2": None}
