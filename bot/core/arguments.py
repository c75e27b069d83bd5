"""Numbers typed by users (command arguments, button data), checked before anything uses them."""

from __future__ import annotations

MAX_ID = 2**63 - 1
"""The largest row id either database stores (a signed 64-bit integer)."""


def parse_id(text: str) -> int | None:
    """A row id from `42` or `#42`: ASCII digits only, 1 to MAX_ID; None for anything else.

    `str.isdigit` accepts `²` and other digits `int()` refuses, and an unbounded number
    overflows the database's integer, so neither is used alone.
    """
    digits = text.strip().removeprefix("#")
    if not digits.isascii() or not digits.isdigit() or len(digits) > len(str(MAX_ID)):
        return None
    value = int(digits)
    return value if 1 <= value <= MAX_ID else None


def parse_count(text: str, *, low: int, high: int) -> int | None:
    """A whole number from `low` to `high` in ASCII digits, or None."""
    digits = text.strip()
    if not digits.isascii() or not digits.isdigit() or len(digits) > len(str(high)):
        return None
    value = int(digits)
    return value if low <= value <= high else None


def parse_days(text: str) -> int | None:
    """A period typed as `30d`: its number of days (ASCII digits, at most four), or None for
    anything else; whether the number is in range is the command's to say."""
    digits = text.strip().removesuffix("d")
    if digits == text.strip() or not digits.isascii() or not digits.isdigit() or len(digits) > 4:
        return None
    return int(digits)
