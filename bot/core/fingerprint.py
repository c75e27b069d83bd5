"""Near-duplicate text: shingle fingerprints of items and the rule that one story is another.

A wire story republished by several outlets keeps its words but not its headline nor the length
of its summary. So an item is reduced to *shingles*: runs of three words for Latin and Cyrillic
text, runs of three characters for Chinese and Japanese (no spaces to split on), after NFKC and
case folding, so "China, Russia agree..." and "China & Russia Agree..." give the same shingles.
Two items are the same story when nearly all of the shorter body's shingles occur in the longer
body (containment, not Jaccard similarity: an outlet that trims the summary to one sentence
still carries that sentence word for word). Headlines are compared only when an item has no
body to speak of: outlets rewrite headlines freely, and different stories share headline words.

The 64-bit SimHash of the shingles is what the database keeps (`item.fingerprint`): equal
values mean the same text. It is not the test of near-duplicates on its own. Its 64 bits cannot
tell a repost (8-20 bits differ in the pairs of tests/story) from another story on the
topic (19-35 bits) reliably enough when every new match is compared with each match of the last
two days, so the decision is made on the shingle sets, which the store recomputes from the
stored text of those few candidates.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

WORD_SHINGLE = 3
"""Words per shingle: pairs of words ("anti drug", "drug trafficking") are shared by any two
stories on the topic; runs of three start to be particular to one text."""

CJK_SHINGLE = 3
"""CJK characters per shingle. Pairs of characters are about one Chinese word each, and two
different reports of SCO anti-drug meetings share half of them ("上海", "合作", "禁毒", "部门",
"会议", "举行"...); triples cut that to 0.4 while a republished story still scores 1.0."""

LEAD_UNITS = 150
"""Only the first 150 words (or CJK characters) of the body count: outlets differ mostly in
how much of a story they carry, and the lead is what they all keep."""

MIN_SHINGLES = 6
"""Texts with fewer shingles (a four-word headline and nothing else) never merge: too little
text to tell one story from another, and a false merge loses an alert."""

CONTAINMENT = 0.7
"""The share of the shorter text's shingles that must occur in the longer one. Measured on the
texts in tests/story/texts.py: bodies of the same wire story from different outlets (dateline
dropped, trimmed to a sentence or cut mid-sentence) score 1.0, and 0.8 with two small edits
("on Tuesday" -> "on March 3", "in fighting" -> "in the fight against"); bodies of different
stories on the topic score 0.0-0.4, and 0.61 for two Mekong patrol reports built on the same
boilerplate ("law enforcement forces from China, Laos, Myanmar and Thailand ..."). 0.7 sits
between the two. A paraphrase is not merged: it then alerts as a story of its own, which is
the safe failure (a false merge would lose an alert)."""

_CJK = (
    "\u2e80-\u2fdf\u3005\u3007\u3021-\u3029\u3040-\u30ff\u3100-\u312f\u3190-\u31ff"
    "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
)
_TOKENS = re.compile(rf"([{_CJK}]+)|([^\W_{_CJK}]+)")
_MASK = (1 << 64) - 1


@dataclass(frozen=True, slots=True)
class Fingerprint:
    """An item's title and body shingles, as 64-bit hashes."""

    title: frozenset[int]
    body: frozenset[int]

    @property
    def shingles(self) -> frozenset[int]:
        return self.title | self.body

    @property
    def simhash(self) -> int:
        """The SimHash of all the shingles, as the database keeps it (computed each time)."""
        return simhash(self.shingles)


def normalise(text: str) -> str:
    """NFKC and case folding (punctuation is dropped later: it only separates words)."""
    text = unicodedata.normalize("NFKC", text).casefold()
    return text.replace("ё", "е")  # Russian outlets write е for ё more often than not


def shingles(text: str) -> list[str]:
    """The text's shingles in order: word triples, CJK character triples, short runs whole."""
    found: list[str] = []
    words: list[str] = []
    for cjk, word in _TOKENS.findall(normalise(text)):
        if word:
            words.append(word)
            continue
        found.extend(_word_shingles(words))
        words = []
        found.extend(cjk[i : i + CJK_SHINGLE] for i in range(max(len(cjk) - CJK_SHINGLE + 1, 1)))
    found.extend(_word_shingles(words))
    return found


def _word_shingles(words: list[str]) -> list[str]:
    if len(words) < WORD_SHINGLE:  # e.g. "SCO" inside Chinese text: one shingle as it stands
        return [" ".join(words)] if words else []
    return [" ".join(words[i : i + WORD_SHINGLE]) for i in range(len(words) - WORD_SHINGLE + 1)]


def lead(text: str, units: int = LEAD_UNITS) -> str:
    """The start of `text`: its first `units` words, a CJK character counting as a word."""
    count = 0
    for match in _TOKENS.finditer(text):
        count += len(match.group(1)) if match.group(1) else 1
        if count >= units:
            return text[: match.end()]
    return text


def _hash(shingle: str) -> int:
    return int.from_bytes(hashlib.blake2b(shingle.encode(), digest_size=8).digest(), "big")


def simhash(hashes: Iterable[int]) -> int:
    """Charikar's SimHash of 64-bit feature hashes, as a signed 64-bit integer (0 for none)."""
    weights = [0] * 64
    for value in hashes:
        for bit in range(64):
            weights[bit] += 1 if value >> bit & 1 else -1
    unsigned = sum(1 << bit for bit, weight in enumerate(weights) if weight > 0)
    return unsigned - (1 << 64) if unsigned >> 63 else unsigned


def hamming(a: int, b: int) -> int:
    """How many of the 64 bits two SimHashes differ in."""
    return ((a ^ b) & _MASK).bit_count()


def fingerprint(title: str, summary: str = "", content: str = "") -> Fingerprint:
    """The fingerprint of an item's plain text: its title and the lead of its body.

    The body is the summary, else the content: a summary is usually the content's first
    paragraph, and one outlet's feed may carry only the one, another only the other.
    """
    title_hashes = frozenset(_hash(s) for s in shingles(title))
    body_hashes = frozenset(_hash(s) for s in shingles(lead(summary or content)))
    return Fingerprint(title_hashes, body_hashes)


def containment(a: frozenset[int], b: frozenset[int]) -> float:
    """The share of the smaller set found in the larger one (0 when either is empty)."""
    smaller = min(len(a), len(b))
    return len(a & b) / smaller if smaller else 0.0


def resemblance(a: Fingerprint, b: Fingerprint) -> float:
    """How much of one item the other repeats: by body when both have one, else by all text."""
    if min(len(a.body), len(b.body)) >= MIN_SHINGLES:
        return containment(a.body, b.body)
    return containment(a.shingles, b.shingles)


def near_duplicate(a: Fingerprint, b: Fingerprint) -> bool:
    """Whether two items tell the same story in (nearly) the same words; see CONTAINMENT."""
    if min(len(a.shingles), len(b.shingles)) < MIN_SHINGLES:
        return False
    return resemblance(a, b) >= CONTAINMENT
