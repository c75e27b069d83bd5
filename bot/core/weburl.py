"""Whether a text is a fetchable web address: http(s), a host, a port in range, well-formed."""

from __future__ import annotations

from urllib.parse import urlsplit

MAX_URL_LENGTH = 4096
"""Longer addresses are refused where they enter (commands, files) and cut from feed links."""


def web_url_problem(value: str) -> str | None:
    """Why `value` is no usable http(s) address, or None when it is one."""
    if len(value) > MAX_URL_LENGTH:
        return f"a URL longer than {MAX_URL_LENGTH} characters"
    if any(ord(char) < 0x20 or ord(char) == 0x7F for char in value):
        return f"{value[:80]!r} contains control characters"
    try:
        parts = urlsplit(value)
        port = parts.port  # raises ValueError outside 0-65535 or when not a number
    except ValueError as exc:
        return f"{value[:80]!r} is not a valid URL ({exc})"
    if parts.scheme.lower() not in ("http", "https"):
        return f"{value[:80]!r} is not an http(s) URL"
    if not parts.hostname:
        return f"{value[:80]!r} has no host"
    if port == 0:
        return f"{value[:80]!r} has port 0"
    return None
