"""What kind of document a fetched body is, from its content type and first bytes."""

from __future__ import annotations

import re

_HEAD = 1024
_BOM = b"\xef\xbb\xbf"
_HTML_START = re.compile(
    rb"\s*(<!--.*?-->\s*)*<(!doctype\s+html|html[\s>]|head[\s>]|body[\s>])", re.I | re.S
)
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
    return _HTML_START.match(body[:_HEAD].lstrip(_BOM)) is not None
