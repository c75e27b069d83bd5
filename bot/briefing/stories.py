"""Stories out of a period's matched items: near-duplicates, then shared entities and key terms.

At alert time (bot.storage.stories) only near-duplicate text joins a story: a false merge
there would lose an alert. A briefing can afford more, since it only counts: items within
72 h of a story's first item join it when they name the same entities and, in the same
language, share key title words; across languages the entity names alone must make the link
(three shared, most of both sets), because topic entities have one canonical name in every
language ("China" for 中国 and Китай) while titles share no words. Key words are a title's
own words less those common in the period (in more than 5% of its titles, and at least
`COMMON_MIN` of them): "drug", "cooperation", "禁毒" are in every item of the topic and tell
no story from another.

Each item is compared with the first item of a story, not with every member: comparing with
members chains (A is like B, B like C) into one story per week about "China and Myanmar".
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import lru_cache
from itertools import combinations

from bot.briefing.model import MatchedRow, Story
from bot.core.fingerprint import normalise

STORY_SPAN = timedelta(hours=72)
MIN_SHARED_ENTITIES = 2
MIN_SHARED_WORDS = 2
CROSS_LANGUAGE_ENTITIES = 3
CROSS_LANGUAGE_OVERLAP = 0.6
"""Across languages: at least this share of the smaller entity set shared."""
ENTITIES_INDEXED = 8
"""Pairs of at most this many entities per item are indexed (28 pairs): enough to find the
story, and bounded so an item naming twenty countries costs no more than one naming eight."""
CANDIDATES_CHECKED = 6
"""Per entity pair, only the most recent stories within 72 h are checked: a busy pair (China,
Myanmar) has dozens, and the story an item belongs to is nearly always among the latest."""
COMMON_SHARE = 0.05
COMMON_MIN = 20

_WORDS = re.compile(r"[^\W\d_\u3400-\u4dbf\u4e00-\u9fff]{4,}")  # not CJK: pairs, below
_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]+")
_STOPWORDS = frozenset(
    re.split(
        r"\s+",
        """
        with from that this have will after over into their about than been were says
        said against more also under amid which what when where news report reports year
        years week weeks month new вместе после которые также более заявил заявили года
        году
        """.strip(),
    )
)


@dataclass(frozen=True, slots=True)
class _Signature:
    entities: frozenset[str]
    words: frozenset[str]
    lang: str
    row: MatchedRow


@dataclass(slots=True)
class _Cluster:
    anchor: MatchedRow
    signature: _Signature
    rows: list[MatchedRow] = field(default_factory=list)


def title_words(title: str, terms: Sequence[str] = ()) -> frozenset[str]:
    """A title's words that can tell stories apart: long words and CJK character pairs (the
    matched Chinese terms cut out first, or "禁毒合作" would leave the pair "毒合")."""
    text = normalise(title)
    words = {w for w in _WORDS.findall(text) if w not in _STOPWORDS}
    for run in _CJK.findall(text):
        for term in _cjk_terms(tuple(terms)):
            run = run.replace(term, " ")
        for part in run.split():
            words.update(part[i : i + 2] for i in range(len(part) - 1))
    return frozenset(words)


@lru_cache(maxsize=4096)
def _cjk_terms(terms: tuple[str, ...]) -> tuple[str, ...]:
    found = (normalise(term).strip("*") for term in terms)
    return tuple(term for term in found if term and _CJK.fullmatch(term))


@lru_cache(maxsize=65536)
def topical_words(terms: tuple[str, ...], entities: tuple[tuple[str, str], ...]) -> tuple[str, ...]:
    """An item's matched terms (stems without their `*`) and entity-name words, folded: words
    that name the topic or who is in it ("drug", "China") tell no story from another."""
    found = {normalise(term).strip("*") for term in terms}
    for name, _type in entities:
        found.update(_WORDS.findall(normalise(name)))
    return tuple(sorted(word for word in found if word))


def _is_topical(word: str, topical: Sequence[str]) -> bool:
    return any(word.startswith(t) or t.startswith(word) or word in t for t in topical)


def common_words(titles: Sequence[frozenset[str]]) -> frozenset[str]:
    """Words in so many of the period's titles that they are the topic, not a story."""
    counted: Counter[str] = Counter()
    for words in titles:
        counted.update(words)
    floor = max(COMMON_MIN, COMMON_SHARE * len(titles))
    return frozenset(word for word, n in counted.items() if n > floor)


def signature(row: MatchedRow, words: frozenset[str]) -> _Signature:
    entities = frozenset(name for name, _type in row.entities)
    lang = (row.lang or "").split("-")[0]
    return _Signature(entities, words, lang, row)


