"""Telegram's send limits as token buckets: overall, per chat, per group, and Retry-After blocks.

Pure maths over a monotonic `now` in seconds; the delivery worker asks how long to wait and
takes a token when it sends, so it never needs Telegram to say 429 in steady state.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

EPSILON = 1e-9


@dataclass
class TokenBucket:
    """`capacity` tokens, refilled at `rate` per second; one token per message."""

    rate: float
    capacity: float
    tokens: float = -1.0
    updated: float = 0.0

    def __post_init__(self) -> None:
        if self.tokens < 0:
            self.tokens = self.capacity

    def _refill(self, now: float) -> None:
        if now > self.updated:
            self.tokens = min(self.capacity, self.tokens + (now - self.updated) * self.rate)
            if self.tokens > self.capacity - EPSILON:
                self.tokens = self.capacity
            self.updated = now

    def wait(self, now: float) -> float:
        """Seconds until a token is available (0 when one is now)."""
        self._refill(now)
        if self.tokens >= 1.0 - EPSILON:  # float dust must not leave a wait too small to pass
            return 0.0
        return (1.0 - self.tokens) / self.rate

    def take(self, now: float) -> None:
        """Spend one token (the caller checked `wait` first)."""
        self._refill(now)
        self.tokens -= 1.0

    def full(self, now: float) -> bool:
        self._refill(now)
        return self.tokens >= self.capacity


@dataclass(frozen=True, slots=True)
class DeliveryLimits:
    """Send rates a little under Telegram's published ones, so jitter never trips a 429.

    A bucket of capacity c and rate r lets at most c + r*w messages into any window of w
    seconds, hence capacity 1 and rates just under 30/s, 1/s per chat and 20/min per group.
    """

    global_per_s: float = 28.0
    chat_per_s: float = 0.95
    group_per_min: float = 19.0


@dataclass
class DeliveryLimiter:
    """Every bucket a send must pass, and the chats Telegram told us to leave alone for a while."""

    limits: DeliveryLimits = field(default_factory=DeliveryLimits)
    overall: TokenBucket = field(init=False)
    chats: dict[int, TokenBucket] = field(default_factory=dict)
    groups: dict[int, TokenBucket] = field(default_factory=dict)
    blocked: dict[int, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.overall = TokenBucket(rate=self.limits.global_per_s, capacity=1.0)

    def _chat(self, chat_id: int, now: float) -> TokenBucket:
        bucket = self.chats.get(chat_id)
        if bucket is None:
            bucket = self.chats[chat_id] = TokenBucket(self.limits.chat_per_s, 1.0, updated=now)
        return bucket

    def _group(self, chat_id: int, now: float) -> TokenBucket:
        bucket = self.groups.get(chat_id)
        if bucket is None:
            rate = self.limits.group_per_min / 60.0
            bucket = self.groups[chat_id] = TokenBucket(rate, 1.0, updated=now)
        return bucket

    def chat_wait(self, chat_id: int, *, group: bool, now: float) -> float:
        """Seconds until this chat may get a message, ignoring the overall limit."""
        wait = max(self._chat(chat_id, now).wait(now), self.blocked.get(chat_id, now) - now, 0.0)
        if group:
            wait = max(wait, self._group(chat_id, now).wait(now))
        return wait

    def overall_wait(self, now: float) -> float:
        """Seconds until any message may be sent."""
        return self.overall.wait(now)

    def take(self, chat_id: int, *, group: bool, now: float) -> None:
        """Count one message to this chat against every limit."""
        self.overall.take(now)
        self._chat(chat_id, now).take(now)
        if group:
            self._group(chat_id, now).take(now)

    def block(self, chat_id: int, until: float) -> None:
        """Telegram said RetryAfter: nothing goes to this chat before `until`."""
        self.blocked[chat_id] = max(until, self.blocked.get(chat_id, until))

    def prune(self, now: float) -> None:
        """Forget chats whose buckets are full again and whose blocks ran out (bounded memory)."""
        for chat_id in [c for c, until in self.blocked.items() if until <= now]:
            del self.blocked[chat_id]
        for buckets in (self.chats, self.groups):
            for chat_id in [c for c, b in buckets.items() if b.full(now)]:
                del buckets[chat_id]


def is_group(chat_type: str) -> bool:
    """Groups, supergroups and channels share the 20-per-minute limit."""
    return chat_type in ("group", "supergroup", "channel")


# --- when a row goes out: retries, quiet hours, digest slots ----------------------------------

RETRY_FIRST_S = 5.0
RETRY_MAX_S = 1800.0
RETRY_WINDOW_S = 24 * 3600.0
"""Network errors and 5xx are retried until their waits add up to a day, then the row fails."""
DIGEST_HOUR = 8
"""Daily digests go out at 08:00 in the chat's time zone."""


