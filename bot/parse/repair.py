"""Mojibake in the source itself ("Trudeauâ€™s" for "Trudeau’s") repaired in parsed items."""

from __future__ import annotations

from dataclasses import replace

import ftfy

from bot.core.models import Item, ParsedFeed


def repair_text(text: str) -> str:
    """`text` with UTF-8 that was decoded as Latin-1/cp1252 (once or twice) decoded right.

    Only ftfy's encoding fixes run: its other fixes (curly quotes to straight, full-width to
    half-width, ligatures) would change text that is already right. ftfy leaves text alone
    unless it finds the tell-tale sequences of mojibake, so correct Chinese, Russian or
    accented Latin text comes back as it was.
    """
    return ftfy.fix_encoding(text) if text else text


def repair_item(item: Item) -> Item:
    """The item with its title, summary and content repaired; the same object when clean."""
    title, summary, content = (repair_text(t) for t in (item.title, item.summary, item.content))
    if (title, summary, content) == (item.title, item.summary, item.content):
        return item
    return replace(item, title=title, summary=summary, content=content)


def repair_feed(feed: ParsedFeed) -> ParsedFeed:
    """The parsed feed with every item repaired."""
    items = tuple(repair_item(item) for item in feed.items)
    if all(new is old for new, old in zip(items, feed.items, strict=True)):
        return feed
    return replace(feed, items=items)
