"""Match actors: who acted in each match (one row per country or body), filters by place and
counts of the pairs that worked together, in SQL on both back ends."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from typing import Any

from sqlalchemy import ColumnElement, Connection, Select, and_, exists, func, select

from bot.briefing.model import Period
from bot.storage.tables import MATCH, MATCH_ACTOR
from bot.storage.transaction import chunks

m, ma = MATCH.c, MATCH_ACTOR.c
ACTOR_CHARS = 100


def insert_actors(conn: Connection, made: Iterable[tuple[int, Sequence[str]]]) -> None:
    """Store the actors of new matches: (match id, actors) pairs."""
    rows = [
        {"match_id": match_id, "actor": actor}
        for match_id, actors in made
        for actor in dict.fromkeys(a[:ACTOR_CHARS] for a in actors if a)
    ]
    for part in chunks(rows):
        conn.execute(MATCH_ACTOR.insert(), list(part))


def acting_in(codes: Collection[str]) -> ColumnElement[bool]:
    """The match (MATCH in the query) has an acting country among `codes` (an alias of its
    own, so a query that reads match_actor itself still correlates only MATCH)."""
    placed = MATCH_ACTOR.alias("placed")
    return (
        exists()
        .where(placed.c.match_id == m.id, placed.c.actor.in_(sorted(codes)))
        .correlate(MATCH)
    )


def in_period(
    period: Period, topics: Sequence[str] | None, places: Collection[str] | None = None
) -> ColumnElement[bool]:
    """Matches made within `period`, of `topics` (None: any), acting in `places` (None: any)."""
    where = and_(m.created_at >= period.start, m.created_at < period.end)
    if topics is not None:
        where = and_(where, m.topic.in_(list(topics)))
    if places is not None:
        where = and_(where, acting_in(places))
    return where


def pair_counts_query(
    period: Period, topics: Sequence[str] | None, places: Collection[str] | None
) -> Select[Any]:
    """Each pair of actors of one match, with the distinct items they acted in together (each
    pair once: the first actor sorts before the second in the database's order)."""
    a, b = MATCH_ACTOR.alias("a"), MATCH_ACTOR.alias("b")
    return (
        select(a.c.actor, b.c.actor, func.count(func.distinct(m.item_id)))
        .select_from(MATCH)
        .join(a, a.c.match_id == m.id)
        .join(b, and_(b.c.match_id == m.id, a.c.actor < b.c.actor))
        .where(in_period(period, topics, places))
        .group_by(a.c.actor, b.c.actor)
    )


def pair_counts(
    conn: Connection, period: Period, topics: Sequence[str] | None, places: Collection[str] | None
) -> dict[tuple[str, str], int]:
    """Items per pair of actors in the period, each pair keyed in Python's order."""
    found: dict[tuple[str, str], int] = {}
    for first, second, n in conn.execute(pair_counts_query(period, topics, places)):
        key = (first, second) if first < second else (second, first)
        found[key] = found.get(key, 0) + int(n)
    return found


def actors_query(
    period: Period, topics: Sequence[str] | None, places: Collection[str] | None
) -> Select[Any]:
    """The actors of the period's matches, by item and topic."""
    return (
        select(m.item_id, m.topic, ma.actor)
        .select_from(MATCH_ACTOR)
        .join(MATCH, m.id == ma.match_id)
        .where(in_period(period, topics, places))
    )


def match_actors(
    conn: Connection, period: Period, topics: Sequence[str] | None, places: Collection[str] | None
) -> dict[tuple[int, str], tuple[str, ...]]:
    """(item id, topic) -> the match's actors, sorted."""
    found: dict[tuple[int, str], list[str]] = {}
    for item_id, topic, actor in conn.execute(actors_query(period, topics, places)):
        found.setdefault((item_id, topic), []).append(actor)
    return {key: tuple(sorted(actors)) for key, actors in found.items()}
