"""Send-limit and schedule maths: token buckets, limiter, retry window, quiet hours, digests."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.core.ratelimit import (
    RETRY_WINDOW_S,
    DeliveryLimiter,
    DeliveryLimits,
    TokenBucket,
    next_digest_at,
    parse_quiet_hours,
    quiet_until,
    retry_base,
    retry_delay,
)


def test_bucket_refills_at_its_rate_up_to_capacity() -> None:
    """After spending its token a 2/s bucket is ready again in 0.5 s, never above capacity."""
    bucket = TokenBucket(rate=2.0, capacity=1.0, updated=0.0)
    assert bucket.wait(0.0) == 0.0
    bucket.take(0.0)
    assert bucket.wait(0.0) == 0.5
    assert bucket.wait(0.25) == 0.25
    assert bucket.wait(100.0) == 0.0
    assert bucket.tokens == 1.0


def test_overall_limit_never_allows_more_than_thirty_in_any_second() -> None:
    """Sending whenever the limiter allows, no 1-second window holds more than 30 messages."""
    limiter = DeliveryLimiter(DeliveryLimits())
    now, sent = 0.0, []
    chat = 0
    while now < 10.0:
        chat += 1
        wait = max(limiter.overall_wait(now), limiter.chat_wait(chat, group=False, now=now))
        if wait > 0:
            now += wait
            continue
        limiter.take(chat, group=False, now=now)
        sent.append(now)
    worst = max(sum(1 for t in sent if start <= t < start + 1.0) for start in sent)
    assert worst <= 30
    assert len(sent) / 10.0 >= 27


def test_chat_and_group_limits() -> None:
    """One chat gets at most about 1/s; a group at most 20 in any minute."""
    limiter = DeliveryLimiter(DeliveryLimits())
    limiter.take(1, group=False, now=0.0)
    assert 1.0 < limiter.chat_wait(1, group=False, now=0.0) < 1.1
    assert limiter.chat_wait(2, group=False, now=0.0) == 0.0
    now, times = 0.0, []
    while now < 120.0:
        wait = limiter.chat_wait(-100, group=True, now=now)
        if wait > 0:
            now += wait
            continue
        limiter.take(-100, group=True, now=now)
        times.append(now)
    assert max(sum(1 for t in times if s <= t < s + 60) for s in times) <= 20


def test_retry_after_blocks_only_that_chat() -> None:
    """A RetryAfter block delays its chat until it ends and leaves other chats alone."""
    limiter = DeliveryLimiter()
    limiter.block(7, until=30.0)
    assert limiter.chat_wait(7, group=False, now=10.0) == 20.0
    assert limiter.chat_wait(8, group=False, now=10.0) == 0.0
    limiter.prune(31.0)
    assert limiter.chat_wait(7, group=False, now=31.0) == 0.0


def test_retry_backoff_doubles_then_gives_up_after_a_day() -> None:
    """Waits grow 5 s, 10 s, 20 s ... up to 30 min, and stop once they add up to 24 h."""
    assert [retry_base(n) for n in (1, 2, 3)] == [5.0, 10.0, 20.0]
    assert retry_base(40) == 1800.0
    delays = []
    attempts = 1
    while (delay := retry_delay(attempts, 0.5)) is not None:
        delays.append(delay)
        attempts += 1
    assert RETRY_WINDOW_S <= sum(delays) <= RETRY_WINDOW_S + 2000
    assert 4.0 <= retry_delay(1, 0.0) <= 6.0  # type: ignore[operator]


def test_a_shorter_first_retry_keeps_the_doubling_and_the_day() -> None:
    """With the first wait shortened (a test's timer knob), waits still double and still stop
    once they add up to a day."""
    assert [retry_base(n, 0.5) for n in (1, 2, 3)] == [0.5, 1.0, 2.0]
    assert retry_delay(1, 0.0, 0.5) == 0.4
    delays = []
    attempts = 1
    while (delay := retry_delay(attempts, 0.5, 0.5)) is not None:
        delays.append(delay)
        attempts += 1
    assert RETRY_WINDOW_S <= sum(delays) <= RETRY_WINDOW_S + 2000


def test_quiet_hours_across_midnight() -> None:
    """22:00-07:00 holds a 23:30 alert until 07:00 and lets a noon alert through."""
    start, end = parse_quiet_hours("22:00-07:00")  # type: ignore[misc]
    night = datetime(2026, 1, 5, 23, 30, tzinfo=UTC)
    assert quiet_until(night, start, end) == datetime(2026, 1, 6, 7, 0, tzinfo=UTC)
    assert quiet_until(datetime(2026, 1, 5, 12, 0, tzinfo=UTC), start, end) is None


def test_quiet_hours_in_a_time_zone() -> None:
    """Quiet hours are local: 01:00 UTC is 10:00 in Tokyo, inside 09:00-17:00 there."""
    start, end = parse_quiet_hours("09:00-17:00")  # type: ignore[misc]
    until = quiet_until(datetime(2026, 1, 5, 1, 0, tzinfo=UTC), start, end, "Asia/Tokyo")
    assert until == datetime(2026, 1, 5, 8, 0, tzinfo=UTC)


def test_bad_quiet_hours_are_refused() -> None:
    """Malformed or empty windows parse to None."""
    assert parse_quiet_hours("25:00-07:00") is None
    assert parse_quiet_hours("22-07") is None
    assert parse_quiet_hours("07:00-07:00") is None


def test_digest_slots() -> None:
    """Hourly digests go at the next full hour; daily ones at the next 08:00 local."""
    at = datetime(2026, 1, 5, 10, 20, tzinfo=UTC)
    assert next_digest_at(at, "hourly") == datetime(2026, 1, 5, 11, 0, tzinfo=UTC)
    assert next_digest_at(at, "daily") == datetime(2026, 1, 6, 8, 0, tzinfo=UTC)
    assert next_digest_at(at, "daily", "Asia/Tokyo") == datetime(2026, 1, 5, 23, 0, tzinfo=UTC)
