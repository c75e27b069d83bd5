"""An item's text as hashed features for the text model: words, pairs of words, word stems and
pairs of Chinese characters.

Hashing keeps the model numbers only (no vocabulary, so no third-party text ships) and makes
unseen words cost nothing. Everything is vectorised with numpy over the code points of the
folded text: a Python loop over every word would cost more than the whole rule matcher.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache

import numpy as np
import numpy.typing as npt

from bot.matching.normalize import CJK_START

FEATURE_VERSION = 2
"""Bumped whenever the features change: a model trained on other features is refused."""
MAX_CHARS = 6_000
"""The model reads this much of an item (headline first); an article's lead says enough, and a
hostile megabyte costs no more than a long story."""
STEM = 6
"""Words longer than this also count by their first letters (Russian cases, English endings)."""

_U64 = np.uint64
_BASE = _U64(0x100000001B3)  # odd, so it has an inverse modulo 2**64
_MIX = _U64(0x9E3779B97F4A7C15)
_PAIR = _U64(0xC2B2AE3D27D4EB4F)
# A salt per kind of feature (words have none), so that a word and a pair of words never
# share a bucket on purpose.
STEM_KIND, PAIR, HANZI = (_U64(s) for s in (0x52, 0x53, 0x54))
_ZERO = np.zeros(1, dtype=_U64)

IntArray = npt.NDArray[np.int64]


CHUNK_CHARS = 60_000
"""Texts are read together in runs of about this many characters: numpy's cost per call is
then shared by dozens of items, and the tables of powers stay 0.5 MB each. (A run holds fewer
than 2**16 texts: each takes at least one character and a newline.)"""


class TextFeatures:
    """The features of one text: a bucket per occurrence (a word said twice is there twice),
    and where each occurs (for explanations)."""

    __slots__ = ("ids", "starts", "stops")

    def __init__(self, ids: IntArray, starts: IntArray, stops: IntArray) -> None:
        self.ids = ids
        self.starts = starts
        """Where the phrase behind each id starts in the text..."""
        self.stops = stops
        """...and stops (a stem is shown as its whole word)."""

    @property
    def value(self) -> float:
        """What one occurrence weighs: the vector of counts, divided by the square root of
        their number, so that long and short texts weigh alike."""
        return 1.0 / float(np.sqrt(len(self.ids))) if len(self.ids) else 0.0


class Batch:
    """The features of several texts read together: every occurrence's bucket and the text
    it belongs to (sums per text are one numpy call), grouped by text for explanations."""

    __slots__ = (
        "_bounds",
        "_offsets",
        "_starts",
        "_stops",
        "count",
        "ids",
        "owner",
        "size",
        "text",
    )

    def __init__(
        self,
        text: str,
        offsets: IntArray,
        parts: list[tuple[IntArray, IntArray, IntArray, IntArray]],
    ) -> None:
        self.text = text
        """The texts joined by newlines (phrases are read from it)."""
        self._offsets = offsets
        self.size = len(offsets)
        # parts: per kind of feature, (ids, owner, starts, stops) in text order. One stable
        # sort by owner (a radix sort on 16-bit keys) puts each text's occurrences together.
        owner = np.concatenate([p[1] for p in parts])
        order = np.argsort(owner.astype(np.uint16), kind="stable")
        self.owner = owner[order]
        self.ids = np.concatenate([p[0] for p in parts])[order]
        self._starts = np.concatenate([p[2] for p in parts])[order]
        self._stops = np.concatenate([p[3] for p in parts])[order]
        self.count = np.bincount(self.owner, minlength=self.size)
        self._bounds = np.concatenate((np.zeros(1, np.int64), np.cumsum(self.count))).tolist()

    def features(self, index: int) -> TextFeatures:
        """The features of the `index`-th text, with positions within that text."""
        lo, hi = self._bounds[index], self._bounds[index + 1]
        base = self._offsets[index]
        return TextFeatures(self.ids[lo:hi], self._starts[lo:hi] - base, self._stops[lo:hi] - base)

    def bounds(self, index: int) -> tuple[int, int]:
        """Where the `index`-th text's occurrences lie in the batch's arrays."""
        return self._bounds[index], self._bounds[index + 1]

    @property
    def starts(self) -> IntArray:
        """Where each occurrence's phrase starts in the joined text..."""
        return self._starts

    @property
    def stops(self) -> IntArray:
        """...and stops."""
        return self._stops


