"""Publication dates from feeds and pages as timezone-aware UTC datetimes, or None."""

from __future__ import annotations

import calendar
import re
import time
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

_LOOSE_FORMATS = (
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%Y/%m/%d %H:%M:%S",
    "%Y/%m/%d %H:%M",
    "%Y/%m/%d",
    "%d.%m.%Y",
)
# Month abbreviations of feeds that write RFC 822 dates in their own language
# ("Seg, 24 Set 2018 19:42:40 -0300"); English ones and those spelt alike are left out.
_MONTHS = {
    "fev": "Feb", "abr": "Apr", "mai": "May", "ago": "Aug", "set": "Sep", "out": "Oct",
    "dez": "Dec", "ene": "Jan", "dic": "Dec", "mär": "Mar", "mrz": "Mar", "okt": "Oct",
    "janv": "Jan", "févr": "Feb", "mars": "Mar", "avr": "Apr", "juin": "Jun", "juil": "Jul",
    "août": "Aug", "sept": "Sep", "déc": "Dec",
}  # fmt: skip
_WEEKDAY = re.compile(r"^\s*[^\W\d]+\.?,\s*")
_WORD = re.compile(r"[^\W\d]+\.?")


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
    parsed = _iso(value) or _rfc2822(value) or _loose(value) or _rfc2822(_anglicised(value))
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


def _anglicised(value: str) -> str:
    """An RFC 822 date in another language with English month names and no weekday."""
    without_day = _WEEKDAY.sub("", value)
    return _WORD.sub(lambda m: _MONTHS.get(m.group(0).rstrip(".").lower(), m.group(0)), without_day)


def _loose(value: str) -> datetime | None:
    for fmt in _LOOSE_FORMATS:
        try:
            return datetime.strptime(value, fmt)
        except ValueError:
            continue
    return None
