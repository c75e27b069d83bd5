"""From raw automaton hits to one topic's evidence: longest matches, counts, positions."""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from dataclasses import dataclass, field
from itertools import accumulate
from operator import itemgetter

from bot.matching.compiler import BLOCK, ENTITY, EXCLUSION, GROUP, CompiledTopic, Target

RawHit = tuple[int, int, tuple[Target, ...]]
"""(start, stop, targets) as the scan finds it, for all topics at once."""
Hit = tuple[int, int, int, int]
"""(start, stop, kind, ref) for one topic."""


@dataclass(slots=True)
class Evidence:
    """What one topic found in one item."""

    groups: list[float]
    exclusion: float = 0.0
    term_counts: dict[int, int] = field(default_factory=dict)
    entity_order: list[int] = field(default_factory=list)
    group_spans: list[list[tuple[int, int]]] = field(default_factory=list)
    group_refs: list[list[str]] = field(default_factory=list)
    """Names of the terms and entities behind each group, first occurrence first."""
    entity_spans: dict[int, list[tuple[int, int]]] = field(default_factory=dict)
    """Where each entity occurs (for telling actors from mere mentions)."""


def topic_hits(raw: list[RawHit], index: int, extra: list[Hit], *, single: bool) -> list[Hit]:
    """One topic's hits, longest first where they overlap, without those inside a blocker.

    Regex hits (`extra`) span several words on purpose ("joint ... operation"), so they do not
    hide the literal terms inside them: "joint anti-drug operation" still counts "anti-drug".
    """
    if single:
        hits: list[Hit] = [
            (start, stop, kind, ref) for start, stop, targets in raw for _, kind, ref in targets
        ]
    else:
        hits = [
            (start, stop, kind, ref)
            for start, stop, targets in raw
            for topic, kind, ref in targets
            if topic == index
        ]
    if not hits and not extra:
        return hits
    # By start, the longer first where two start together, else in the order found: two
    # stable sorts by C keys (a key function building a tuple per hit took twice as long).
    hits.sort(key=_STOP, reverse=True)
    hits.sort(key=_START)
    kept: list[Hit] = []
    keep = kept.append
    reach = last_start = -1
    for hit in hits:
        start, stop = hit[0], hit[1]
        if stop == reach and start == last_start:
            keep(hit)  # the same words may be a term and an entity alias at once
        elif stop > reach:
            keep(hit)
            reach, last_start = stop, start
        # else: inside a longer match ("drug" in "drug trafficking"): the longer one counts
    if extra:
        # Kept spans start and end in increasing order, so the one starting last at or before
        # a regex hit is the only one that can contain it (a bisection, not a scan per hit:
        # a 1.4 MB item made thousands of each and took seconds).
        starts = [h[0] for h in kept]
        kept += [hit for hit in extra if not _inside(hit, kept, starts)]
        kept.sort(key=_STOP, reverse=True)
        kept.sort(key=_START)
    blocks = sorted([(s, e) for s, e, kind, _ in kept if kind == BLOCK])
    if blocks:
        block_starts = [s for s, _ in blocks]
        furthest = list(accumulate((e for _, e in blocks), max))
        kept = [h for h in kept if h[2] != BLOCK and not _overlaps(h, block_starts, furthest)]
    return kept


_START, _STOP = itemgetter(0), itemgetter(1)


def _inside(hit: Hit, spans: list[Hit], starts: list[int]) -> bool:
    at = bisect_right(starts, hit[0]) - 1
    return at >= 0 and hit[1] <= spans[at][1]


def _overlaps(hit: Hit, starts: list[int], furthest: list[int]) -> bool:
    """Whether a block starting before the hit ends reaches past its start."""
    at = bisect_left(starts, hit[1]) - 1
    return at >= 0 and furthest[at] > hit[0]


def gather(topic: CompiledTopic, hits: list[Hit], title_end: int) -> Evidence:
    """Weigh hits: title hits count `title_boost` times, repeats `repeat_weight` of a first one."""
    spec = topic.spec
    boost, repeat = spec.title_boost, spec.repeat_weight
    n_groups = len(topic.group_names)
    found = Evidence(
        groups=[0.0] * n_groups,
        group_spans=[[] for _ in range(n_groups)],
        group_refs=[[] for _ in range(n_groups)],
    )
    # Everything read in the loop is a local: a dense item has a hundred hits.
    terms, entities = topic.terms, topic.entities
    groups, group_spans, group_refs = found.groups, found.group_spans, found.group_refs
    term_counts, entity_spans, entity_order = (
        found.term_counts,
        found.entity_spans,
        found.entity_order,
    )
    exclusion = found.exclusion
    for start, stop, kind, ref in hits:
        factor = boost if start < title_end else 1.0
        if kind in (GROUP, EXCLUSION):
            term = terms[ref]
            seen = term_counts.get(ref, 0)
            term_counts[ref] = seen + 1
            amount = term.weight * factor * (repeat if seen else 1.0)
            if kind == EXCLUSION:
                exclusion += amount
                continue
            group = term.group
            groups[group] += amount
            group_spans[group].append((start, stop))
            if not seen:
                group_refs[group].append(term.name)
        elif kind == ENTITY:
            entity = entities[ref]
            spans = entity_spans.get(ref)
            if spans is None:
                entity_order.append(ref)
                entity_spans[ref] = [(start, stop)]
                amount = entity.weight * factor
            else:
                spans.append((start, stop))
                amount = entity.weight * factor * repeat
            for group in entity.groups:
                groups[group] += amount
                group_spans[group].append((start, stop))
                if spans is None:
                    group_refs[group].append(entity.name)
            if entity.mandate and spans is None:
                for group, given in entity.mandate:
                    groups[group] += given  # once, wherever it is named
                    group_spans[group].append((start, stop))
                    group_refs[group].append(f"{entity.name} (mandate)")
    found.exclusion = exclusion
    return found
