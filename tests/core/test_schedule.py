"""Schedule maths: jittered intervals, exponential backoff capped at 6 h, Retry-After."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from bot.core.schedule import (
    MAX_BACKOFF_SECONDS,
    backoff_seconds,
    next_poll_after_failure,
    next_poll_after_success,
)

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)


def test_success_waits_the_interval_give_or_take_ten_percent() -> None:
    """A healthy source is polled again after its interval, with at most 10% jitter."""
    rng = random.Random(1)
    waits = {(next_poll_after_success(NOW, 600, rng) - NOW).total_seconds() for _ in range(200)}
    assert min(waits) >= 540
    assert max(waits) <= 660
    assert len(waits) > 100


def test_backoff_doubles_and_is_capped() -> None:
    """Each failure doubles the wait, never beyond 6 hours."""
    assert [backoff_seconds(900, n) for n in (1, 2, 3, 4)] == [900, 1800, 3600, 7200]
    assert backoff_seconds(900, 50) == MAX_BACKOFF_SECONDS


def test_retry_after_wins_over_backoff() -> None:
    """A server's Retry-After is honoured exactly, within the 6 h cap."""
    rng = random.Random(1)
    at = next_poll_after_failure(NOW, 900, 5, rng, retry_after_s=120)
    assert at == NOW + timedelta(seconds=120)
    capped = next_poll_after_failure(NOW, 900, 1, rng, retry_after_s=10**9)
    assert capped == NOW + timedelta(seconds=MAX_BACKOFF_SECONDS)
