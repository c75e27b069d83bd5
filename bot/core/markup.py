"""A linear scan of HTML markup: where each tag, comment or CDATA section ends, and tag attributes.

Shared by HTML to text (bot.core.text) and feed discovery (bot.parse.discovery). Every function
visits each character a bounded number of times: the standard library's HTMLParser re-scans
unfinished constructs (`<a <a <a ...` took minutes for 100 KB on Python 3.11).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from html import unescape

MARKUP_START = re.compile(r"<[a-zA-Z/!?]")
TAG_NAME = re.compile(r"/?([a-zA-Z][^\s/>]*)")
RAW_TEXT_END = {
    "script": re.compile(r"</script", re.I),
    "style": re.compile(r"</style", re.I),
}
_TAG_STOP = re.compile(r"[>\"']")
_ATTRIBUTE = re.compile(r"""([^\s"'>/=]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+)))?""")


def markup_end(markup: str, start: int) -> tuple[int, str | None, bool]:
    """(index after the construct at `start`, lower-case tag name or None, is an end tag);
    the index is -1 when the construct is never closed."""
    if markup.startswith("<!--", start):
        end = markup.find("-->", start + 4)
        return (end + 3 if end >= 0 else -1), None, False
    if markup.startswith("<![CDATA[", start):
        end = markup.find("]]>", start + 9)
        return (end + 3 if end >= 0 else -1), "![cdata[", False
    name = TAG_NAME.match(markup, start + 1)
    if name is None:  # <!doctype>, <?pi?>, </ >: dropped up to the next >
        end = markup.find(">", start + 2)
        return (end + 1 if end >= 0 else -1), None, False
    end = _tag_end(markup, name.end())
    return (end + 1 if end >= 0 else -1), name.group(1).lower(), markup[start + 1] == "/"


def _tag_end(markup: str, pos: int) -> int:
    """Index of the > that ends a tag whose attributes start at `pos` (quoted values may hold
    >), or -1."""
    while True:
        stop = _TAG_STOP.search(markup, pos)
        if stop is None:
            return -1
        at = stop.start()
        char = markup[at]
        if char == ">":
            return at
        if markup[pos:at].rstrip().endswith("="):  # a quoted attribute value
            close = markup.find(char, at + 1)
            if close < 0:
                return -1
            pos = close + 1
        else:
            pos = at + 1


def start_tags(markup: str, names: frozenset[str]) -> Iterator[dict[str, str]]:
    """The attributes of each start tag named in `names` (lower case), in document order.
    Script and style contents are skipped; a construct never closed ends the scan."""
    pos, size = 0, len(markup)
    while pos < size:
        found = MARKUP_START.search(markup, pos)
        if found is None:
            return
        start = found.start()
        end, name, closing = markup_end(markup, start)
        if end < 0:
            return
        pos = end
        if name is None or closing:
            continue
        if name in names:
            yield attributes(markup[start + 1 + len(name) : end - 1])
        raw_end = RAW_TEXT_END.get(name)
        if raw_end is not None and markup[end - 2] != "/":
            closed = raw_end.search(markup, pos)
            pos = closed.start() if closed else size


def attributes(source: str) -> dict[str, str]:
    """`rel="alternate" href=x` -> {"rel": "alternate", "href": "x"}: names lower-cased,
    entities decoded, the first of a repeated name kept (as browsers do)."""
    found: dict[str, str] = {}
    for match in _ATTRIBUTE.finditer(source):
        name = match.group(1).lower()
        if name not in found:
            value = next((v for v in match.group(2, 3, 4) if v is not None), "")
            found[name] = unescape(value) if "&" in value else value
    return found
