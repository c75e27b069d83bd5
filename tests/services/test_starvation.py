"""/healthz says "degraded" when sources are starved, not "healthy" (issue 17)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from bot.services.starvation import PollLoad, with_status

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
HEALTHY: dict[str, Any] = {"healthy": True, "database": "ok", "due_unclaimed": []}


def late(name: str, late_s: float, interval_s: float) -> dict[str, Any]:
    return {"name": name, "late_s": late_s, "interval_s": interval_s}


def test_polls_held_at_the_cap_for_a_minute_are_degraded() -> None:
    """Every in-flight slot held for 60 s with no poll finishing is degraded (still 200:
    `healthy` stays true), with the reason; for less, healthy."""
    held = PollLoad(40, 40, NOW - timedelta(seconds=75))
    report = with_status(HEALTHY, held, now=NOW)
    assert (report["status"], report["healthy"]) == ("degraded", True)
    assert report["degraded"] == ["all 40 poll slots held for 75 s with no poll finishing"]
    assert report["polls"] == {"in_flight": 40, "cap": 40, "at_cap_for_s": 75.0}
    briefly = with_status(HEALTHY, PollLoad(40, 40, NOW - timedelta(seconds=20)), now=NOW)
    assert (briefly["status"], briefly["degraded"]) == ("healthy", [])


def test_due_sources_left_unclaimed_for_several_intervals_are_degraded() -> None:
    """A due source waiting unclaimed over three of its intervals (and over a minute) is
    starved; one late by less, or by two intervals of an hour, is not."""
    report = dict(
        HEALTHY,
        due_unclaimed=[
            late("hourly", 7200, 3600),
            late("fast", 90, 5),
            late("fast too", 70, 10),
            late("just due", 61, 30),
        ],
    )
    judged = with_status(report, PollLoad(3, 40), now=NOW)
    assert judged["status"] == "degraded"
    assert judged["degraded"] == [
        "2 due source(s) not claimed for over 3 intervals (fast: 90 s late)"
    ]
    assert judged["due_unclaimed_count"] == 4


def test_a_daemon_keeping_up_is_healthy_and_a_broken_one_unhealthy() -> None:
    """No starvation: healthy. An unhealthy report (database down, scheduler stalled) stays
    unhealthy whatever the polls do."""
    assert with_status(HEALTHY, PollLoad(3, 40), now=NOW)["status"] == "healthy"
    broken = {"healthy": False, "database": "error: OperationalError"}
    held = PollLoad(40, 40, NOW - timedelta(seconds=600))
    judged = with_status(broken, held, now=NOW)
    assert (judged["status"], judged["healthy"]) == ("unhealthy", False)
    assert judged["degraded"]  # the reasons are still given


def test_only_the_ten_latest_due_sources_are_listed_but_all_are_counted() -> None:
    """/healthz stays small with thousands of sources behind: ten listed, all counted."""
    report = dict(HEALTHY, due_unclaimed=[late(f"s{n}", 500 - n, 900) for n in range(300)])
    judged = with_status(report, PollLoad(0, 40), now=NOW)
    assert len(judged["due_unclaimed"]) == 10
    assert judged["due_unclaimed_count"] == 300
    assert judged["status"] == "healthy"
