"""Retry-After header values (delta-seconds or HTTP-date) as seconds to wait."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

_SECONDS = re.compile(r"\d{1,12}")


def parse_retry_after(value: str | None, now: datetime) -> float | None:
    """Seconds to wait from `now`, or None when the header is missing or unreadable.

    A date in the past means "now" (0 s). The value is not capped here: the schedule
    decides how long a wait it is willing to honour.
    """
    if value is None:
        return None
    text = value.strip()
    if not text:
        return None
    if _SECONDS.fullmatch(text):
        return float(int(text))
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if when.tzinfo is None:  # RFC 9110 dates are GMT; a zone-less one is read the same way
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - now).total_seconds())
