"""From raw automaton hits to one topic's evidence: longest matches, counts, positions."""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from dataclasses import dataclass, field
from itertools import accumulate

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
    hits: list[Hit] = [
        (start, stop, kind, ref)
        for start, stop, targets in raw
        for topic, kind, ref in targets
        if single or topic == index
    ]
    if not hits and not extra:
        return hits
    hits.sort(key=lambda h: (h[0], -h[1]))
    kept: list[Hit] = []
    reach, last = -1, (-1, -1)
    for hit in hits:
        span = (hit[0], hit[1])
        if span == last:
            kept.append(hit)  # the same words may be a term and an entity alias at once
        elif hit[1] > reach:
            kept.append(hit)
            reach, last = hit[1], span
        # else: inside a longer match ("drug" in "drug trafficking"): the longer one counts
    if extra:
        # Kept spans start and end in increasing order, so the one starting last at or before
        # a regex hit is the only one that can contain it (a bisection, not a scan per hit:
        # a 1.4 MB item made thousands of each and took seconds).
        starts = [h[0] for h in kept]
        kept += [hit for hit in extra if not _inside(hit, kept, starts)]
        kept.sort(key=lambda h: (h[0], -h[1]))
    blocks = sorted((s, e) for s, e, kind, _ in kept if kind == BLOCK)
    if blocks:
        block_starts = [s for s, _ in blocks]
        furthest = list(accumulate((e for _, e in blocks), max))
        kept = [h for h in kept if h[2] != BLOCK and not _overlaps(h, block_starts, furthest)]
    return kept


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
    term_counts = found.term_counts
    entity_seen: dict[int, int] = {}
    for start, stop, kind, ref in hits:
        factor = boost if start < title_end else 1.0
        if kind in (GROUP, EXCLUSION):
            term = topic.terms[ref]
            seen = term_counts.get(ref, 0)
            term_counts[ref] = seen + 1
            amount = term.weight * factor * (repeat if seen else 1.0)
            if kind == EXCLUSION:
                found.exclusion += amount
                continue
            found.groups[term.group] += amount
            found.group_spans[term.group].append((start, stop))
            if not seen:
                found.group_refs[term.group].append(term.name)
        elif kind == ENTITY:
            entity = topic.entities[ref]
            seen = entity_seen.get(ref, 0)
            entity_seen[ref] = seen + 1
            if not seen:
                found.entity_order.append(ref)
                found.entity_spans[ref] = [(start, stop)]
            else:
                found.entity_spans[ref].append((start, stop))
            amount = entity.weight * factor * (repeat if seen else 1.0)
            for group in entity.groups:
                found.groups[group] += amount
                found.group_spans[group].append((start, stop))
                if not seen:
                    found.group_refs[group].append(entity.name)
            if entity.mandate and not seen:
                for group, given in entity.mandate:
                    found.groups[group] += given  # once, wherever it is named
                    found.group_spans[group].append((start, stop))
                    found.group_refs[group].append(f"{entity.name} (mandate)")
    return found
