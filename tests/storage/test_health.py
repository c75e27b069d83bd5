"""The storage part of /healthz: database, scheduler ticks, failing sources, outbox backlog."""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.services.ports import PollFailure, PollSuccess
from bot.storage import SourceSpec, Store, create_engine_for


def test_health_report_lists_failing_sources_and_backlog(
    store: Store, source_id: int, now: datetime, entry, score, ok, chat
) -> None:
    """A healthy report counts sources, names the failing ones and sizes the outbox backlog."""
    chat(1, "drugs")
    store.save_poll(source_id, ok(now), [entry("a", matches=(score(),))], alert=True)
    store.sync_config_sources(
        [
            SourceSpec(name="Wire", url="https://wire.example/feed"),
            SourceSpec(name="Down", url="https://down.example/feed"),
        ],
        now=now,
    )
    down = {h.name: h.id for h in store.source_health()}["Down"]
    store.save_failure(
        down, PollFailure(now=now, next_poll_at=now, error="HTTP 500", error_kind="transient")
    )
    later = now + timedelta(minutes=2)
    report = store.health_report(now=later, last_tick_at=later, last_poll_at=now)
    assert report["healthy"] is True
    assert report["database"] == "ok"
    assert report["sources"] == {"enabled": 2, "failing": 1}
    assert [(f["name"], f["error"], f["failures"]) for f in report["failing_sources"]] == [
        ("Down", "HTTP 500", 1)
    ]
    assert report["outbox"] == {"backlog": 1, "oldest_at": now.isoformat(), "oldest_age_s": 120.0}


def test_stalled_scheduler_is_unhealthy(store: Store, now: datetime) -> None:
    """No scheduler tick for over five minutes makes the report unhealthy."""
    report = store.health_report(
        now=now, last_tick_at=now - timedelta(minutes=6), last_poll_at=None
    )
    assert (report["healthy"], report["scheduler"]) == (False, "stalled")


def test_unreachable_database_is_reported_not_raised(now: datetime) -> None:
    """A database that refuses connections gives an unhealthy report instead of an exception."""
    broken = Store(create_engine_for("postgresql://postgres@127.0.0.1:1/none"))
    try:
        report = broken.health_report(now=now, last_tick_at=now, last_poll_at=None)
    finally:
        broken.close()
    assert report["healthy"] is False
    assert report["database"].startswith("error: OperationalError")


def test_due_sources_nobody_has_claimed_are_listed_most_late_first(
    store: Store, now: datetime
) -> None:
    """Enabled, unpaused sources due for over a minute and not leased are listed, most late
    first, with how late they are and their interval; a leased, a paused or a just-due source
    is not."""
    store.sync_config_sources(
        [
            SourceSpec(name=name, url=f"https://{name}.example/feed", interval_s=60)
            for name in ("leased", "waiting", "paused", "just due", "waiting longer")
        ],
        now=now,
    )
    ids = {h.name: h.id for h in store.source_health()}
    later = now + timedelta(minutes=5)
    (leased,) = store.claim_due_sources(now=later, limit=1, owner="t", lease_seconds=600)
    assert leased.name == "leased"  # all due alike: the first by id
    store.set_source_paused(ids["paused"], True)
    just = PollSuccess(now=later, next_poll_at=later - timedelta(seconds=30))
    store.save_poll(ids["just due"], just, [], alert=False)
    earlier = now - timedelta(minutes=2)
    failed = PollFailure(now=now, next_poll_at=earlier, error="HTTP 500", error_kind="transient")
    store.save_failure(ids["waiting longer"], failed)
    report = store.health_report(now=later, last_tick_at=later, last_poll_at=None)
    assert [(d["name"], d["late_s"], d["interval_s"]) for d in report["due_unclaimed"]] == [
        ("waiting longer", 420.0, 60),
        ("waiting", 300.0, 60),
    ]
