"""A strict checker of Telegram's HTML subset, for tests: what the Bot API would refuse.

Stricter than the fake Bot API's parser: it tokenises by hand, so a message cut inside a tag,
an attribute or an entity, a raw `<`, `>` or `&`, an unknown tag or attribute, or unbalanced
nesting is an error; and it checks the length both as Telegram counts it (visible text) and as
narcowatch budgets it (the HTML source), in UTF-16 code units.
"""

from __future__ import annotations

import html
import re

MAX_MESSAGE = 4096
TAGS = {
    "b": (),
    "strong": (),
    "i": (),
    "em": (),
    "u": (),
    "ins": (),
    "s": (),
    "strike": (),
    "del": (),
    "a": ("href",),
    "code": ("class",),
    "pre": (),
    "tg-spoiler": (),
    "blockquote": ("expandable",),
}
_ENTITY = re.compile(r"&(?:lt|gt|amp|quot|#[0-9]{1,7}|#x[0-9a-fA-F]{1,6});")
_OPEN = re.compile(r'<([a-z-]+)((?:\s+[a-z]+="[^"<>]*")*)\s*>')
_ATTR = re.compile(r'\s+([a-z]+)="([^"<>]*)"')
_CLOSE = re.compile(r"</([a-z-]+)>")


class InvalidTelegramHtml(AssertionError):
    """The text is not a message the Bot API would accept as HTML."""


def utf16_length(text: str) -> int:
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def _check_entities(text: str, where: int) -> None:
    position = 0
    while (amp := text.find("&", position)) >= 0:
        match = _ENTITY.match(text, amp)
        if match is None:
            raise InvalidTelegramHtml(f"bad entity at {where + amp}: {text[amp : amp + 12]!r}")
        position = match.end()


def visible_text(message: str) -> str:
    """The text Telegram would show for `message`; raises InvalidTelegramHtml when it would
    refuse it."""
    out: list[str] = []
    stack: list[str] = []
    position = 0
    while position < len(message):
        char = message[position]
        if char == "<":
            opened = _OPEN.match(message, position)
            closed = _CLOSE.match(message, position)
            if opened is not None:
                name = opened.group(1)
                if name not in TAGS:
                    raise InvalidTelegramHtml(f"unsupported tag <{name}> at {position}")
                for attr in _ATTR.finditer(opened.group(2)):
                    if attr.group(1) not in TAGS[name]:
                        raise InvalidTelegramHtml(f"attribute {attr.group(1)} on <{name}>")
                    _check_entities(attr.group(2), position)
                stack.append(name)
                position = opened.end()
            elif closed is not None:
                if not stack or stack[-1] != closed.group(1):
                    raise InvalidTelegramHtml(f"unexpected </{closed.group(1)}> at {position}")
                stack.pop()
                position = closed.end()
            else:
                raise InvalidTelegramHtml(f"broken tag at {position}: {message[position:][:30]!r}")
        elif char == ">":
            raise InvalidTelegramHtml(f"raw '>' at {position}")
        elif char == "&":
            match = _ENTITY.match(message, position)
            if match is None:
                snippet = message[position : position + 12]
                raise InvalidTelegramHtml(f"bad entity at {position}: {snippet!r}")
            out.append(html.unescape(match.group(0)))
            position = match.end()
        else:
            out.append(char)
            position += 1
    if stack:
        raise InvalidTelegramHtml(f"unclosed <{stack[-1]}>")
    return "".join(out)


def assert_valid_message(message: str, limit: int = MAX_MESSAGE) -> None:
    """`message` parses as Telegram HTML, is not empty, and is within `limit` UTF-16 units both
    as HTML source and as the visible text."""
    visible = visible_text(message)
    if not visible.strip():
        raise InvalidTelegramHtml("empty message")
    if utf16_length(message) > limit:
        raise InvalidTelegramHtml(f"{utf16_length(message)} UTF-16 units of HTML, over {limit}")
    if utf16_length(visible) > limit:
        raise InvalidTelegramHtml(f"{utf16_length(visible)} visible units, over {limit}")