def shared_words(a: _Signature, b: _Signature) -> set[str]:
    """Key words both titles have, less those naming the topic or its entities (checked only
    here, on the few shared words, rather than on every word of every title)."""
    topical = topical_words(a.row.terms, a.row.entities) + topical_words(
        b.row.terms, b.row.entities
    )
    return {word for word in a.words & b.words if not _is_topical(word, topical)}


def same_story(a: _Signature, b: _Signature) -> bool:
    """Whether two items (within the story span) tell the same story; see the module text."""
    shared = len(a.entities & b.entities)
    if shared < MIN_SHARED_ENTITIES:
        return False
    if (
        a.lang == b.lang
        and len(a.words & b.words) >= MIN_SHARED_WORDS
        and len(shared_words(a, b)) >= MIN_SHARED_WORDS
    ):
        return True
    smaller = min(len(a.entities), len(b.entities))
    return shared >= CROSS_LANGUAGE_ENTITIES and shared / smaller >= CROSS_LANGUAGE_OVERLAP


def _pairs(entities: frozenset[str]) -> list[tuple[str, str]]:
    return list(combinations(sorted(entities)[:ENTITIES_INDEXED], 2))


def distinct_items(rows: Iterable[MatchedRow]) -> list[MatchedRow]:
    """One row per item (an item matching two topics counts once), its best score kept,
    in the order items were matched."""
    best: dict[int, MatchedRow] = {}
    for row in rows:
        kept = best.get(row.item_id)
        if kept is None or row.score > kept.score:
            best[row.item_id] = row
    return sorted(best.values(), key=lambda r: (r.matched_at, r.item_id))


def group_stories(rows: Sequence[MatchedRow]) -> list[Story]:
    """The items' stories, ranked by distinct sources, then best score, then latest."""
    items = distinct_items(rows)
    titles = [title_words(row.title, row.terms) for row in items]
    common = common_words(titles)
    clusters: list[_Cluster] = []
    by_story_id: dict[int, int] = {}
    index: dict[tuple[str, str], list[int]] = defaultdict(list)
    for row, words in zip(items, titles, strict=True):
        if row.story_id is not None and row.story_id in by_story_id:
            clusters[by_story_id[row.story_id]].rows.append(row)
            continue
        sig = signature(row, words - common)
        found = _find(clusters, index, row, sig)
        if found is None:
            found = len(clusters)
            clusters.append(_Cluster(row, sig))
            for pair in _pairs(sig.entities):
                index[pair].append(found)
        clusters[found].rows.append(row)
        if row.story_id is not None:
            by_story_id[row.story_id] = found
    stories = [_story(cluster.rows) for cluster in clusters]
    stories.sort(key=lambda s: (-len(s.sources), -s.score, -s.last_seen.timestamp(), s.id))
    return stories


def _find(
    clusters: Sequence[_Cluster],
    index: dict[tuple[str, str], list[int]],
    row: MatchedRow,
    sig: _Signature,
) -> int | None:
    if len(sig.entities) < MIN_SHARED_ENTITIES:
        return None
    earliest = row.matched_at - STORY_SPAN
    seen: set[int] = set()
    for pair in _pairs(sig.entities):
        positions = index.get(pair)
        if not positions:
            continue
        # Newest first (stories are made in time order), the few latest within the span.
        for position in positions[: -CANDIDATES_CHECKED - 1 : -1]:
            cluster = clusters[position]
            if cluster.anchor.matched_at < earliest:
                break
            if position not in seen:
                seen.add(position)
                if same_story(cluster.signature, sig):
                    return position
    return None


def _story(rows: Sequence[MatchedRow]) -> Story:
    first = rows[0]
    sources = list(dict.fromkeys(row.source_name for row in rows))
    # An item names each entity and term once (the matcher's evidence lists are unique).
    entities = Counter(name for row in rows for name, _type in row.entities)
    terms = Counter(term for row in rows for term in row.terms)
    times: list[datetime] = [row.matched_at for row in rows]
    return Story(
        id=first.item_id,
        title=first.title,
        link=first.link,
        sources=tuple(sources),
        first_seen=min(times),
        last_seen=max(times),
        score=max(row.score for row in rows),
        entities=_most_common(entities, 6),
        terms=_most_common(terms, 6),
        items=len(rows),
        item_ids=tuple(row.item_id for row in rows),
        langs=tuple(sorted({row.lang.split("-")[0] for row in rows if row.lang})),
    )


def _most_common(counted: Counter[str], limit: int) -> tuple[str, ...]:
    """The most frequent names, ties broken by name (Counter keeps insertion order)."""
    ranked = sorted(counted.items(), key=lambda pair: (-pair[1], pair[0]))
    return tuple(name for name, _n in ranked[:limit])
