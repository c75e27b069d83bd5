"""Publication dates from feeds and pages as timezone-aware UTC datetimes, or None."""

from __future__ import annotations

import calendar
import time
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

_LOOSE_FORMATS = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y/%m/%d %H:%M", "%Y/%m/%d", "%d.%m.%Y")


def from_struct_time(value: time.struct_time | None) -> datetime | None:
    """A feedparser `*_parsed` value (UTC struct_time) as an aware datetime."""
    if value is None:
        return None
    try:
        return datetime.fromtimestamp(calendar.timegm(value), UTC)
    except (TypeError, ValueError, OverflowError, OSError):
        return None


def parse_date(text: str | None) -> datetime | None:
    """ISO 8601 / RFC 3339, RFC 2822 or a few common numeric forms; None when unreadable.

    A date without a zone is taken as UTC: feeds rarely say, and UTC keeps ordering stable.
    """
    if not text:
        return None
    value = text.strip()
    if not value:
        return None
    parsed = _iso(value) or _rfc2822(value) or _loose(value)
    if parsed is None:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    try:
        return parsed.astimezone(UTC)
    except (ValueError, OverflowError):
        return None


def _iso(value: str) -> datetime | None:
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None


def _rfc2822(value: str) -> datetime | None:
    try:
        return parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None


def _loose(value: str) -> datetime | None:
    for fmt in _LOOSE_FORMATS:
        try:
            return datetime.strptime(value, fmt)
        except ValueError:
            continue
    return None
