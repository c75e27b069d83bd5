"""Plain text out of feed HTML: tags dropped, entities decoded, white space folded."""

from __future__ import annotations

import re
from html import unescape

from bot.core.markup import MARKUP_START, RAW_TEXT_END, markup_end

_SPACE = re.compile(r"[ \t\r\f\v\u00a0\u200b]+")
_BLANK_LINES = re.compile(r"\n\s*\n+")
_BLOCK_TAGS = frozenset(
    ("p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote")
)
_DROPPED_TAGS = frozenset(("script", "style", "noscript", "template"))


def html_to_text(markup: str) -> str:
    """Text of an HTML fragment (or plain text), with block elements on their own lines."""
    if not markup:
        return ""
    if "<" not in markup and "&" not in markup:
        return fold_space(markup)
    return fold_space("".join(_text_parts(markup)))


def fold_space(text: str) -> str:
    """Runs of spaces to one; at most one blank line; no leading or trailing white space."""
    lines = [_SPACE.sub(" ", line).strip() for line in text.split("\n")]
    return _BLANK_LINES.sub("\n", "\n".join(lines)).strip()


def _text_parts(markup: str) -> list[str]:
    """The text pieces of the markup, with a line break at each block tag.

    One forward pass that never looks at a character twice, and builds no tree: the standard
    library's HTMLParser re-scans unfinished constructs (`<a <a <a ...` took minutes for
    100 KB), and editing a BeautifulSoup tree walks the nesting depth at every block element
    (40,000 nested `<div>` took minutes). A construct left open to the end of the markup
    makes the rest plain text, as HTMLParser did.
    """
    parts: list[str] = []
    dropped = 0  # depth inside script, style, noscript or template
    pos, size = 0, len(markup)
    while pos < size:
        found = MARKUP_START.search(markup, pos)
        start = found.start() if found else size
        if start > pos and not dropped:
            parts.append(_decoded(markup[pos:start]))
        if found is None:
            break
        end, name, closing = markup_end(markup, start)
        if end < 0:  # never closed: the rest is text
            if not dropped:
                parts.append(_decoded(markup[start:]))
            break
        pos = end
        if name is None:
            continue
        if name == "![cdata[":
            if not dropped:
                parts.append(markup[start + len("<![CDATA[") : end - len("]]>")])
            continue
        self_closing = markup[end - 2] == "/"
        if name in _DROPPED_TAGS:
            if closing:
                dropped = max(0, dropped - 1)
            elif not self_closing:
                dropped += 1
                raw_end = RAW_TEXT_END.get(name)
                if raw_end is not None:  # script and style hold text that is not markup
                    closed = raw_end.search(markup, pos)
                    pos = closed.start() if closed else size
        elif name in _BLOCK_TAGS and not dropped:
            parts.append("\n")
    return parts


def _decoded(text: str) -> str:
    return unescape(text) if "&" in text else text
