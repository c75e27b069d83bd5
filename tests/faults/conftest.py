"""Fixtures for fault tests: the loopback feed server, the real matcher, a movable clock."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from bot.matching import compile_topics
from bot.matching.loader import load_topics
from bot.services.ports import Scorer
from bot.storage import Store, open_store
from tests.support.cli import DEFAULT_TOPIC
from tests.support.feedserver import feedserver

__all__ = ["feedserver"]

START = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


class Clock:
    """A clock a test moves by hand; the poller reads it as `now`."""

    def __init__(self, now: datetime = START) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> datetime:
        self.now += timedelta(seconds=seconds)
        return self.now


@pytest.fixture
def clock() -> Clock:
    """A clock standing at START until the test moves it."""
    return Clock()


@pytest.fixture(scope="session")
def matcher() -> Scorer:
    """The real matcher compiled from the bundled default topic."""
    return compile_topics(load_topics([DEFAULT_TOPIC], env={}))


@pytest.fixture
def sqlite_store(sqlite_url: str) -> Iterator[Store]:
    """A migrated Store on a fresh SQLite file."""
    store = open_store(sqlite_url)
    try:
        yield store
    finally:
        store.close()
