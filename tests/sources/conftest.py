"""Fixtures for source tests: the loopback feed server, a real fetcher, the real matcher."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
import pytest_asyncio

from bot.fetch import FetchLimits, HttpFetcher
from bot.matching import compile_topics
from bot.matching.loader import load_topics
from bot.services.ports import Scorer
from tests.faults.conftest import Clock, clock
from tests.support.cli import DEFAULT_TOPIC
from tests.support.feedserver import feedserver

__all__ = ["Clock", "clock", "feedserver"]


@pytest_asyncio.fixture
async def fetcher() -> AsyncIterator[HttpFetcher]:
    """An HttpFetcher with a 2 s timeout that ignores proxy variables."""
    async with HttpFetcher(FetchLimits(timeout_s=2.0), trust_env=False) as client:
        yield client


@pytest.fixture(scope="session")
def matcher() -> Scorer:
    """The real matcher compiled from the bundled default topic."""
    return compile_topics(load_topics([DEFAULT_TOPIC], env={}))
