"""An item's text as hashed features for the text model: words, pairs of words, word stems and
pairs of Chinese characters.

Hashing keeps the model numbers only (no vocabulary, so no third-party text ships) and makes
unseen words cost nothing. Everything is vectorised with numpy over the code points of the
folded text: a Python loop over every word would cost more than the whole rule matcher.
"""

from __future__ import annotations

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


class TextFeatures:
    """The features of one text: a bucket per occurrence (a word said twice is there twice),
    and where each occurs, worked out only when an explanation asks."""

    __slots__ = ("_hanzi_at", "_long", "_starts", "_stops", "ids")

    def __init__(
        self,
        ids: IntArray,
        starts: IntArray,
        stops: IntArray,
        long: npt.NDArray[np.bool_] | None = None,
        hanzi_at: IntArray | None = None,
    ) -> None:
        self.ids = ids
        self._starts, self._stops = starts, stops
        self._long, self._hanzi_at = long, hanzi_at

    @property
    def value(self) -> float:
        """What one occurrence weighs: the vector of counts, divided by the square root of
        their number, so that long and short texts weigh alike."""
        return 1.0 / float(np.sqrt(len(self.ids))) if len(self.ids) else 0.0

    @property
    def starts(self) -> IntArray:
        """Where the phrase behind each id starts."""
        if self._long is None:
            return self._starts
        s, hanzi = self._starts, self._hanzi_at
        return np.concatenate((s, s[self._long], s[:-1], hanzi if hanzi is not None else s[:0]))

    @property
    def stops(self) -> IntArray:
        """Where the phrase behind each id stops (a stem is shown as its whole word)."""
        if self._long is None:
            return self._stops
        e, hanzi = self._stops, self._hanzi_at
        tail = hanzi + 2 if hanzi is not None else e[:0]
        return np.concatenate((e, e[self._long], e[1:], tail))


@cache
def _word_chars() -> npt.NDArray[np.bool_]:
    """Which code points of the Basic Multilingual Plane are letters or digits (built once)."""
    return np.fromiter((chr(c).isalnum() for c in range(0x10000)), dtype=bool, count=0x10000)


@cache
def _powers() -> tuple[npt.NDArray[np.uint64], npt.NDArray[np.uint64]]:
    """BASE**i and its inverse**i modulo 2**64, for i <= MAX_CHARS (built once: one table per
    text length would hold ~300 MB once a daemon had seen items of every length)."""
    size = MAX_CHARS + 1
    inverse = _U64(pow(int(_BASE), -1, 2**64))
    with np.errstate(over="ignore"):
        up = np.cumprod(np.full(size, _BASE, dtype=_U64))
        down = np.cumprod(np.full(size, inverse, dtype=_U64))
    return np.concatenate(([_U64(1)], up[:-1])), np.concatenate(([_U64(1)], down[:-1]))


def text_features(text: str, *, bits: int) -> TextFeatures:
    """The hashed features of a folded text (bot.matching.normalize), in buckets of `bits`
    bits. Numbers count as words: the model learns that years and amounts say nothing."""
    text = text[:MAX_CHARS]
    points = np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    word = np.take(_word_chars(), points, mode="clip")
    plain = text.isascii()  # most items: no Chinese to look for
    if not plain:
        hanzi = word & (points >= ord(CJK_START))
        word &= ~hanzi
    padded = np.zeros(len(word) + 2, dtype=bool)
    padded[1:-1] = word
    edges = np.flatnonzero(padded[1:] != padded[:-1])
    starts, stops = edges[0::2], edges[1::2]
    up, down = _powers()
    prefix = np.cumsum(points * up[: len(points)])
    prefix = np.concatenate((_ZERO, prefix))
    words = (prefix[stops] - prefix[starts]) * down[starts]
    long = stops - starts > STEM
    stem_at = starts[long]
    parts = [
        words,
        ((prefix[stem_at + STEM] - prefix[stem_at]) * down[stem_at]) ^ STEM_KIND,
        (words[:-1] * _PAIR + words[1:]) ^ PAIR,
    ]
    hanzi_at = None
    if not plain:
        hanzi_at = np.flatnonzero(hanzi[:-1] & hanzi[1:])
        parts.append((points[hanzi_at] * _PAIR + points[hanzi_at + 1]) ^ HANZI)
    hashes = np.concatenate(parts)
    ids = ((hashes * _MIX) >> _U64(64 - bits)).astype(np.int64)
    return TextFeatures(ids, starts, stops, long, hanzi_at)
