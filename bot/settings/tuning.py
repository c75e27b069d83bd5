"""Timer knobs for tests and tuning: `NARCOWATCH_TUNE_*` environment variables, not config keys.

The daemon's timers (how often it retries reaching Telegram, how long a poll lease lasts, how
often a follower checks for a dead leader, which Retry-After is waited out in memory, how long
a failed alert waits before its first retry) have
defaults that suit production. A test that waits for one of them would otherwise spend most of
its time asleep: the fault and scale tests shorten them through these variables, which the
composition root reads once. Operators have no reason to set them; they are documented in
docs/config.md ("Timer knobs for tests").
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from bot.core.ratelimit import RETRY_FIRST_S
from bot.errors import ConfigError, Problem

TELEGRAM_START_RETRY_S = 15.0
"""Seconds between attempts to reach Telegram while it is unreachable at start."""
POLL_LEASE_MARGIN_S = 10.0
"""Added to a poll's work for its lease (bot.jobs.poll_lease_seconds): its two short
transactions."""
LEADERSHIP_CHECK_S = 10.0
"""How often a daemon checks whether it should receive updates (SPEC: takeover within 60 s)."""
SHORT_RETRY_AFTER_S = 10.0
"""A Telegram RetryAfter up to this long keeps the chat's rows in memory; a longer one hands
them back to the outbox."""
DELIVERY_FIRST_RETRY_S = RETRY_FIRST_S
"""The wait after an alert's first transient failure (5xx, network); it doubles after each."""
FEEDBACK_NUDGE_S = 3600.0
"""How often the daemon checks whether a topic's text model has verdicts enough to learn
(bot.jobs.FeedbackNudgeJob); the first check comes after this or 2 minutes, the shorter."""
DISCOVERY_BUDGET_S = 20.0
"""Seconds feed discovery may spend on candidates after the page itself: a page linking
hanging feeds stops here (/addsource, `sources test`, `sources add`)."""

_KNOBS = {
    "NARCOWATCH_TUNE_TELEGRAM_START_RETRY_S": "telegram_start_retry_s",
    "NARCOWATCH_TUNE_POLL_LEASE_MARGIN_S": "poll_lease_margin_s",
    "NARCOWATCH_TUNE_LEADERSHIP_CHECK_S": "leadership_check_s",
    "NARCOWATCH_TUNE_SHORT_RETRY_AFTER_S": "short_retry_after_s",
    "NARCOWATCH_TUNE_DELIVERY_FIRST_RETRY_S": "delivery_first_retry_s",
    "NARCOWATCH_TUNE_DISCOVERY_BUDGET_S": "discovery_budget_s",
    "NARCOWATCH_TUNE_FEEDBACK_NUDGE_S": "feedback_nudge_s",
}


@dataclass(frozen=True, slots=True)
class Tuning:
    """The daemon's timers, in seconds; the defaults are the production values."""

    telegram_start_retry_s: float = TELEGRAM_START_RETRY_S
    poll_lease_margin_s: float = POLL_LEASE_MARGIN_S
    leadership_check_s: float = LEADERSHIP_CHECK_S
    short_retry_after_s: float = SHORT_RETRY_AFTER_S
    delivery_first_retry_s: float = DELIVERY_FIRST_RETRY_S
    discovery_budget_s: float = DISCOVERY_BUDGET_S
    feedback_nudge_s: float = FEEDBACK_NUDGE_S


def tuning_from_env(env: Mapping[str, str]) -> Tuning:
    """The timers, with any `NARCOWATCH_TUNE_*` variable set in `env` put in.

    Raises ConfigError naming the variable when a value is not a positive number of seconds.
    """
    values: dict[str, float] = {}
    problems: list[Problem] = []
    for name, field in _KNOBS.items():
        raw = env.get(name)
        if raw is None or raw.strip() == "":
            continue
        try:
            seconds = float(raw)
        except ValueError:
            seconds = -1.0
        if not seconds > 0 or seconds == float("inf"):
            message = f"expected a positive number of seconds, got {raw!r}"
            problems.append(Problem(name, None, message))
            continue
        values[field] = seconds
    if problems:
        raise ConfigError(problems)
    return Tuning(**values)
