"""The Matcher: scans an item once with the shared automaton and scores every topic."""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

from bot.core.models import Item, TopicScore
from bot.matching.compiler import (
    CHECK_END,
    EXCLUSION,
    GROUP,
    Automaton,
    CompiledTopic,
    compile_automaton,
)
from bot.matching.evidence import Hit, RawHit, gather, topic_hits
from bot.matching.normalize import CJK_START, Folded, fold_item
from bot.matching.scoring import nothing_found, score_topic
from bot.matching.spec import TopicSpec
from bot.matching.textmodel import Reading

_SURROGATE = re.compile("[\ud800-\udfff]")


def scan(automaton: Automaton, folded: Folded) -> list[RawHit]:
    """Every pattern occurrence that passes its word-boundary, wildcard and case checks, in
    the order the occurrences end."""
    text, cased = folded.text, folded.cased
    if automaton.search is None:
        return []
    try:
        found = automaton.search.find_matches_as_indexes(text, overlapping=True)
    except UnicodeEncodeError:
        # A lone surrogate has no UTF-8 form for the search to read: search a copy with
        # U+FFFD in its place (one character for one, so the offsets hold).
        found = automaton.search.find_matches_as_indexes(
            _SURROGATE.sub("\ufffd", text), overlapping=True
        )
    size = len(text)
    table = automaton.entries
    hits: list[RawHit] = []
    append = hits.append
    for key, start, stop in found:
        for checks, rest, case, targets in table[key]:
            if checks:
                # Latin and Cyrillic: the neighbours must not be letters or digits (a Chinese
                # character next to an English acronym is a boundary).
                if start:
                    before = text[start - 1]
                    if before.isalnum() and before < CJK_START:
                        continue
                if rest is not None:
                    tail = rest.match(text, stop)
                    if tail is None:
                        continue
                    append((start, tail.end(), targets))
                    continue
                if checks & CHECK_END and stop < size:
                    after = text[stop]
                    if after.isalnum() and after < CJK_START:
                        continue
            if case is not None and cased is not None and cased[start:stop] != case:
                continue
            append((start, stop, targets))
    return hits


def regex_hits(topic: CompiledTopic, text: str) -> list[Hit]:
    """Hits of the topic's regex terms; RE2 works on UTF-8, so offsets are mapped back."""
    literals = regex_literals(topic.regexes)
    if all(literal is not None for literal in literals):
        # Each regex starts with words of its own: one whose words are not in the text
        # cannot match (a substring test costs a twentieth of an RE2 search).
        chosen = [
            regex
            for regex, literal in zip(topic.regexes, literals, strict=True)
            if literal is not None and literal in text
        ]
        if not chosen:
            return []
        data = text.encode("utf-8")
    else:
        data = text.encode("utf-8")
        if topic.regex_gate.search(data) is None:
            return []
        chosen = list(topic.regexes)
    hits: list[Hit] = []
    for pattern, ref in chosen:
        kind = GROUP if topic.terms[ref].group >= 0 else EXCLUSION
        hits.extend((match.start(), match.end(), kind, ref) for match in pattern.finditer(data))
    if len(data) == len(text):  # ASCII: byte and character offsets agree
        return hits
    chars = char_offsets(data, {offset for start, stop, _, _ in hits for offset in (start, stop)})
    return [(chars[start], chars[stop], kind, ref) for start, stop, kind, ref in hits]


@lru_cache(maxsize=64)
def regex_literals(regexes: tuple[tuple[Any, int], ...]) -> tuple[str | None, ...]:
    """The leading words of each of a topic's regex terms (see `required_literal`)."""
    return tuple(required_literal(pattern.pattern) for pattern, _ in regexes)


@lru_cache(maxsize=1024)
def required_literal(source: bytes) -> str | None:
    """The text every match of an RE2 pattern starts with ("joint " of `joint (?:[a-z]+ )...`),
    or None when it starts otherwise or may have an alternative at the top level."""
    pattern = source.decode("utf-8")
    if _top_level_bar(pattern):
        return None
    size = 0
    while size < len(pattern) and pattern[size] not in _REGEX_SYNTAX:
        size += 1
    if size < len(pattern) and pattern[size] in "*?+{":
        size -= 1  # the last character may repeat zero times
    return pattern[:size] or None


_REGEX_SYNTAX = frozenset("\\.^$|?*+()[]{}")


