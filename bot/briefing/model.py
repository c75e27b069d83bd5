"""The briefing as data: the period, its matched rows, the stories and counts built from them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import NamedTuple

COUNTRY_TYPES = frozenset({"country", "territory"})
ORGANISATION_TYPES = frozenset({"organisation", "organization", "org"})


@dataclass(frozen=True, slots=True)
class Period:
    """A half-open span of time [start, end), UTC-aware."""

    start: datetime
    end: datetime

    @property
    def length(self) -> timedelta:
        return self.end - self.start

    def previous(self) -> Period:
        """The period of the same length just before this one (to compare against)."""
        return Period(self.start - self.length, self.start)


class MatchedRow(NamedTuple):
    """One stored match as a briefing reads it: the item, its source, score and evidence.

    A NamedTuple rather than a frozen dataclass: a 90-day briefing reads 100,000 of them,
    and a tuple is built several times faster.
    """

    item_id: int
    story_id: int | None
    topic: str
    score: float
    matched_at: datetime
    source_id: int
    source_name: str
    title: str
    link: str | None
    lang: str | None
    terms: tuple[str, ...]
    entities: tuple[tuple[str, str], ...]
    """(name, type) pairs; names are the topic's canonical names, the same in every language."""
    actors: tuple[str, ...] = ()
    """Who acted: ISO codes of countries, names of international bodies (TopicScore.actors)."""


@dataclass(frozen=True, slots=True)
class PeriodCounts:
    """A period's numbers as storage aggregates them: enough for `/stats`, which shows no
    stories and so need not read every row."""

    total: int
    previous_total: int
    hours: tuple[tuple[datetime, int], ...]
    """Matched items per UTC hour (the hour's start): cut into local days afterwards."""
    sources: tuple[tuple[str, int], ...]
    entity_lists: tuple[tuple[tuple[tuple[str, str], ...], int], ...]
    """Each distinct list of (name, type) entities and how many matches carry it."""
    pairs: tuple[tuple[tuple[str, str], int], ...] = ()
    """Matches per pair of actors that acted together, counted from the lists of actors as
    entities are (the picture shows no change: the previous period's pairs are not counted)."""


@dataclass(frozen=True, slots=True)
class Story:
    """Items that tell one story: how many outlets carried it, when, and why it matched."""

    id: int
    title: str
    link: str | None
    sources: tuple[str, ...]
    first_seen: datetime
    last_seen: datetime
    score: float
    entities: tuple[str, ...]
    terms: tuple[str, ...]
    items: int
    langs: tuple[str, ...]
    item_ids: tuple[int, ...] = ()

    @property
    def why(self) -> str:
        """One line: the entities and terms that made its items match."""
        parts = []
        if self.entities:
            parts.append(", ".join(self.entities[:4]))
        # Whole words before stems: "drug" reads better than the pattern "drug polic*".
        terms = sorted(self.terms, key=lambda term: term.endswith("*"))[:4]
        if terms:
            parts.append(
                ", ".join(
                    term.removesuffix("*") + ("…" if term.endswith("*") else "") for term in terms
                )
            )
        return " · ".join(parts) or "matched the topic"


@dataclass(frozen=True, slots=True)
class Count:
    """A name and how many matched items it appears in."""

    name: str
    count: int


@dataclass(frozen=True, slots=True)
class Actor:
    """A country (ISO code) or international body that acted, and in how many items."""

    key: str
    name: str
    items: int


@dataclass(frozen=True, slots=True)
class Pair:
    """Two actors that acted together (`a` sorts first), in how many items this period and
    the one before, and the period's top stories in which they did."""

    a: str
    b: str
    a_name: str
    b_name: str
    items: int
    previous: int
    stories: tuple[Story, ...] = ()

    @property
    def change(self) -> float | None:
        """Relative change against the previous period; None when that had none."""
        return (self.items - self.previous) / self.previous if self.previous else None

    @property
    def label(self) -> str:
        return f"{self.a_name} – {self.b_name}"


@dataclass(frozen=True, slots=True)
class SourceActivity:
    """A source's share of the period and its health at the end of it (for the report)."""

    name: str
    matches: int
    enabled: bool
    failures: int
    last_success_at: datetime | None
    last_error: str | None

    @property
    def state(self) -> str:
        if not self.enabled:
            return "disabled"
        return "failing" if self.failures else "ok"


@dataclass(frozen=True, slots=True)
class Briefing:
    """What a period looked like for some topics: counts by day, entity and source; stories."""

    period: Period
    topics: tuple[str, ...]
    timezone: str
    total: int
    previous_total: int
    per_day: tuple[tuple[date, int], ...]
    countries: tuple[Count, ...]
    organisations: tuple[Count, ...]
    sources: tuple[Count, ...]
    stories: tuple[Story, ...]
    source_health: tuple[SourceActivity, ...] = ()
    actors: tuple[Actor, ...] = ()
    """Every actor of the period with its items, most first (the network's nodes)."""
    pairs: tuple[Pair, ...] = ()
    """Every pair that acted together in the period, most items first (its edges)."""
    places: tuple[str, ...] = ()
    """The names of the places the briefing is limited to (empty: everywhere)."""

    @property
    def change(self) -> float | None:
        """Relative change of the total against the previous period; None when that was 0."""
        if self.previous_total == 0:
            return None
        return (self.total - self.previous_total) / self.previous_total

    @property
    def days(self) -> int:
        return max(1, round(self.period.length / timedelta(days=1)))