def retry_base(attempts: int, first_s: float = RETRY_FIRST_S) -> float:
    """The wait after the `attempts`-th failed attempt, before jitter: 5 s doubling to 30 min."""
    return float(min(first_s * 2.0 ** min(max(attempts - 1, 0), 32), RETRY_MAX_S))


def retry_delay(attempts: int, jitter: float, first_s: float = RETRY_FIRST_S) -> float | None:
    """Seconds before the next try after `attempts` failures, or None once a day is used up.

    `jitter` in [0, 1) spreads retries of many rows (+-20%) so they do not return together;
    `first_s` is the first wait (shortened by tests, see bot.settings.tuning).
    """
    spent = sum(retry_base(n, first_s) for n in range(1, attempts))
    if spent >= RETRY_WINDOW_S:
        return None
    return retry_base(attempts, first_s) * (0.8 + 0.4 * jitter)


MAX_ZONE_NAME = 64
"""Longer than any name in the tz database ("America/Argentina/ComodRivadavia" is 32)."""


@functools.cache
def _zone_names() -> dict[str, str]:
    """Every zone the tz database names, by its case-folded name."""
    return {name.casefold(): name for name in available_timezones()}


def zone_name(text: str) -> str | None:
    """The tz database's own spelling of a zone name given in any case, or None when `text`
    names no zone: a folder of the database (`Europe`), one of its data files (`tzdata.zi`),
    a path, or a name longer than any zone's are not zones."""
    if text.upper() == "UTC":
        return "UTC"
    if not text or len(text) > MAX_ZONE_NAME:
        return None
    return _zone_names().get(text.casefold())


def zone(name: str) -> tzinfo:
    """The named time zone, UTC when the name is unknown."""
    known = zone_name(name)
    if known is None or known == "UTC":
        return UTC
    try:
        return ZoneInfo(known)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        return UTC


def quiet_until(
    now: datetime, start_min: int | None, end_min: int | None, tz_name: str = "UTC"
) -> datetime | None:
    """When the chat's quiet hours end, if `now` falls inside them; else None.

    Quiet hours are minutes after local midnight; a window like 22:00-07:00 wraps midnight.
    """
    if start_min is None or end_min is None or start_min == end_min:
        return None
    local = now.astimezone(zone(tz_name))
    minute = local.hour * 60 + local.minute
    inside = (
        start_min <= minute < end_min
        if start_min < end_min
        else (minute >= start_min or minute < end_min)
    )
    if not inside:
        return None
    midnight = local.replace(hour=0, minute=0, second=0, microsecond=0)
    end = midnight + timedelta(minutes=end_min)
    if end <= local:
        end += timedelta(days=1)
    return end.astimezone(UTC)


def next_digest_at(created_at: datetime, mode: str, tz_name: str = "UTC") -> datetime:
    """The digest an alert queued at `created_at` belongs to: the next full hour, or 08:00 local."""
    local = created_at.astimezone(zone(tz_name))
    if mode == "daily":
        slot = local.replace(hour=DIGEST_HOUR, minute=0, second=0, microsecond=0)
        if slot <= local:
            slot += timedelta(days=1)
    else:
        slot = local.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
    return slot.astimezone(UTC)


def parse_quiet_hours(text: str) -> tuple[int, int] | None:
    """`22:00-07:00` as minutes after midnight (start, end); None when it is not that shape."""
    parts = text.strip().split("-")
    if len(parts) != 2:
        return None
    minutes = []
    for part in parts:
        hh, sep, mm = part.strip().partition(":")
        if not sep or not hh.isdigit() or not mm.isdigit() or len(mm) != 2:
            return None
        if int(hh) > 23 or int(mm) > 59:
            return None
        minutes.append(int(hh) * 60 + int(mm))
    if minutes[0] == minutes[1]:
        return None
    return minutes[0], minutes[1]