def _top_level_bar(pattern: str) -> bool:
    """Whether a `|` stands outside every group and class (when unsure: yes)."""
    depth, at, size = 0, 0, len(pattern)
    while at < size:
        ch = pattern[at]
        if ch == "\\":
            at += 2
            continue
        if ch == "[":  # a class: `]` right after `[` or `[^` is a member, not its end
            at += 1
            if at < size and pattern[at] == "^":
                at += 1
            if at < size and pattern[at] == "]":
                at += 1
            while at < size and pattern[at] != "]":
                at += 2 if pattern[at] == "\\" else 1
        elif ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        elif ch == "|" and depth <= 0:
            return True
        at += 1
    return False


def char_offsets(data: bytes, offsets: set[int]) -> dict[int, int]:
    """The character index of each UTF-8 byte offset, decoding each byte once: decoding the
    whole prefix again for every match made a 1.4 MB Russian item cost seconds."""
    chars: dict[int, int] = {}
    count = last = 0
    for offset in sorted(offsets):
        count += len(data[last:offset].decode("utf-8", "ignore"))
        chars[offset] = count
        last = offset
    return chars


class Matcher:
    """Scores items against compiled topics; pure and reusable across threads."""

    def __init__(self, topics: Sequence[TopicSpec]) -> None:
        compiled = compile_automaton(topics)
        self._topics = compiled.topics
        self._automaton = compiled.automaton
        self.topic_ids: tuple[str, ...] = tuple(t.spec.id for t in self._topics)
        self._single = len(self._topics) == 1

    @property
    def topics(self) -> tuple[TopicSpec, ...]:
        """The topic specs, in scoring order."""
        return tuple(t.spec for t in self._topics)

    def pattern_keys(self) -> list[str]:
        """Every literal pattern in the automaton (for benchmarks and diagnostics)."""
        return list(self._automaton.keys)

    def score(self, item: Item) -> list[TopicScore]:
        """One score per topic, in topic order."""
        return self.score_many([item])[0]

    def score_many(
        self, items: Sequence[Item], *, explain_unmatched: bool = True
    ) -> list[list[TopicScore]]:
        """One score per topic for each item, in order: as `score` gives them, but the topics'
        text models read all the items together (a tenth of the cost per item). Without
        `explain_unmatched` (for callers that keep only what matched), the scores of items a
        topic did not match leave out the text model's phrases."""
        folded = [fold_item(item) for item in items]
        raws = [scan(self._automaton, f) for f in folded]
        readings = [self._readings(topic, folded, raws) for topic in self._topics]
        return [
            [
                self._score(t, topic, folded[i], raws[i], readings[t].get(i), explain_unmatched)
                for t, topic in enumerate(self._topics)
            ]
            for i in range(len(items))
        ]

    def score_for(self, item: Item, topic_id: str) -> TopicScore:
        """The score of one topic (KeyError for an unknown id)."""
        index = self.topic_ids.index(topic_id) if topic_id in self.topic_ids else -1
        if index < 0:
            raise KeyError(topic_id)
        folded = fold_item(item)
        raw = scan(self._automaton, folded)
        return self._score(index, self._topics[index], folded, raw, None, True)

    @staticmethod
    def _readings(
        topic: CompiledTopic, folded: Sequence[Folded], raws: Sequence[list[RawHit]]
    ) -> dict[int, Reading]:
        """The topic's text model's readings of the items in which anything was found."""
        model = topic.spec.model.loaded if topic.spec.model is not None else None
        if model is None:
            return {}
        wanted = [i for i, raw in enumerate(raws) if raw]
        readings = model.read([folded[i].text for i in wanted])
        return dict(zip(wanted, readings, strict=True))

    def _score(
        self,
        index: int,
        topic: CompiledTopic,
        folded: Folded,
        raw: list[RawHit],
        reading: Reading | None,
        explain_unmatched: bool,
    ) -> TopicScore:
        hits = topic_hits(raw, index, [], single=self._single)
        if not hits:
            # Regex terms refine items in which a literal term or entity was found; alone
            # they cannot carry the required groups, so an item without hits skips them.
            return nothing_found(topic)
        if topic.regex_gate is not None:
            extra = regex_hits(topic, folded.text)
            if extra:
                hits = topic_hits(raw, index, extra, single=self._single)
        found = gather(topic, hits, folded.title_end)
        return score_topic(topic, found, folded.text, reading, explain_unmatched=explain_unmatched)


def compile_topics(topics: Sequence[TopicSpec]) -> Matcher:
    """One Matcher for all topics: every term and entity in a single automaton."""
    return Matcher(topics)
