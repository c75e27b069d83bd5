"""Durations (`90s`, `10m`, `1h30m`, `2d`) and sizes (`512KB`, `5MB`) in config values."""

from __future__ import annotations

import math
import re

_DURATION_PART = re.compile(r"(\d+(?:\.\d+)?)\s*(ms|s|m|h|d|w)", re.IGNORECASE)
_DURATION_UNITS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([kmg]i?b|b)?\s*$", re.IGNORECASE)
MAX_DURATION_S = 100 * 366 * 86400
"""Longer durations are refused: past this, date arithmetic overflows."""
_SIZE_UNITS = {"b": 1, "kb": 1024, "mb": 1024**2, "gb": 1024**3}


def parse_duration(value: str | int | float) -> float:
    """Seconds in a duration such as `5s`, `10m`, `1h30m` or a bare number of seconds."""
    if isinstance(value, bool):
        raise ValueError("expected a duration such as 30s, 10m or 1h")
    if isinstance(value, int | float):
        seconds = float(value)
    else:
        text = value.strip().lower().replace(" ", "")
        if re.fullmatch(r"\d+(\.\d+)?", text):
            seconds = float(text)
        elif text and _DURATION_PART.sub("", text) == "":
            seconds = sum(
                float(number) * _DURATION_UNITS[unit.lower()]
                for number, unit in _DURATION_PART.findall(text)
            )
        else:
            raise ValueError(f"{value!r} is not a duration (use e.g. 30s, 10m, 1h, 1h30m, 2d)")
    if not math.isfinite(seconds) or seconds > MAX_DURATION_S:
        raise ValueError(f"{str(value)[:40]!r} is too long a duration (at most 100 years)")
    if seconds <= 0:
        raise ValueError(f"duration must be positive, got {value!r}")
    return seconds


def parse_size(value: str | int) -> int:
    """Bytes in a size such as `5MB`, `512KB`, `1GB` (1024-based) or a bare number of bytes."""
    if isinstance(value, bool):
        raise ValueError("expected a size such as 512KB or 5MB")
    if isinstance(value, int):
        size = value
    else:
        match = _SIZE.match(value)
        if match is None:
            raise ValueError(f"{value!r} is not a size (use e.g. 512KB, 5MB, 1GB)")
        unit = (match.group(2) or "b").lower().replace("ib", "b")
        amount = float(match.group(1)) * _SIZE_UNITS[unit]
        if not math.isfinite(amount):
            raise ValueError(f"{value[:40]!r} is too large a size")
        size = int(amount)
    if size <= 0:
        raise ValueError(f"size must be positive, got {value!r}")
    return size


def format_duration(seconds: float) -> str:
    """A short human form of a duration: `45s`, `15m`, `6h`, `1h30m`."""
    whole = round(seconds)
    if whole < 60:
        return f"{whole}s"
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    parts = [
        f"{hours}h" if hours else "",
        f"{minutes}m" if minutes else "",
        f"{secs}s" if secs else "",
    ]
    return "".join(parts)
