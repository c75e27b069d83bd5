"""Match actors: who acted in each match (a list on the match, one match_actor row per country
or body), filters by place and counts of the pairs that worked together, on both back ends."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from itertools import combinations

from sqlalchemy import ColumnElement, Connection, Select, Text, and_, cast, func, select

from bot.briefing.model import Period
from bot.storage.tables import MATCH, MATCH_ACTOR
from bot.storage.transaction import chunks

m = MATCH.c
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
    """The match (MATCH in the query) has an acting country among `codes`: its id among
    those the actor index gives for the codes (not a correlated EXISTS per match row, which
    costs 1.6 s against 0.06 s over 100,000 matches on SQLite)."""
    placed = MATCH_ACTOR.alias("placed")
    return m.id.in_(select(placed.c.match_id).where(placed.c.actor.in_(sorted(codes))))


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


def actor_lists_query(
    period: Period, topics: Sequence[str] | None, places: Collection[str] | None
) -> Select[str, int]:
    """Each distinct list of actors of the period's matches (as stored text) with its distinct
    items: one grouped scan of the matches, as for entity lists (a self-join of match_actor
    per pair costs several times more on 100,000 matches)."""
    listed = cast(m.actors, Text)
    return (
        select(listed, func.count(func.distinct(m.item_id)))
        .where(in_period(period, topics, places), m.actors.is_not(None))
        .group_by(listed)
    )


def pairs_of_lists(lists: Iterable[tuple[Sequence[str], int]]) -> dict[tuple[str, str], int]:
    """Items per pair, from lists of actors with their items (each pair in sorted order).
    An item whose matches on two topics list different actors counts in both lists; with
    one topic, or the same actors, the counts are exact."""
    found: dict[tuple[str, str], int] = {}
    for actors, n in lists:
        for pair in combinations(sorted(set(actors)), 2):
            found[pair] = found.get(pair, 0) + n
    return found
