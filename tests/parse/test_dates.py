"""Tests for date parsing to aware UTC datetimes."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import pytest

from bot.parse.dates import from_struct_time, parse_date


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024-05-01T12:00:00Z", datetime(2024, 5, 1, 12, 0, tzinfo=UTC)),
        ("2024-05-01T14:00:00+02:00", datetime(2024, 5, 1, 12, 0, tzinfo=UTC)),
        ("2024-05-01", datetime(2024, 5, 1, tzinfo=UTC)),
        ("Wed, 01 May 2024 12:00:00 GMT", datetime(2024, 5, 1, 12, 0, tzinfo=UTC)),
        ("Wed, 01 May 2024 08:00:00 -0400", datetime(2024, 5, 1, 12, 0, tzinfo=UTC)),
        ("2024/05/01 12:00", datetime(2024, 5, 1, 12, 0, tzinfo=UTC)),
        ("01.05.2024", datetime(2024, 5, 1, tzinfo=UTC)),
        ("2020/1/10 14:33:00", datetime(2020, 1, 10, 14, 33, tzinfo=UTC)),
        ("Sat, 31 Dec 2005 06:15:55+0900", datetime(2005, 12, 30, 21, 15, 55, tzinfo=UTC)),
        ("Seg, 24 Set 2018 19:42:40 -0300", datetime(2018, 9, 24, 22, 42, 40, tzinfo=UTC)),
        ("Mo, 12 Okt 2020 10:00:00 +0200", datetime(2020, 10, 12, 8, 0, tzinfo=UTC)),
        ("12 déc. 2019 10:00:00 GMT", datetime(2019, 12, 12, 10, 0, tzinfo=UTC)),
        ("  ", None),
        (None, None),
        ("yesterday", None),
        ("2024-02-31", None),
        ("Wed, 99 Foo 2024 99:99:99 GMT", None),
    ],
)
def test_parse_date(text: str | None, expected: datetime | None) -> None:
    """Common date forms parse to UTC; anything unreadable is None, never an exception."""
    assert parse_date(text) == expected


def test_from_struct_time() -> None:
    """feedparser's UTC struct_time becomes an aware UTC datetime."""
    assert from_struct_time(time.gmtime(0)) == datetime(1970, 1, 1, tzinfo=UTC)
    assert from_struct_time(None) is None
