"""HTTP status codes to the fetch error the poller acts on (retry, back off, disable)."""

from __future__ import annotations

from datetime import datetime
from http import HTTPStatus

from bot.core.retry_after import parse_retry_after
from bot.errors import (
    FetchError,
    GoneFetchError,
    PermanentFetchError,
    RateLimitedFetchError,
    TransientFetchError,
)

REDIRECTS = frozenset({301, 302, 303, 307, 308})
PERMANENT_REDIRECTS = frozenset({301, 308})
_TRANSIENT_4XX = frozenset({408, 425})  # request timeout, too early: try again later


def error_for_status(
    status: int, host: str, *, retry_after: str | None, now: datetime
) -> FetchError | None:
    """The error for a final (non-redirect, non-304) status, or None for 2xx."""
    if 200 <= status < 300:
        return None
    message = f"HTTP {status}{_phrase(status)} from {host}"
    if status == 410:
        return GoneFetchError(f"{message}: the feed was removed", status=status)
    if status in (429, 503):
        wait = parse_retry_after(retry_after, now)
        suffix = f", retry after {wait:.0f} s" if wait is not None else ""
        return RateLimitedFetchError(message + suffix, status=status, retry_after=wait)
    if status >= 500 or status in _TRANSIENT_4XX:
        return TransientFetchError(message, status=status)
    return PermanentFetchError(message, status=status)


def _phrase(status: int) -> str:
    try:
        return f" {HTTPStatus(status).phrase}"
    except ValueError:
        return ""