@cache
def _word_chars() -> npt.NDArray[np.bool_]:
    """Which code points of the Basic Multilingual Plane are letters or digits (built once)."""
    return np.fromiter((chr(c).isalnum() for c in range(0x10000)), dtype=bool, count=0x10000)


@cache
def _powers() -> tuple[npt.NDArray[np.uint64], npt.NDArray[np.uint64]]:
    """BASE**i and its inverse**i modulo 2**64, for i up to a run of texts (built once)."""
    size = CHUNK_CHARS + MAX_CHARS + 2
    inverse = _U64(pow(int(_BASE), -1, 2**64))
    with np.errstate(over="ignore"):
        up = np.cumprod(np.full(size, _BASE, dtype=_U64))
        down = np.cumprod(np.full(size, inverse, dtype=_U64))
    return np.concatenate(([_U64(1)], up[:-1])), np.concatenate(([_U64(1)], down[:-1]))


def text_features(text: str, *, bits: int) -> TextFeatures:
    """The hashed features of a folded text (bot.matching.normalize), in buckets of `bits`
    bits. Numbers count as words: the model learns that years and amounts say nothing."""
    return read_texts([text], bits=bits)[0].features(0)


def read_texts(texts: Sequence[str], *, bits: int) -> list[Batch]:
    """The features of many texts, read in runs of about CHUNK_CHARS characters; a text's
    features are the same whichever run it is read in."""
    batches: list[Batch] = []
    run: list[str] = []
    size = 0
    for text in texts:
        text = text[:MAX_CHARS]
        if run and size + len(text) > CHUNK_CHARS:
            batches.append(_read(run, bits))
            run, size = [], 0
        run.append(text)
        size += len(text) + 1
    if run or not batches:
        batches.append(_read(run, bits))
    return batches


def _read(texts: list[str], bits: int) -> Batch:
    """One run of texts, joined by newlines (never part of a word, so no word or pair crosses
    from one text into the next)."""
    joined = "\n".join(texts)
    lengths = np.fromiter((len(t) + 1 for t in texts), dtype=np.int64, count=len(texts))
    offsets = np.zeros(len(texts), dtype=np.int64)
    offsets[1:] = np.cumsum(lengths)[:-1]
    points = np.frombuffer(joined.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    word = np.take(_word_chars(), points, mode="clip")
    plain = joined.isascii()  # most runs: no Chinese to look for
    if not plain:
        hanzi = word & (points >= ord(CJK_START))
        word &= ~hanzi
    padded = np.zeros(len(word) + 2, dtype=bool)
    padded[1:-1] = word
    edges = np.flatnonzero(padded[1:] != padded[:-1])
    starts, stops = edges[0::2], edges[1::2]
    owner = np.searchsorted(offsets, starts, side="right") - 1
    up, down = _powers()
    prefix = np.concatenate((_ZERO, np.cumsum(points * up[: len(points)])))
    words = (prefix[stops] - prefix[starts]) * down[starts]
    long = stops - starts > STEM
    stem_at = starts[long]
    stems = ((prefix[stem_at + STEM] - prefix[stem_at]) * down[stem_at]) ^ STEM_KIND
    same = owner[:-1] == owner[1:]  # a pair of words within one text
    pairs = ((words[:-1] * _PAIR + words[1:]) ^ PAIR)[same]
    shift = _U64(64 - bits)
    parts = [
        (_buckets(words, shift), owner, starts, stops),
        (_buckets(stems, shift), owner[long], stem_at, stops[long]),
        (_buckets(pairs, shift), owner[:-1][same], starts[:-1][same], stops[1:][same]),
    ]
    if not plain:
        at = np.flatnonzero(hanzi[:-1] & hanzi[1:])
        duo = (points[at] * _PAIR + points[at + 1]) ^ HANZI
        where = np.searchsorted(offsets, at, side="right") - 1
        parts.append((_buckets(duo, shift), where, at, at + 2))
    return Batch(joined, offsets, parts)


def _buckets(hashes: npt.NDArray[np.uint64], shift: np.uint64) -> IntArray:
    return ((hashes * _MIX) >> shift).astype(np.int64)
