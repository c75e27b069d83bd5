"""What kind of document a fetched body is, from its content type and first bytes."""

from __future__ import annotations

import re

_HEAD = 1024
_BOM = b"\xef\xbb\xbf"
_SPACE = re.compile(rb"\s*")
_HTML_TAG = re.compile(rb"<(?:!doctype\s+html|html[\s>]|head[\s>]|body[\s>])", re.I)
_JSON_FEED_VERSION = b"jsonfeed.org/version/"


def media_type(content_type: str | None) -> str:
    """`text/html; charset=utf-8` -> `text/html`."""
    return (content_type or "").split(";", 1)[0].strip().lower()


def looks_like_json_feed(body: bytes, content_type: str | None) -> bool:
    """A JSON Feed by its content type, or JSON naming the JSON Feed version URL."""
    kind = media_type(content_type)
    if kind in ("application/feed+json", "application/json"):
        return True
    start = body[:_HEAD].lstrip(_BOM).lstrip()
    return start.startswith(b"{") and _JSON_FEED_VERSION in body[:65536]


def looks_like_html(body: bytes, content_type: str | None) -> bool:
    """An HTML page (rather than a feed) by its content type or its opening tags."""
    if media_type(content_type) in ("text/html", "application/xhtml+xml"):
        return True
    return opens_like_html(body[:_HEAD].lstrip(_BOM))


def opens_like_html(head: bytes) -> bool:
    """Whether `head` starts, after white space and comments, with an HTML document tag.

    A scan that visits each byte once: a backtracking pattern such as `(<!--.*?-->\\s*)*`
    doubles its time with every extra comment, and a body of `<!---->` repeated forty times
    held the GIL (and so the whole daemon) for about a day.
    """
    pos = 0
    while True:
        match = _SPACE.match(head, pos)
        pos = match.end() if match else pos
        if not head.startswith(b"<!--", pos):
            return _HTML_TAG.match(head, pos) is not None
        end = head.find(b"-->", pos + 4)
        if end < 0:
            return False
        pos = end + 3
