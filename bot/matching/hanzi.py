"""Traditional Chinese to simplified, through OpenCC's t2s dictionaries.

Terms are written in simplified characters; news from Taiwan and Hong Kong uses traditional
ones. Text and terms alike are converted to simplified when they are folded, so one term
matches both scripts. OpenCC converts by phrase, so a character whose simplified form depends
on the word comes out right. Its t2s dictionaries load in a few milliseconds, once per
process (the s2t family takes a quarter of a second: converting terms the other way would
slow every start).
"""

from __future__ import annotations

import re
from functools import cache
from typing import Any

# Han characters: only text that has some is converted (the conversion costs ~25 us per
# Chinese item, and nothing for Latin or Cyrillic text).
_HAN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")


@cache
def _t2s() -> Any:
    """The converter, built once per process (imported lazily: CLI start stays lean)."""
    import opencc

    return opencc.OpenCC("t2s")


def to_simplified(text: str) -> str:
    """Text with traditional Chinese characters in their simplified form; other text as is."""
    if _HAN.search(text) is None:
        return text
    return str(_t2s().convert(text))
