"""Timer knobs: NARCOWATCH_TUNE_* variables shorten the daemon's timers for tests."""

from __future__ import annotations

import pytest

from bot.errors import ConfigError
from bot.settings.tuning import Tuning, tuning_from_env
from tests.support.cli import tuned


def test_without_knobs_the_production_timers_apply() -> None:
    """No variable set (or set empty): the defaults, which are the production values."""
    assert tuning_from_env({}) == Tuning()
    assert tuning_from_env({"NARCOWATCH_TUNE_LEADERSHIP_CHECK_S": ""}) == Tuning()
    assert Tuning().telegram_start_retry_s == 15
    assert Tuning().short_retry_after_s == 10


def test_each_knob_sets_its_timer() -> None:
    """Each variable sets its own timer, in seconds, fractions allowed."""
    tuning = tuning_from_env(
        {
            "NARCOWATCH_TUNE_TELEGRAM_START_RETRY_S": "0.5",
            "NARCOWATCH_TUNE_POLL_LEASE_MARGIN_S": "1",
            "NARCOWATCH_TUNE_LEADERSHIP_CHECK_S": "2",
            "NARCOWATCH_TUNE_SHORT_RETRY_AFTER_S": "3",
            "NARCOWATCH_TUNE_DELIVERY_FIRST_RETRY_S": "4",
        }
    )
    assert tuning == Tuning(
        telegram_start_retry_s=0.5,
        poll_lease_margin_s=1,
        leadership_check_s=2,
        short_retry_after_s=3,
        delivery_first_retry_s=4,
    )


@pytest.mark.parametrize("value", ["0", "-1", "soon", "nan", "inf"])
def test_a_bad_value_is_an_error_naming_the_variable(value: str) -> None:
    """A value that is not a positive number of seconds is refused, naming the variable."""
    with pytest.raises(ConfigError) as caught:
        tuning_from_env({"NARCOWATCH_TUNE_TELEGRAM_START_RETRY_S": value})
    (problem,) = caught.value.problems
    assert str(problem).startswith("NARCOWATCH_TUNE_TELEGRAM_START_RETRY_S")
    assert "positive number of seconds" in str(problem)


def test_the_tests_helper_names_the_same_variables() -> None:
    """tests.support.cli.tuned() spells each field as the variable the daemon reads."""
    seconds = {"telegram_start_retry_s": 1.0, "poll_lease_margin_s": 2.0}
    seconds |= {"leadership_check_s": 3.0, "short_retry_after_s": 4.0}
    seconds |= {"delivery_first_retry_s": 5.0}
    assert tuning_from_env(tuned(**seconds)) == Tuning(**seconds)
