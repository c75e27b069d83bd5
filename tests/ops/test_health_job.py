"""The source health job over a real store: each transition reported once, restarts included."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

import pytest

from bot.core.models import Item
from bot.jobs import POSTING_HISTORY_KEY, SourceHealthJob
from bot.services.ports import PollFailure, PollSuccess, StoredEntry
from bot.storage import SourceSpec, Store
from tests.support.admins import Admins

START = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


class Clock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> datetime:
        return self.now


def fail(store: Store, source_id: int, now: datetime, times: int) -> None:
    for _ in range(times):
        failure = PollFailure(now=now, next_poll_at=now, error="HTTP 503", error_kind="http")
        store.save_failure(source_id, failure)


def succeed(store: Store, source_id: int, now: datetime) -> None:
    store.save_poll(source_id, PollSuccess(now=now, next_poll_at=now), [], alert=True)


def wire(store: Store) -> int:
    store.sync_config_sources([SourceSpec(name="Wire", url="https://wire.example/")], now=START)
    return store.source_health()[0].id


async def test_failing_source_is_reported_once_and_its_recovery_once(store: Store) -> None:
    """Five failures give one report, across ticks and a new job (a restart); the first good
    poll afterwards gives one recovery message."""
    clock, admins = Clock(), Admins()
    source_id = wire(store)
    fail(store, source_id, START, 5)
    job = SourceHealthJob(store, clock=clock, notify=admins)
    assert [t.kind for t in await job.tick()] == ["unhealthy"]
    assert await job.tick() == []
    restarted = SourceHealthJob(store, clock=clock, notify=admins)
    assert await restarted.tick() == []
    assert len(admins.messages) == 1
    assert "Source unhealthy" in admins.messages[0]
    assert "HTTP 503" in admins.messages[0]

    succeed(store, source_id, START + timedelta(minutes=5))
    assert [t.kind for t in await restarted.tick()] == ["recovered"]
    assert await restarted.tick() == []
    assert admins.messages[1] == f"✅ <b>Source recovered</b>: {source_id}. Wire"


async def test_two_processes_report_a_transition_once(store: Store) -> None:
    """Two jobs on one database (two daemons): only one of them sends the report."""
    clock, first, second = Clock(), Admins(), Admins()
    fail(store, wire(store), START, 6)
    await SourceHealthJob(store, clock=clock, notify=first).tick()
    await SourceHealthJob(store, clock=clock, notify=second).tick()
    assert len(first.messages) + len(second.messages) == 1


async def test_a_report_nobody_received_is_sent_again(store: Store) -> None:
    """When no admin could be told (Telegram down), the next tick tries again."""
    clock, admins = Clock(), Admins()
    fail(store, wire(store), START, 5)
    job = SourceHealthJob(store, clock=clock, notify=admins)
    admins.failing = True
    await job.tick()
    assert admins.messages == []
    assert store.source_health()[0].health_reported is False
    admins.failing = False
    await job.tick()
    assert len(admins.messages) == 1


async def test_silent_source_is_reported_after_a_week_of_good_but_empty_polls(
    store: Store,
) -> None:
    """Polls that succeed but bring nothing new for over 7 days make a source silent; a new
    item makes it recover; the posting history is kept in the database across restarts."""
    clock, admins = Clock(), Admins()
    source_id = wire(store)
    job = SourceHealthJob(store, clock=clock, notify=admins)
    await job.tick()
    for day in (1, 4):
        clock.now = START + timedelta(days=day)
        succeed(store, source_id, clock.now)
        assert await job.tick() == []
    clock.now = START + timedelta(days=8)
    succeed(store, source_id, clock.now)
    assert [t.kind for t in await job.tick()] == ["unhealthy"]
    assert len(admins.messages) == 1
    assert "no new item for 8d" in admins.messages[0]

    clock.now += timedelta(hours=1)
    entry = StoredEntry(key="k1", canonical_link=None, title_hash="h", item=Item(title="New"))
    store.save_poll(
        source_id, PollSuccess(now=clock.now, next_poll_at=clock.now), [entry], alert=True
    )
    restarted = SourceHealthJob(store, clock=clock, notify=admins)
    assert [t.kind for t in await restarted.tick()] == ["recovered"]
    assert store.get_meta(POSTING_HISTORY_KEY) is not None


async def test_without_a_notifier_transitions_are_logged(
    store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    """With no bot token the job logs `source.unhealthy` once and marks it reported."""
    caplog.set_level(logging.INFO, logger="narcowatch.jobs")
    fail(store, wire(store), START, 5)
    job = SourceHealthJob(store, clock=Clock())
    await job.tick()
    await job.tick()
    events = [r.getMessage() for r in caplog.records if r.name == "narcowatch.jobs"]
    assert events.count("source.unhealthy") == 1
    assert store.source_health()[0].health_reported is True
