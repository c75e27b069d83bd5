"""Fixtures for fetcher tests: the loopback feed server and a fetcher with small limits."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest_asyncio

from bot.fetch import FetchLimits, HttpFetcher
from tests.support.feedserver import feedserver

__all__ = ["feedserver"]

SMALL = FetchLimits(timeout_s=1.0, max_bytes=1024 * 1024)


@pytest_asyncio.fixture
async def fetcher() -> AsyncIterator[HttpFetcher]:
    """An HttpFetcher with a 1 s timeout and a 1 MB cap that ignores proxy variables."""
    async with HttpFetcher(SMALL, trust_env=False) as client:
        yield client
