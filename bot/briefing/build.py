"""The numbers of a briefing: items per day, top countries, organisations and sources; stories."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from datetime import date, datetime, timedelta
from functools import lru_cache

from bot.briefing.model import (
    COUNTRY_TYPES,
    ORGANISATION_TYPES,
    Briefing,
    Count,
    MatchedRow,
    Period,
    PeriodCounts,
    SourceActivity,
)
from bot.briefing.pairs import count_actors, count_pairs, rank_pairs
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


def top_counts(counted: Counter[str], limit: int = TOP) -> tuple[Count, ...]:
    """The most frequent names with their counts, ties broken by name."""
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
    previous_pairs: Mapping[tuple[str, str], int] | None = None,
    places: Sequence[str] = (),
) -> Briefing:
    """The briefing of `rows` (matches of `topics` made within `period`), stories included,
    and the pairs of actors with their change against `previous_pairs`."""
    inside = [row for row in rows if period.start <= row.matched_at < period.end]
    items = distinct_items(inside)
    stories = tuple(group_stories(items))
    by_day = Counter(_local_day(row.matched_at, timezone) for row in items)
    countries: Counter[str] = Counter()
    organisations: Counter[str] = Counter()
    for row in items:
        found_countries, found_organisations = split_entities(row.entities)
        countries.update(found_countries)
        organisations.update(found_organisations)
    return Briefing(
        period=period,
        topics=tuple(topics),
        timezone=timezone,
        total=len(items),
        previous_total=previous_total,
        per_day=tuple((day, by_day.get(day, 0)) for day in days_of(period, timezone)),
        countries=top_counts(countries),
        organisations=top_counts(organisations),
        sources=top_counts(Counter(row.source_name for row in items)),
        stories=stories,
        source_health=tuple(source_health),
        actors=count_actors(inside),
        pairs=rank_pairs(count_pairs(inside), previous_pairs or {}, rows=inside, stories=stories),
        places=tuple(places),
    )


def build_counts(
    counts: PeriodCounts,
    period: Period,
    *,
    topics: Sequence[str],
    timezone: str = "UTC",
    places: Sequence[str] = (),
) -> Briefing:
    """The briefing of aggregated counts: the same numbers, no stories (for `/stats`)."""
    by_day: Counter[date] = Counter()
    for hour, n in counts.hours:
        by_day[_local_day(hour, timezone)] += n
    countries: Counter[str] = Counter()
    organisations: Counter[str] = Counter()
    for entities, n in counts.entity_lists:
        found_countries, found_organisations = split_entities(entities)
        for name in found_countries:
            countries[name] += n
        for name in found_organisations:
            organisations[name] += n
    return Briefing(
        period=period,
        topics=tuple(topics),
        timezone=timezone,
        total=counts.total,
        previous_total=counts.previous_total,
        per_day=tuple((day, by_day.get(day, 0)) for day in days_of(period, timezone)),
        countries=top_counts(countries),
        organisations=top_counts(organisations),
        sources=top_counts(Counter(dict(counts.sources))),
        stories=(),
        pairs=rank_pairs(dict(counts.pairs), {}),
        places=tuple(places),
    )


@lru_cache(maxsize=65536)
def split_entities(
    entities: tuple[tuple[str, str], ...],
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """An item's countries and organisations, each named once (lists recur: cached)."""
    countries = tuple(dict.fromkeys(name for name, kind in entities if kind in COUNTRY_TYPES))
    organisations = tuple(
        dict.fromkeys(name for name, kind in entities if kind in ORGANISATION_TYPES)
    )
    return countries, organisations


def change_text(briefing: Briefing) -> str:
    """The change against the previous period in words: "+25% on the previous 7 days"."""
    days = briefing.days
    if briefing.previous_total == 0:
        return f"none in the previous {days} days" if briefing.total else "no change"
    change = briefing.change or 0.0
    return f"{change:+.0%} on the previous {days} days ({briefing.previous_total})"
