"""Mojibake in the source itself ("Trudeauâ€™s" for "Trudeau’s") repaired in parsed items."""

from __future__ import annotations

from dataclasses import replace

import ftfy

from bot.core.models import Item

_UTF8_STEPS = (("decode", "utf-8"), ("apply", "decode_inconsistent_utf8"))
"""ftfy's steps that decode UTF-8: the whole text, or the broken runs of a mixed one."""


def repair_text(text: str) -> str:
    """`text` with UTF-8 that was decoded as Latin-1/cp1252 (once or twice) decoded right.

    Only ftfy's encoding fixes run: its other fixes (curly quotes to straight, full-width to
    half-width, ligatures) would change text that is already right. ftfy leaves text alone
    unless it finds the tell-tale sequences of mojibake, so correct Chinese, Russian or
    accented Latin text comes back as it was.
    """
    if not text:
        return text
    fixed = ftfy.fix_encoding_and_explain(text)
    # Only a repair that decodes UTF-8 is one: ftfy also reads a lone C1 control character
    # as cp1252 ("\x9b" -> "›"), which would turn a terminal escape into text.
    steps = fixed.explanation or []
    if not any(step in _UTF8_STEPS for step in steps):
        return text
    return fixed.text


def repair_item(item: Item) -> Item:
    """The item with its title, summary and content repaired; the same object when clean."""
    title, summary, content = (repair_text(t) for t in (item.title, item.summary, item.content))
    if (title, summary, content) == (item.title, item.summary, item.content):
        return item
    return replace(item, title=title, summary=summary, content=content)
