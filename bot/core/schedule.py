"""Schedule maths: when a source is polled next, after success, failure or a Retry-After."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

MAX_BACKOFF_SECONDS = 6 * 3600.0
JITTER_FRACTION = 0.1


def jittered(seconds: float, rng: random.Random) -> float:
    """`seconds` moved by up to +-10%, so sources with one interval drift apart."""
    return seconds * (1 + rng.uniform(-JITTER_FRACTION, JITTER_FRACTION))


def next_poll_after_success(now: datetime, interval_s: float, rng: random.Random) -> datetime:
    """The next poll of a healthy source: its interval from now, with jitter."""
    return now + timedelta(seconds=jittered(interval_s, rng))


def backoff_seconds(interval_s: float, consecutive_failures: int) -> float:
    """Exponential backoff per source: interval x 2^(failures-1), capped at 6 h.

    The first failure waits one interval (it may have been a blip); each further one doubles.
    """
    exponent = max(consecutive_failures - 1, 0)
    return float(min(interval_s * (2 ** min(exponent, 32)), max(MAX_BACKOFF_SECONDS, interval_s)))


def next_poll_after_failure(
    now: datetime,
    interval_s: float,
    consecutive_failures: int,
    rng: random.Random,
    *,
    retry_after_s: float | None = None,
) -> datetime:
    """When to try a failing source again: Retry-After when the server gave one, else backoff."""
    if retry_after_s is not None:
        wait = min(max(retry_after_s, 1.0), MAX_BACKOFF_SECONDS)
        return now + timedelta(seconds=wait)
    wait = backoff_seconds(interval_s, consecutive_failures)
    return now + timedelta(seconds=jittered(wait, rng))
