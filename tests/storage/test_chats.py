"""Chat rows: registration, subscriptions, preferences, feedback and meta values."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from bot.storage import SourceSpec, Store, SubscriptionInfo
from bot.storage.chats import MAX_MUTED_SOURCES


def test_upsert_chat_creates_then_refreshes_and_reactivates(store: Store, now: datetime) -> None:
    """/start registers a chat; a later /start updates its title and reactivates it."""
    created = store.upsert_chat(10, type="private", title="Ann", now=now)
    assert (created.active, created.digest, created.threshold, created.created_at) == (
        True,
        "off",
        None,
        now,
    )
    store.deactivate_chat(10, "blocked")
    again = store.upsert_chat(10, type="private", title="Ann B", now=now + timedelta(days=1))
    assert (again.title, again.active, again.deactivated_reason, again.created_at) == (
        "Ann B",
        True,
        None,
        now,
    )


def test_telegram_ids_beyond_32_bits_round_trip(store: Store, now: datetime) -> None:
    """Supergroup ids like -100xxxxxxxxxx and large user ids are stored whole."""
    big = -1002147483648999
    store.upsert_chat(big, type="supergroup", title="Desk", now=now)
    store.subscribe(big, "drugs", 2**40, now=now)
    assert store.subscriptions_of(big) == [SubscriptionInfo(big, "drugs", 2**40)]


def test_subscribe_and_unsubscribe(store: Store, now: datetime) -> None:
    """Subscribing twice keeps one row (updating its thread); unsubscribing removes it."""
    store.upsert_chat(1, type="private", title=None, now=now)
    assert store.subscribe(1, "drugs", now=now)
    assert not store.subscribe(1, "drugs", 5, now=now)
    assert store.subscribe(1, "arms", now=now)
    assert store.subscriptions_of(1) == [
        SubscriptionInfo(1, "arms", None),
        SubscriptionInfo(1, "drugs", 5),
    ]
    assert store.unsubscribe(1, "drugs")
    assert not store.unsubscribe(1, "drugs")
    assert [s.topic for s in store.subscriptions_of(1)] == ["arms"]


def test_preferences_are_stored_and_validated(store: Store, now: datetime) -> None:
    """Threshold, mute, digest, quiet hours and muted sources are kept; bad values refused."""
    store.upsert_chat(1, type="private", title=None, now=now)
    store.sync_config_sources(
        [SourceSpec(name=n, url=f"https://{n}.example/feed") for n in ("a", "b")], now=now
    )
    first, second = sorted(s.id for s in store.source_health())
    until = now + timedelta(hours=2)
    assert store.set_threshold(1, 0.6)
    assert store.set_mute(1, until)
    assert store.set_digest(1, "hourly")
    assert store.set_quiet_hours(1, start=22 * 60, end=7 * 60, timezone="Asia/Shanghai")
    assert store.mute_source(1, second)
    assert store.mute_source(1, first)
    assert store.mute_source(1, second, muted=False)
    info = store.get_chat(1)
    assert info is not None
    assert (info.threshold, info.muted_until, info.digest) == (0.6, until, "hourly")
    assert (info.quiet_start, info.quiet_end, info.timezone) == (1320, 420, "Asia/Shanghai")
    assert info.muted_sources == (first,)
    with pytest.raises(ValueError, match="between 0 and 1"):
        store.set_threshold(1, 1.5)
    with pytest.raises(ValueError, match="digest must be one of"):
        store.set_digest(1, "weekly")
    assert not store.set_threshold(404, 0.5)
    assert not store.mute_source(404, 1)
    assert store.get_chat(404) is None


def test_only_existing_sources_are_muted_and_the_list_is_bounded(
    store: Store, source_id: int, now: datetime, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A source id no source has is refused and not stored; a chat mutes at most
    MAX_MUTED_SOURCES sources; unmuting is always allowed."""
    store.upsert_chat(1, type="private", title=None, now=now)
    assert not store.mute_source(1, source_id + 1000)
    assert not store.mute_source(1, 2**62)
    assert store.get_chat(1).muted_sources == ()  # type: ignore[union-attr]
    assert MAX_MUTED_SOURCES >= 1000  # the scale target polls 1,000 sources
    monkeypatch.setattr("bot.storage.chats.MAX_MUTED_SOURCES", 1)
    store.sync_config_sources(
        [SourceSpec(name=n, url=f"https://{n}.example/feed") for n in ("Wire", "Other")], now=now
    )
    other = next(s.id for s in store.source_health() if s.name == "Other")
    assert store.mute_source(1, source_id)
    assert store.mute_source(1, source_id)  # already muted: still fine
    assert not store.mute_source(1, other)
    assert store.mute_source(1, source_id, muted=False)
    assert store.mute_source(1, other)
    assert store.get_chat(1).muted_sources == (other,)  # type: ignore[union-attr]


def test_feedback_is_one_verdict_per_user_and_match(
    store: Store, source_id: int, now: datetime, entry, score, ok, chat
) -> None:
    """A user's second verdict on an alert replaces the first; other users add theirs."""
    chat(1, "drugs")
    store.save_poll(source_id, ok(now), [entry("a", matches=(score(),))], alert=True)
    (alert,) = store.recent_matches(1, 1)
    store.record_feedback(alert.match_id, 1, 100, "relevant", now=now)
    store.record_feedback(alert.match_id, 1, 100, "not_relevant", now=now)
    store.record_feedback(alert.match_id, 1, 200, "relevant", now=now)
    assert store.feedback_counts(alert.match_id) == {"relevant": 1, "not_relevant": 1}
    with pytest.raises(ValueError, match="verdict"):
        store.record_feedback(alert.match_id, 1, 100, "meh", now=now)


def test_meta_values_and_ping(store: Store, now: datetime) -> None:
    """Named meta values are stored and replaced; ping succeeds on a live database."""
    assert store.get_meta("last_cycle") is None
    store.set_meta("last_cycle", "a", now=now)
    store.set_meta("last_cycle", "b", now=now)
    assert store.get_meta("last_cycle") == "b"
    store.ping()


def test_a_meta_value_is_claimed_once(store: Store, now: datetime) -> None:
    """claim_meta sets a value and says so once: claiming what is already there is refused,
    a new value is claimed again, and set_meta still overwrites."""
    assert store.claim_meta("nudged:t", "model-a", now=now)
    assert not store.claim_meta("nudged:t", "model-a", now=now)
    assert store.get_meta("nudged:t") == "model-a"
    assert store.claim_meta("nudged:t", "model-b", now=now)
    assert not store.claim_meta("nudged:t", "model-b", now=now)
    store.set_meta("nudged:t", "", now=now)
    assert store.claim_meta("nudged:t", "model-b", now=now)


def test_two_processes_claiming_at_once_get_one_claim_each_time(
    store: Store, database_url: str, now: datetime
) -> None:
    """Two stores on one database (two daemons) race to claim the same values: every value is
    claimed by exactly one of them."""
    from concurrent.futures import ThreadPoolExecutor

    from bot.storage import open_store

    second = open_store(database_url, migrate=False)
    try:
        with ThreadPoolExecutor(max_workers=2) as pool:
            for n in range(20):
                key, value = f"race:{n % 3}", f"model-{n}"
                claims = [
                    future.result()
                    for future in [
                        pool.submit(one.claim_meta, key, value, now=now) for one in (store, second)
                    ]
                ]
                assert sorted(claims) == [False, True], (key, value, claims)
    finally:
        second.close()
