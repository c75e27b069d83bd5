"""An item's text as hashed features for the text model: words, pairs of words, word stems and
pairs of Chinese characters.

Hashing keeps the model numbers only (no vocabulary, so no third-party text ships) and makes
unseen words cost nothing. Everything is vectorised with numpy over the code points of the
folded text: a Python loop over every word would cost more than the whole rule matcher.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import numpy as np
import numpy.typing as npt

from bot.matching.normalize import CJK_START

FEATURE_VERSION = 1
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
# One salt per kind of feature, so that a word and a pair of words never share a bucket on
# purpose.
WORD, STEM_KIND, PAIR, HANZI = (_U64(s) for s in (0x51, 0x52, 0x53, 0x54))

IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True, slots=True)
class TextFeatures:
    """The features of one text, with where each occurs (for explanations)."""

    ids: IntArray
    """The bucket of every feature occurrence (a word said twice is there twice)."""
    starts: IntArray
    stops: IntArray
    """text[starts[i]:stops[i]] is the phrase behind ids[i]."""

    @property
    def value(self) -> float:
        """What one occurrence weighs: the vector of counts, divided by the square root of
        their number, so that long and short texts weigh alike."""
        return 1.0 / float(np.sqrt(len(self.ids))) if len(self.ids) else 0.0


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
    hanzi = word & (points >= ord(CJK_START))
    letters = np.concatenate(([False], word & ~hanzi, [False]))
    edges = np.flatnonzero(letters[1:] != letters[:-1])
    starts, stops = edges[0::2], edges[1::2]
    up, down = _powers()
    prefix = np.concatenate(([_U64(0)], np.cumsum(points * up[: len(points)])))
    words = (prefix[stops] - prefix[starts]) * down[starts]
    stem_at = starts[stops - starts > STEM]
    stems = (prefix[stem_at + STEM] - prefix[stem_at]) * down[stem_at]
    at = np.flatnonzero(hanzi[:-1] & hanzi[1:])
    hashes = np.concatenate(
        (
            words ^ WORD,
            stems ^ STEM_KIND,
            (words[:-1] * _PAIR + words[1:]) ^ PAIR,
            (points[at] * _PAIR + points[at + 1]) ^ HANZI,
        )
    )
    return TextFeatures(
        ids=((hashes * _MIX) >> _U64(64 - bits)).astype(np.int64),
        starts=np.concatenate((starts, stem_at, starts[:-1], at)),
        # A stem is shown as the word it was cut from.
        stops=np.concatenate((stops, stops[stops - starts > STEM], stops[1:], at + 2)),
    )
