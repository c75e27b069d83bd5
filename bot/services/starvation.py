"""Whether sources are starved, and the /healthz status that follows: healthy, degraded, unhealthy.

The scheduler ticking and the database answering are not enough (issue 17: with every in-flight
slot held by polls waiting on slow article pages, no source finished a poll for minutes while
/healthz said "healthy"). Sources are starved when polls in flight have held the cap for a while
with none finishing, or when due sources have waited unclaimed for several of their intervals.
Starved is "degraded": the daemon still works and restarting it would not help, so /healthz
keeps answering 200 and says why.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

AT_CAP_FOR_S = 60.0
"""Polls in flight held at the cap this long, none finishing, is starvation."""
STARVED_INTERVALS = 3.0
"""A due source left unclaimed for this many of its intervals is starved..."""
STARVED_MIN_S = 60.0
"""...and for at least this long (a first cycle of many sources takes up to a minute)."""
SHOWN = 10
"""Due, unclaimed sources listed in /healthz (all are counted)."""


@dataclass(frozen=True, slots=True)
class PollLoad:
    """The poll job's in-flight polls, its cap, and since when they have filled it."""

    in_flight: int
    cap: int
    at_cap_since: datetime | None = None


def starved_sources(due_unclaimed: Sequence[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """The due, unclaimed sources (`name`, `late_s`, `interval_s`) late by several intervals."""
    return [
        source
        for source in due_unclaimed
        if source["late_s"] >= max(STARVED_INTERVALS * source["interval_s"], STARVED_MIN_S)
    ]


def degraded_reasons(
    load: PollLoad, due_unclaimed: Sequence[Mapping[str, Any]], *, now: datetime
) -> list[str]:
    """Why sources are starved; empty when they are not."""
    reasons = []
    if load.at_cap_since is not None:
        held = (now - load.at_cap_since).total_seconds()
        if held >= AT_CAP_FOR_S:
            reasons.append(
                f"all {load.cap} poll slots held for {held:.0f} s with no poll finishing"
            )
    starved = starved_sources(due_unclaimed)
    if starved:
        worst = max(starved, key=lambda source: source["late_s"])
        reasons.append(
            f"{len(starved)} due source(s) not claimed for over {STARVED_INTERVALS:g} intervals "
            f"({worst['name']}: {worst['late_s']:.0f} s late)"
        )
    return reasons


def with_status(report: Mapping[str, Any], load: PollLoad, *, now: datetime) -> dict[str, Any]:
    """The storage's health report with the polls' load, `status` (healthy, degraded or
    unhealthy) and, when degraded, the reasons. `healthy` stays as it was: degraded is 200."""
    judged = dict(report)
    held = (now - load.at_cap_since).total_seconds() if load.at_cap_since is not None else 0.0
    judged["polls"] = {"in_flight": load.in_flight, "cap": load.cap, "at_cap_for_s": held}
    due = list(report.get("due_unclaimed", ()))
    reasons = degraded_reasons(load, due, now=now)
    judged["due_unclaimed"] = due[:SHOWN]
    judged["due_unclaimed_count"] = len(due)
    if not report.get("healthy"):
        judged["status"] = "unhealthy"
    elif reasons:
        judged["status"] = "degraded"
    else:
        judged["status"] = "healthy"
    judged["degraded"] = reasons
    return judged
