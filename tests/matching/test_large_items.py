"""Scoring cost grows linearly with an item's size, in any script (issue 9, finding 6)."""

from __future__ import annotations

from bot.core.models import Item
from bot.matching import Matcher
from bot.matching.engine import char_offsets
from tests.support.hostile import ITEM_TERMS_RU
from tests.support.timing import best_time


def russian_item(size: int) -> Item:
    text = ITEM_TERMS_RU * (size // len(ITEM_TERMS_RU.encode()))
    return Item(title="ШОС: сотрудничество против наркотиков", summary=text)


def test_large_russian_item_costs_linear_time(matcher: Matcher) -> None:
    """Guards finding 6: each regex match re-decoded the UTF-8 prefix, and each regex hit was
    compared with every literal hit, so a 1.4 MB Russian item full of terms took seconds; four
    times the text now costs about four times as much, not sixteen."""
    small, large = russian_item(100_000), russian_item(400_000)
    (found,) = matcher.score(large)
    assert found.matched
    assert any(term.term == "CSTO operation «Канал»" for term in found.terms)
    small_s = best_time(lambda: matcher.score(small))
    large_s = best_time(lambda: matcher.score(large))
    assert large_s < 7 * small_s + 0.02, f"{large_s:.3f}s vs {small_s:.3f}s"


def test_char_offsets_map_utf8_bytes_to_characters() -> None:
    """Byte offsets at character boundaries map to the index of the same character."""
    text = "aé漢😀b операция"
    data = text.encode("utf-8")
    boundaries = {len(text[:i].encode("utf-8")): i for i in range(len(text) + 1)}
    assert char_offsets(data, set(boundaries)) == boundaries
