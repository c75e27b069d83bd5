"""The Matcher: scans an item once with the shared automaton and scores every topic."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from bot.core.models import Item, TopicScore
from bot.matching.compiler import GROUP, CHECK_END, EXCLUSION, CompiledTopic, compile_automaton
from bot.matching.evidence import Hit, RawHit, gather, topic_hits
from bot.matching.normalize import CJK_START, Folded, fold_item
from bot.matching.scoring import score_topic
from bot.matching.spec import TopicSpec


def scan(automaton: Any, folded: Folded) -> list[RawHit]:
    """Every pattern occurrence that passes its word-boundary, wildcard and case checks."""
    text, cased = folded.text, folded.cased
    size = len(text)
    hits: list[RawHit] = []
    append = hits.append
    for end, entries in automaton.iter(text):
        stop = end + 1
        for length, checks, rest, case, targets in entries:
            start = stop - length
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


class Matcher:
    """Scores items against compiled topics; pure and reusable across threads."""

    def __init__(self, topics: Sequence[TopicSpec]) -> None:
        self._topics, self._automaton = compile_automaton(topics)
        self.topic_ids: tuple[str, ...] = tuple(t.spec.id for t in self._topics)
        self._single = len(self._topics) == 1

    @property
    def topics(self) -> tuple[TopicSpec, ...]:
        """The topic specs, in scoring order."""
        return tuple(t.spec for t in self._topics)

    def score(self, item: Item) -> list[TopicScore]:
        """One score per topic, in topic order."""
        folded = fold_item(item)
        raw = scan(self._automaton, folded) if len(self._automaton) else []
        return [self._score(i, topic, folded, raw) for i, topic in enumerate(self._topics)]

    def score_for(self, item: Item, topic_id: str) -> TopicScore:
        """The score of one topic (KeyError for an unknown id)."""
        index = self.topic_ids.index(topic_id) if topic_id in self.topic_ids else -1
        if index < 0:
            raise KeyError(topic_id)
        folded = fold_item(item)
        raw = scan(self._automaton, folded) if len(self._automaton) else []
        return self._score(index, self._topics[index], folded, raw)

    def _score(
        self, index: int, topic: CompiledTopic, folded: Folded, raw: list[RawHit]
    ) -> TopicScore:
        extra: list[Hit] = []
        for pattern, ref in topic.regexes:
            kind = GROUP if topic.terms[ref].group >= 0 else EXCLUSION
            extra += [(m.start(), m.end(), kind, ref) for m in pattern.finditer(folded.text)]
        hits = topic_hits(raw, index, extra, single=self._single)
        found = gather(topic, hits, folded.title_end)
        return score_topic(topic, found, folded.text)


def compile_topics(topics: Sequence[TopicSpec]) -> Matcher:
    """One Matcher for all topics: every term and entity in a single automaton."""
    return Matcher(topics)
