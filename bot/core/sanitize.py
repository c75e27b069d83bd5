"""Text from feeds made safe to store and send: no NUL, control characters or lone surrogates.

PostgreSQL refuses U+0000 in text and any string that is not valid UTF-8 (a lone surrogate,
which JSON's `\\ud800` escapes can produce); Telegram refuses invalid UTF-8 too; C0 and C1
control characters are terminal escape sequences on a console. None of them is ever wanted
in a title or a summary, so they are removed once, where items leave the parsers.
"""

from __future__ import annotations

import re
from dataclasses import replace

from bot.core.models import Item
from bot.core.weburl import MAX_URL_LENGTH

MAX_TITLE = 1000
MAX_AUTHOR = 200
MAX_GUID = 4096

# C0 controls but tab, newline and carriage return; DEL and the C1 controls; UTF-16
# surrogates (only ever lone ones in a str); the two non-characters U+FFFE and U+FFFF.
_UNWANTED = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")


def clean_text(text: str) -> str:
    """`text` without characters a database, Telegram or a terminal must not get."""
    if text.isprintable():  # every unwanted character is unprintable: nothing to remove
        return text
    return _UNWANTED.sub("", text)


def clean_line(text: str) -> str:
    """`text` as one safe line: cleaned, with newlines and tabs turned into spaces."""
    return " ".join(clean_text(text).split())


# What a terminal acts on or reorders: the controls above plus tab, newline and carriage
# return, the line and paragraph separators, the bidirectional embeddings and isolates; and
# lone surrogates, which no terminal encoding can print.
_ACTED_ON = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]")


def escape_controls(text: str) -> str:
    """`text` for a terminal line, every control character shown as its escape (`\\x1b`), as
    `repr` would: what a feed put there is visible, and none of it acts on the terminal."""
    return _ACTED_ON.sub(_escape_one, text)


def _escape_one(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"


def clean_link(link: str | None) -> str | None:
    """A link without unwanted characters, or None when it is longer than any real one."""
    if link is None:
        return None
    cleaned = clean_text(link).strip()
    return cleaned if cleaned and len(cleaned) <= MAX_URL_LENGTH else None


def _cap(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def clean_item(item: Item) -> Item:
    """The item with every text field cleaned and titles, authors and guids of sane length."""
    author = clean_line(item.author) if item.author else None
    guid = clean_text(item.guid).strip() if item.guid else None
    return replace(
        item,
        title=_cap(clean_line(item.title), MAX_TITLE),
        link=clean_link(item.link),
        guid=guid[:MAX_GUID] if guid else None,
        summary=clean_text(item.summary),
        content=clean_text(item.content),
        author=_cap(author, MAX_AUTHOR) if author else None,
        lang=clean_text(item.lang)[:16] if item.lang else None,
    )
