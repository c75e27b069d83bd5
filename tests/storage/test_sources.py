"""Source rows: leases on due sources, failures, config sync, admin changes, health."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta

import pytest
from sqlalchemy import text

from bot.core.models import HtmlSelectors
from bot.services.ports import PollFailure
from bot.storage import SourceSpec, Store, open_store


def specs(*names: str) -> list[SourceSpec]:
    return [SourceSpec(name=name, url=f"https://{name}.example/feed") for name in names]


def test_claim_leases_due_sources_in_order(store: Store, now: datetime) -> None:
    """Due sources are leased oldest-due first, and a leased source is not handed out twice."""
    store.sync_config_sources(specs("a", "b", "c"), now=now)
    first = store.claim_due_sources(now=now, limit=2, owner="p1", lease_seconds=60)
    second = store.claim_due_sources(now=now, limit=10, owner="p2", lease_seconds=60)
    assert [s.name for s in first] == ["a", "b"]
    assert [s.name for s in second] == ["c"]
    assert store.claim_due_sources(now=now, limit=10, owner="p3", lease_seconds=60) == []


def test_claim_skips_future_paused_and_disabled(store: Store, now: datetime, ok) -> None:
    """Only enabled, unpaused sources whose next poll has come are claimed."""
    store.sync_config_sources(specs("later", "paused", "off", "due"), now=now)
    ids = {h.name: h.id for h in store.source_health()}
    store.save_poll(ids["later"], ok(now), [], alert=True)  # next poll in 15 min
    store.set_source_paused(ids["paused"], True)
    store.remove_source(ids["off"])
    later = now + timedelta(seconds=5)
    claimed = store.claim_due_sources(now=later, limit=10, owner="p", lease_seconds=60)
    assert [s.name for s in claimed] == ["due"]


def test_expired_lease_is_reclaimed(store: Store, now: datetime) -> None:
    """A source whose poller died is claimed again once its lease has expired."""
    store.sync_config_sources(specs("a"), now=now)
    assert store.claim_due_sources(now=now, limit=5, owner="dead", lease_seconds=30)
    soon = now + timedelta(seconds=29)
    assert store.claim_due_sources(now=soon, limit=5, owner="p2", lease_seconds=30) == []
    after = now + timedelta(seconds=31)
    assert [
        s.name for s in store.claim_due_sources(now=after, limit=5, owner="p2", lease_seconds=30)
    ] == ["a"]


def test_leases_of_a_dead_process_can_be_ended_at_once(store: Store, now: datetime) -> None:
    """A daemon alone on its database (SQLite) ends the leases a killed one left, so those
    sources are claimed now instead of after a lease that covers a whole poll."""
    store.sync_config_sources(specs("a", "b"), now=now)
    assert store.claim_due_sources(now=now, limit=1, owner="dead", lease_seconds=125)
    assert store.expire_source_leases(now) == 1
    claimed = store.claim_due_sources(now=now, limit=5, owner="new", lease_seconds=125)
    assert [s.name for s in claimed] == ["a", "b"]
    assert store.expire_source_leases(now) == 2
    assert store.expire_source_leases(now) == 0


def test_concurrent_claims_get_disjoint_sources(store: Store, now: datetime) -> None:
    """Threads claiming at the same moment never get the same source (SKIP LOCKED on PG)."""
    names = [f"s{n:02d}" for n in range(40)]
    store.sync_config_sources(specs(*names), now=now)
    results: dict[int, list[str]] = {}
    barrier = threading.Barrier(4)

    def claim(worker: int) -> None:
        barrier.wait()
        got: list[str] = []
        while batch := store.claim_due_sources(
            now=now, limit=3, owner=f"w{worker}", lease_seconds=60
        ):
            got.extend(s.name for s in batch)
        results[worker] = got

    threads = [threading.Thread(target=claim, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    claimed = [name for got in results.values() for name in got]
    assert sorted(claimed) == names
    assert len(results) == 4


def test_claimed_state_carries_config_and_validators(store: Store, now: datetime, ok) -> None:
    """A claimed SourceState has the config (type, topics, selectors) and stored validators."""
    selectors = HtmlSelectors(item="article", title="h2", link="a")
    spec = SourceSpec(
        name="page",
        url="https://page.example/news",
        type="html",
        interval_s=600.0,
        topics=("drugs",),
        selectors=selectors,
    )
    store.sync_config_sources([spec], now=now)
    (state,) = store.claim_due_sources(now=now, limit=1, owner="p", lease_seconds=60)
    store.save_poll(
        state.id, ok(now, etag='"v1"', last_modified="Sun, 01 Mar 2026"), [], alert=True
    )
    later = now + timedelta(hours=1)
    (again,) = store.claim_due_sources(now=later, limit=1, owner="p", lease_seconds=60)
    assert (again.type, again.interval_s, again.topics, again.selectors) == (
        "html",
        600.0,
        ("drugs",),
        selectors,
    )
    assert (again.etag, again.last_modified) == ('"v1"', "Sun, 01 Mar 2026")
    assert again.last_success_at == now


def test_save_failure_counts_backs_off_and_frees_lease(store: Store, now: datetime) -> None:
    """A failure stores the error, counts up, sets the next try and frees the lease."""
    store.sync_config_sources(specs("a"), now=now)
    (state,) = store.claim_due_sources(now=now, limit=1, owner="p", lease_seconds=600)
    retry_at = now + timedelta(minutes=30)
    for _ in range(2):
        store.save_failure(
            state.id,
            PollFailure(now=now, next_poll_at=retry_at, error="HTTP 503", error_kind="transient"),
        )
    (health,) = store.source_health()
    assert (health.last_error, health.last_error_kind, health.consecutive_failures) == (
        "HTTP 503",
        "transient",
        2,
    )
    assert health.failing
    assert health.next_poll_at == retry_at
    assert store.claim_due_sources(now=retry_at, limit=1, owner="q", lease_seconds=1)


def test_save_failure_can_disable_a_gone_source(store: Store, now: datetime) -> None:
    """A failure with disable=True (HTTP 410) disables the source with the error as reason."""
    store.sync_config_sources(specs("a"), now=now)
    (state,) = store.claim_due_sources(now=now, limit=1, owner="p", lease_seconds=60)
    store.save_failure(
        state.id,
        PollFailure(
            now=now, next_poll_at=now, error="HTTP 410 Gone", error_kind="gone", disable=True
        ),
    )
    (health,) = store.source_health()
    assert not health.enabled
    assert health.disabled_reason == "HTTP 410 Gone"
    assert (
        store.claim_due_sources(now=now + timedelta(days=1), limit=1, owner="p", lease_seconds=1)
        == []
    )


def test_success_clears_error_and_follows_permanent_redirect(
    store: Store, now: datetime, ok
) -> None:
    """A successful poll resets failures, keeps the warning and stores a permanent new URL."""
    store.sync_config_sources(specs("a"), now=now)
    (state,) = store.claim_due_sources(now=now, limit=1, owner="p", lease_seconds=60)
    store.save_failure(
        state.id, PollFailure(now=now, next_poll_at=now, error="timeout", error_kind="transient")
    )
    store.save_poll(
        state.id, ok(now, new_url="https://a.example/new", warning="bad XML"), [], alert=True
    )
    (health,) = store.source_health()
    assert (health.consecutive_failures, health.last_error, health.last_warning) == (
        0,
        None,
        "bad XML",
    )
    assert health.url == "https://a.example/new"
    assert health.last_polled_at == now


def test_sync_adds_changes_and_removes_config_sources(store: Store, now: datetime, ok) -> None:
    """Sync adds new names, resets a changed URL, and disables (not deletes) removed sources."""
    report = store.sync_config_sources(specs("keep", "move", "drop"), now=now)
    assert sorted(report.added) == ["drop", "keep", "move"]
    ids = {h.name: h.id for h in store.source_health()}
    store.claim_due_sources(now=now, limit=5, owner="p", lease_seconds=60)
    for source in ids.values():
        store.save_poll(source, ok(now, etag='"e"'), [], alert=True)

    later = now + timedelta(minutes=5)  # before the regular next poll
    report = store.sync_config_sources(
        [
            SourceSpec(name="keep", url="https://keep.example/feed"),
            SourceSpec(name="move", url="https://moved.example/rss", interval_s=60.0),
        ],
        now=later,
    )
    assert (report.added, report.changed, report.removed) == ((), ("move",), ("drop",))
    health = {h.name: h for h in store.source_health()}
    assert health["move"].url == "https://moved.example/rss"
    assert health["move"].next_poll_at == later
    assert not health["drop"].enabled
    assert health["drop"].disabled_reason == "removed from config"
    assert health["keep"].enabled
    moved = [s for s in store.claim_due_sources(now=later, limit=5, owner="p", lease_seconds=60)]
    assert [(s.name, s.etag, s.interval_s) for s in moved] == [("move", None, 60.0)]

    again = store.sync_config_sources(specs("keep", "drop"), now=later)
    assert again.changed == ("drop",)
    assert again.removed == ("move",)
    assert {h.name: h.enabled for h in store.source_health()} == {
        "keep": True,
        "drop": True,
        "move": False,
    }


def test_sync_is_a_no_op_when_nothing_changed(store: Store, now: datetime) -> None:
    """Syncing the same config twice reports no change."""
    store.sync_config_sources(specs("a", "b"), now=now)
    assert store.sync_config_sources(specs("a", "b"), now=now).changed == ()


def test_sync_leaves_telegram_sources_and_gone_sources_alone(store: Store, now: datetime) -> None:
    """Sources added from Telegram survive a sync; a 410-disabled one is not re-enabled."""
    telegram_id = store.add_source(SourceSpec(name="tg", url="https://tg.example/rss"), now=now)
    assert telegram_id is not None
    assert store.add_source(SourceSpec(name="tg", url="https://other.example"), now=now) is None
    store.sync_config_sources(specs("gone"), now=now)
    gone_id = {h.name: h.id for h in store.source_health()}["gone"]
    store.save_failure(
        gone_id,
        PollFailure(now=now, next_poll_at=now, error="410", error_kind="gone", disable=True),
    )
    report = store.sync_config_sources(specs("gone"), now=now)
    assert report == type(report)()
    health = {h.name: h for h in store.source_health()}
    assert health["tg"].enabled
    assert health["tg"].origin == "telegram"
    assert not health["gone"].enabled


def test_claim_all_enabled_ignores_schedule_but_not_leases(store: Store, now: datetime, ok) -> None:
    """`poll --once` gets every enabled source, due or not, except those leased by others."""
    store.sync_config_sources(specs("fresh", "leased", "paused", "off"), now=now)
    ids = {h.name: h.id for h in store.source_health()}
    store.save_poll(ids["fresh"], ok(now), [], alert=True)  # next poll in 15 min
    store.set_source_paused(ids["paused"], True)
    store.remove_source(ids["off"])
    assert [
        s.name for s in store.claim_due_sources(now=now, limit=1, owner="daemon", lease_seconds=60)
    ] == ["leased"]
    claimed = store.claim_all_enabled(now=now, owner="once", lease_seconds=60)
    assert [s.name for s in claimed] == ["fresh"]


@pytest.mark.postgres
def test_postgres_claim_skips_rows_locked_by_another_transaction(
    postgres_url: str, now: datetime
) -> None:
    """On PostgreSQL a claim passes over rows another transaction has locked, without waiting."""
    store = open_store(postgres_url)
    try:
        store.sync_config_sources(specs("a", "b"), now=now)
        with store.engine.connect() as other:
            other.execute(text("SELECT id FROM source WHERE name = 'a' FOR UPDATE"))
            # The lock is held until the rollback below: a claim that waited for it would
            # never return, so it runs in a thread and is given up on after a deadline.
            with ThreadPoolExecutor(1) as pool:
                claiming = pool.submit(
                    store.claim_due_sources, now=now, limit=10, owner="p", lease_seconds=60
                )
                try:
                    claimed = claiming.result(timeout=30)
                finally:
                    other.rollback()  # frees a claim that did wait, so the pool can shut down
            assert [s.name for s in claimed] == ["b"]
        assert [
            s.name for s in store.claim_due_sources(now=now, limit=10, owner="q", lease_seconds=60)
        ] == ["a"]
    finally:
        store.close()
