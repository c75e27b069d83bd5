"""The numbers of a briefing: items per day, top countries, organisations and sources; stories."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from datetime import date, datetime, timedelta

from bot.briefing.model import (
    COUNTRY_TYPES,
    ORGANISATION_TYPES,
    Briefing,
    Count,
    MatchedRow,
    Period,
    SourceActivity,
)
from bot.briefing.stories import distinct_items, group_stories
from bot.core.ratelimit import zone

TOP = 8
PERIODS = {"7d": 7, "30d": 30, "90d": 90}


def parse_period(text: str | None, *, default: str = "7d") -> int:
    """Days of a `/stats` period (`7d`, `30d`, `90d`); ValueError naming the choices."""
    value = (text or default).strip().lower()
    if value not in PERIODS:
        raise ValueError(f"{text!r} is not a period; use one of {', '.join(PERIODS)}")
    return PERIODS[value]


def period_ending(end: datetime, days: int) -> Period:
    """The `days` days up to `end`."""
    return Period(end - timedelta(days=days), end)


def _local_day(moment: datetime, tz_name: str) -> date:
    return moment.astimezone(zone(tz_name)).date()


def days_of(period: Period, tz_name: str) -> list[date]:
    """Every local date the period touches, in order."""
    first, last = (
        _local_day(period.start, tz_name),
        _local_day(period.end - timedelta(0, 1), tz_name),
    )
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


def top_counts(names: Iterable[str], limit: int = TOP) -> tuple[Count, ...]:
    """The most frequent names with their counts, ties broken by name."""
    counted = Counter(names)
    ranked = sorted(counted.items(), key=lambda pair: (-pair[1], pair[0]))
    return tuple(Count(name, n) for name, n in ranked[:limit])


def build_briefing(
    rows: Sequence[MatchedRow],
    period: Period,
    *,
    topics: Sequence[str],
    previous_total: int,
    timezone: str = "UTC",
    source_health: Sequence[SourceActivity] = (),
) -> Briefing:
    """The briefing of `rows` (matches of `topics` made within `period`)."""
    inside = [row for row in rows if period.start <= row.matched_at < period.end]
    items = distinct_items(inside)
    by_day = Counter(_local_day(row.matched_at, timezone) for row in items)
    countries = (name for row in items for name in _names(row, COUNTRY_TYPES))
    organisations = (name for row in items for name in _names(row, ORGANISATION_TYPES))
    return Briefing(
        period=period,
        topics=tuple(topics),
        timezone=timezone,
        total=len(items),
        previous_total=previous_total,
        per_day=tuple((day, by_day.get(day, 0)) for day in days_of(period, timezone)),
        countries=top_counts(countries),
        organisations=top_counts(organisations),
        sources=top_counts(row.source_name for row in items),
        stories=tuple(group_stories(items)),
        source_health=tuple(source_health),
    )


def _names(row: MatchedRow, types: frozenset[str]) -> list[str]:
    return list(dict.fromkeys(name for name, kind in row.entities if kind in types))


def change_text(briefing: Briefing) -> str:
    """The change against the previous period in words: "+25% on the previous 7 days"."""
    days = briefing.days
    if briefing.previous_total == 0:
        return f"none in the previous {days} days" if briefing.total else "no change"
    change = briefing.change or 0.0
    return f"{change:+.0%} on the previous {days} days ({briefing.previous_total})"


def slug(text: str) -> str:
    """A short id-safe form of a topic or name (for file names and anchors)."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "topic"
