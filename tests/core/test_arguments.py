"""Periods typed by users (`/search ... 30d`, `/borderline 7d`), read the same everywhere."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.core.arguments import parse_days


@given(st.integers(min_value=0, max_value=9999))
def test_every_number_of_days_up_to_four_digits_is_read(days: int) -> None:
    assert parse_days(f"{days}d") == days
    assert parse_days(f" {days:04d}d ") == days


@pytest.mark.parametrize(
    "text", ["", "d", "7", "7 d", "d7", "12345d", "²d", "٣d", "1e3d", "-1d", "7dd", "7D", "+7d"]
)
def test_anything_else_is_no_period(text: str) -> None:
    assert parse_days(text) is None
