"""The briefing's numbers (per day, top names, change) and when scheduled briefings are due."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from bot.briefing.build import build_briefing, change_text, parse_period, period_ending
from bot.briefing.model import Period
from bot.briefing.schedule import BriefingPlan, latest_slot, parse_briefing, period_before
from tests.briefing.conftest import END, row

CN, MM = ("China", "country"), ("Myanmar", "country")
UNODC = ("UNODC", "organisation")
PERIOD = period_ending(END, 7)


def test_per_day_counts_every_local_day_including_empty_ones() -> None:
    """Every date the period touches gets a bar (0 when empty), cut in the chat's time zone."""
    rows = [row(1, "a", hours_ago=1), row(2, "b", hours_ago=2), row(3, "c", hours_ago=100)]
    utc = build_briefing(rows, PERIOD, topics=["t"], previous_total=0)
    assert [n for _d, n in utc.per_day] == [0, 0, 0, 1, 0, 0, 0, 2]  # 16th..23rd
    assert utc.per_day[-1][0] == date(2026, 11, 23)
    # 08:00 and 07:00 UTC on the 23rd are already 16:00/15:00 in Shanghai; 100 h back is the
    # 19th 05:00 UTC = 13:00 local.
    shanghai = build_briefing(
        rows, PERIOD, topics=["t"], previous_total=0, timezone="Asia/Shanghai"
    )
    assert dict(shanghai.per_day)[date(2026, 11, 23)] == 2
    assert dict(shanghai.per_day)[date(2026, 11, 19)] == 1
    assert sum(n for _d, n in shanghai.per_day) == 3


def test_rows_outside_the_period_are_not_counted() -> None:
    """Only matches made inside [start, end) count."""
    rows = [
        row(1, "in", hours_ago=1),
        row(2, "too old", hours_ago=24 * 7 + 1),
        row(3, "late", hours_ago=-1),
    ]
    briefing = build_briefing(rows, PERIOD, topics=["t"], previous_total=0)
    assert briefing.total == 1


def test_top_countries_organisations_and_sources_count_items_once() -> None:
    """An item naming China twice counts once; ties are broken by name."""
    rows = [
        row(1, "a", entities=[CN, CN, MM, UNODC], source="Xinhua"),
        row(2, "b", entities=[CN], source="TASS"),
        row(3, "c", entities=[MM, ("Wa", "person")], source="Xinhua"),
    ]
    briefing = build_briefing(rows, PERIOD, topics=["t"], previous_total=4)
    assert [(c.name, c.count) for c in briefing.countries] == [("China", 2), ("Myanmar", 2)]
    assert [(c.name, c.count) for c in briefing.organisations] == [("UNODC", 1)]
    assert [(c.name, c.count) for c in briefing.sources] == [("Xinhua", 2), ("TASS", 1)]
    assert briefing.change == pytest.approx(-0.25)
    assert change_text(briefing) == "-25% on the previous 7 days (4)"


def test_change_against_an_empty_previous_period_is_said_in_words() -> None:
    """No division by zero: 'none in the previous 7 days'."""
    briefing = build_briefing([row(1, "a")], PERIOD, topics=["t"], previous_total=0)
    assert briefing.change is None
    assert change_text(briefing) == "none in the previous 7 days"


@pytest.mark.parametrize(("text", "days"), [(None, 7), ("7d", 7), ("30D", 30), (" 90d", 90)])
def test_stats_periods(text: str | None, days: int) -> None:
    """`/stats` takes 7d, 30d or 90d, 7d by default."""
    assert parse_period(text) == days


@pytest.mark.parametrize("text", ["7", "1y", "365d", "week"])
def test_other_stats_periods_are_refused_with_the_choices(text: str) -> None:
    """A wrong period names the ones there are."""
    with pytest.raises(ValueError, match="7d, 30d, 90d"):
        parse_period(text)


@pytest.mark.parametrize(
    ("args", "plan"),
    [
        (["weekly"], BriefingPlan("weekly", 0, 540)),
        (["weekly", "fri"], BriefingPlan("weekly", 4, 540)),
        (["Weekly", "Sunday", "18:30"], BriefingPlan("weekly", 6, 1110)),
        (["weekly", "07:05"], BriefingPlan("weekly", 0, 425)),
        (["daily"], BriefingPlan("daily", None, 540)),
        (["daily", "06:00"], BriefingPlan("daily", None, 360)),
        (["off"], BriefingPlan("off")),
    ],
)
def test_briefing_arguments(args: list[str], plan: BriefingPlan) -> None:
    """weekly [day] [HH:MM] | daily [HH:MM] | off; Monday 09:00 by default."""
    assert parse_briefing(args) == plan


@pytest.mark.parametrize(
    ("args", "problem"),
    [
        ([], "weekly, daily or off"),
        (["hourly"], "not weekly, daily or off"),
        (["weekly", "someday"], "day must be"),
        (["daily", "25:00"], "HH:MM"),
        (["daily", "mon"], "HH:MM"),
        (["weekly", "mon", "09:00", "extra"], "unexpected"),
        (["off", "now"], "nothing after"),
    ],
)
def test_bad_briefing_arguments_say_what_is_wrong(args: list[str], problem: str) -> None:
    """Each mistake gets its own message."""
    with pytest.raises(ValueError, match=problem):
        parse_briefing(args)


def test_weekly_slot_is_the_last_such_weekday_and_time() -> None:
    """Weekly Monday 09:00 UTC, asked on Wednesday: the Monday just gone."""
    plan = BriefingPlan("weekly", 0, 540)
    wednesday = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
    assert latest_slot(plan, "UTC", wednesday) == datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
    monday_early = datetime(2026, 11, 23, 8, 59, tzinfo=UTC)
    assert latest_slot(plan, "UTC", monday_early) == datetime(2026, 11, 16, 9, 0, tzinfo=UTC)
    slot = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
    assert period_before(plan, slot) == Period(slot - timedelta(days=7), slot)


def test_daily_slot_keeps_local_time_across_daylight_saving() -> None:
    """Daily 09:00 in Berlin is 08:00 UTC in summer and 09:00 UTC after the October change."""
    plan = BriefingPlan("daily", None, 540)
    summer = latest_slot(plan, "Europe/Berlin", datetime(2026, 10, 24, 12, 0, tzinfo=UTC))
    winter = latest_slot(plan, "Europe/Berlin", datetime(2026, 10, 26, 12, 0, tzinfo=UTC))
    assert summer == datetime(2026, 10, 24, 7, 0, tzinfo=UTC)
    assert winter == datetime(2026, 10, 26, 8, 0, tzinfo=UTC)
    assert latest_slot(BriefingPlan("off"), "UTC", winter) is None
