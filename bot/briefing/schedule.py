"""When scheduled briefings are due: `/briefing` arguments, and each schedule's latest slot."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from bot.briefing.model import Period
from bot.core.ratelimit import zone

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DEFAULT_DAY = 0  # Monday: the week that ended, read at the start of the next
DEFAULT_MINUTE = 9 * 60
MODES = ("off", "daily", "weekly")


@dataclass(frozen=True, slots=True)
class BriefingPlan:
    """A chat's briefing schedule: mode, weekday (weekly only), minutes after local midnight."""

    mode: str
    day: int | None = None
    minute: int | None = None


def _minute(text: str) -> int | None:
    hh, sep, mm = text.partition(":")
    if not sep or not hh.isdigit() or not mm.isdigit() or len(mm) != 2:
        return None
    if int(hh) > 23 or int(mm) > 59:
        return None
    return int(hh) * 60 + int(mm)


def _day(text: str) -> int | None:
    word = text.lower()[:3]
    return DAYS.index(word) if len(text) >= 3 and word in DAYS else None


def parse_briefing(args: Sequence[str]) -> BriefingPlan:
    """`weekly [day] [HH:MM]`, `daily [HH:MM]` or `off`; ValueError saying what is wrong."""
    if not args:
        raise ValueError("say weekly, daily or off")
    mode, rest = args[0].lower(), list(args[1:])
    if mode not in MODES:
        raise ValueError(f"{args[0]!r} is not weekly, daily or off")
    if mode == "off":
        if rest:
            raise ValueError("off takes nothing after it")
        return BriefingPlan("off")
    day = DEFAULT_DAY if mode == "weekly" else None
    minute = DEFAULT_MINUTE
    if mode == "weekly" and rest and _minute(rest[0]) is None:
        found = _day(rest.pop(0))
        if found is None:
            raise ValueError(f"day must be one of {', '.join(DAYS)}")
        day = found
    if rest:
        found = _minute(rest.pop(0))
        if found is None:
            raise ValueError("time must be HH:MM, e.g. 09:00")
        minute = found
    if rest:
        raise ValueError(f"unexpected {rest[0]!r}")
    return BriefingPlan(mode, day, minute)


def describe(plan: BriefingPlan, tz_name: str) -> str:
    """The schedule in words: "weekly on Monday at 09:00 (Europe/Berlin)"."""
    if plan.mode == "off":
        return "off"
    minute = plan.minute if plan.minute is not None else DEFAULT_MINUTE
    at = f"{minute // 60:02d}:{minute % 60:02d} ({tz_name})"
    if plan.mode == "daily":
        return f"daily at {at}"
    day = plan.day if plan.day is not None else DEFAULT_DAY
    names = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
    return f"weekly on {names[day]} at {at}"


def latest_slot(plan: BriefingPlan, tz_name: str, now: datetime) -> datetime | None:
    """The most recent moment at or before `now` the briefing was due (UTC); None when off.

    Computed on the local wall clock, so 09:00 stays 09:00 across daylight-saving changes.
    """
    if plan.mode == "off":
        return None
    tz = zone(tz_name)
    local = now.astimezone(tz)
    minute = plan.minute if plan.minute is not None else DEFAULT_MINUTE
    slot = local.replace(hour=minute // 60, minute=minute % 60, second=0, microsecond=0)
    if plan.mode == "daily":
        if slot > local:
            slot -= timedelta(days=1)
    else:
        day = plan.day if plan.day is not None else DEFAULT_DAY
        slot -= timedelta(days=(slot.weekday() - day) % 7)
        if slot > local:
            slot -= timedelta(days=7)
    # Aware arithmetic with a ZoneInfo keeps the wall time; the offset follows the date.
    return slot.astimezone(UTC)


def period_before(plan: BriefingPlan, slot: datetime) -> Period:
    """The period a briefing sent at `slot` covers: the day or week up to it."""
    days = 7 if plan.mode == "weekly" else 1
    return Period(slot - timedelta(days=days), slot)
