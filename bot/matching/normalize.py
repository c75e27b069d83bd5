"""Text as the matcher sees it: HTML stripped, NFKC, simplified Chinese, case-folded."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

from bot.core.models import Item
from bot.core.text import html_to_text
from bot.matching.hanzi import to_simplified

# Hyphens become spaces so "anti-drug" and "anti drug" are one term; curly apostrophes become
# straight ones. Each replacement is one character for one, so offsets stay put.
_SAME_LENGTH = (("-", " "), ("\u2010", " "), ("\u2011", " "), ("\u2019", "'"), ("\u02bc", "'"))
CJK_START = "\u2e80"


@dataclass(frozen=True, slots=True)
class Folded:
    """An item's text: title and body joined by a newline, folded; `cased` keeps the case at
    the same offsets (None when folding changed the length, e.g. German sharp s)."""

    text: str
    cased: str | None
    title_end: int


def fold(text: str) -> str:
    """The normal form of text and of terms alike."""
    return _fold(text)[0]


def _fold(text: str) -> tuple[str, str | None]:
    if not text.isascii():
        text = to_simplified(unicodedata.normalize("NFKC", text))
    for old, new in _SAME_LENGTH:
        if old in text:
            text = text.replace(old, new)
    folded = text.casefold()
    if not folded.isascii() and "ё" in folded:
        folded = folded.replace("ё", "е")  # Russian writes е for ё more often than not
    return folded, (text if len(folded) == len(text) else None)


def plain(text: str) -> str:
    """Text without markup; plain text passes through untouched (and fast)."""
    if "<" in text or "&" in text:
        return html_to_text(text)
    return text


def item_body(item: Item) -> str:
    """Summary and content as one text; a summary repeated at the start of the content once."""
    summary, content = plain(item.summary), plain(item.content)
    if summary and content and summary[:200] in content:
        return content
    if summary and content:
        return f"{summary}\n{content}"
    return summary or content


def fold_item(item: Item) -> Folded:
    """Title and body of an item folded into one text, remembering where the title ends."""
    title, title_cased = _fold(plain(item.title))
    body, body_cased = _fold(item_body(item))
    cased = None
    if title_cased is not None and body_cased is not None:
        cased = f"{title_cased}\n{body_cased}"
    return Folded(text=f"{title}\n{body}", cased=cased, title_end=len(title))
