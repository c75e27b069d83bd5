"""Numeric character references no decoder can turn into text, replaced before parsing.

`&#xD800;` (a UTF-16 surrogate), `&#0;` or `&#x110000;` name no character: feedparser's
fallback parser turns them into a str it then fails to encode, and the whole feed is lost.
Each becomes U+FFFD, as an HTML parser would do. The body is still bytes, so this sees the
references of ASCII-compatible encodings; the parser's own failure covers the others.
"""

from __future__ import annotations

import re

_NUMERIC_REF = re.compile(rb"&#([xX][0-9a-fA-F]{1,16}|[0-9]{1,20});")
_REPLACEMENT = b"&#xFFFD;"


def _valid(code: int) -> bool:
    return 0 < code <= 0x10FFFF and not 0xD800 <= code <= 0xDFFF


def _replace(match: re.Match[bytes]) -> bytes:
    digits = match.group(1)
    code = int(digits[1:], 16) if digits[:1] in (b"x", b"X") else int(digits)
    return match.group(0) if _valid(code) else _REPLACEMENT


def without_bad_charrefs(body: bytes) -> bytes:
    """The body with every reference to a surrogate, NUL or beyond U+10FFFF made U+FFFD."""
    if b"&#" not in body:
        return body
    return _NUMERIC_REF.sub(_replace, body)
