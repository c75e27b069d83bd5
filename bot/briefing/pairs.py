"""Who worked with whom: the pairs of actors of each matched item, counted per period.

An item in which China and Laos act (and UNODC) is one item for each of its pairs: China-Laos,
China-UNODC, Laos-UNODC. Counts are of distinct items, as everywhere in a briefing; a pair is
keyed with its actors in sorted order, so it is the same pair whichever was named first.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from itertools import combinations

from bot.briefing.model import Actor, MatchedRow, Pair, Story
from bot.places.table import actor_name

PAIR_STORIES = 3
"""Stories shown with each pair: the period's most widely carried in which the pair acted."""

PairKey = tuple[str, str]


def pairs_of(actors: Iterable[str]) -> list[PairKey]:
    """Every pair of distinct actors, each in sorted order."""
    return list(combinations(sorted(set(actors)), 2))


def count_pairs(rows: Iterable[MatchedRow]) -> dict[PairKey, int]:
    """Distinct items per pair of actors that acted in one match."""
    items: dict[PairKey, set[int]] = defaultdict(set)
    for row in rows:
        for pair in pairs_of(row.actors):
            items[pair].add(row.item_id)
    return {pair: len(ids) for pair, ids in items.items()}


def count_actors(rows: Iterable[MatchedRow]) -> tuple[Actor, ...]:
    """Every actor with its distinct items, most first (ties by name)."""
    items: dict[str, set[int]] = defaultdict(set)
    for row in rows:
        for actor in row.actors:
            items[actor].add(row.item_id)
    found = [Actor(key, actor_name(key), len(ids)) for key, ids in items.items()]
    return tuple(sorted(found, key=lambda a: (-a.items, a.name)))


def _stories_by_pair(
    rows: Sequence[MatchedRow], stories: Sequence[Story]
) -> dict[PairKey, list[Story]]:
    """Each pair's first PAIR_STORIES stories, in the stories' order (most carried first)."""
    by_item: dict[int, set[PairKey]] = defaultdict(set)
    for row in rows:
        by_item[row.item_id].update(pairs_of(row.actors))
    found: dict[PairKey, list[Story]] = defaultdict(list)
    for story in stories:
        for pair in set().union(*(by_item.get(i, set()) for i in story.item_ids)):
            if len(found[pair]) < PAIR_STORIES:
                found[pair].append(story)
    return found


def rank_pairs(
    current: Mapping[PairKey, int],
    previous: Mapping[PairKey, int],
    *,
    rows: Sequence[MatchedRow] = (),
    stories: Sequence[Story] = (),
) -> tuple[Pair, ...]:
    """The period's pairs, most items first (then the larger rise, then by name), each with
    the previous period's count and, given the rows and stories, its top stories."""
    told = _stories_by_pair(rows, stories) if stories else {}
    found = [
        Pair(
            a=a,
            b=b,
            a_name=actor_name(a),
            b_name=actor_name(b),
            items=n,
            previous=previous.get((a, b), 0),
            stories=tuple(told.get((a, b), ())),
        )
        for (a, b), n in current.items()
        if n > 0
    ]
    found.sort(key=lambda p: (-p.items, -(p.items - p.previous), p.a_name, p.b_name))
    return tuple(found)
