"""Traditional-script spellings of simplified Chinese terms, from OpenCC's dictionaries.

Terms are written in simplified characters; news from Taiwan and Hong Kong uses traditional
ones. Rather than convert every item's text (a cost per item), each term is converted once at
compile time into the traditional spellings OpenCC knows: standard (s2t), Taiwan (s2tw),
Hong Kong (s2hk) and Taiwan with its own vocabulary (s2twp: 信息 -> 資訊). OpenCC converts by
phrase, so a character whose traditional form depends on the word (制 -> 製 in 制毒, 制 in
管制) comes out right.
"""

from __future__ import annotations

from functools import cache
from typing import Any

_CONFIGS = ("s2t", "s2tw", "s2hk", "s2twp")


@cache
def _converters() -> tuple[Any, ...]:
    """OpenCC converters, built once per process (imported lazily: CLI start stays lean)."""
    import opencc

    return tuple(opencc.OpenCC(config) for config in _CONFIGS)


def traditional_variants(term: str) -> list[str]:
    """The traditional-script spellings of a simplified term (not the term itself)."""
    variants: list[str] = []
    for converter in _converters():
        candidate = converter.convert(term)
        if candidate != term and candidate not in variants:
            variants.append(candidate)
    return variants


def to_simplified(text: str) -> str:
    """Text in simplified characters (for tests and diagnostics)."""
    return str(_t2s().convert(text))


@cache
def _t2s() -> Any:
    import opencc

    return opencc.OpenCC("t2s")
