"""The pure source-health rules: thresholds, posting rhythm, transitions, wording."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

from bot.services.source_health import (
    HealthThresholds,
    PostingHistory,
    dump_histories,
    load_histories,
    observe,
    problem,
    render_transitions,
    silence_limit,
    status_line,
    transitions,
    typical_gap,
)

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
DAY = 86400.0
RULES = HealthThresholds(operator_reasons=frozenset({"removed by admin"}))


@dataclass(frozen=True)
class Row:
    id: int = 1
    name: str = "Wire"
    enabled: bool = True
    paused: bool = False
    disabled_reason: str | None = None
    consecutive_failures: int = 0
    last_error: str | None = None
    last_success_at: datetime | None = NOW
    last_new_item_at: datetime | None = NOW
    health_reported: bool = False


def history(since: datetime = NOW - timedelta(days=60), *gaps: float) -> PostingHistory:
    return PostingHistory(since=since, last_new_item_at=None, gaps=tuple(gaps))


def test_five_failures_in_a_row_are_unhealthy_four_are_not() -> None:
    """A source is unhealthy from the fifth consecutive failure, with its last error."""
    four = Row(consecutive_failures=4, last_error="HTTP 500")
    assert problem(four, history(), RULES) is None
    reason = problem(replace(four, consecutive_failures=5), history(), RULES)
    assert reason == "5 failed polls in a row: HTTP 500"


def test_silence_floor_is_seven_days_without_a_known_rhythm() -> None:
    """With too few gaps known, only a week without new items counts as silent."""
    row = Row(last_new_item_at=NOW - timedelta(days=6.9))
    assert problem(row, history(), RULES) is None
    silent = replace(row, last_new_item_at=NOW - timedelta(days=7.5))
    assert problem(silent, history(), RULES) == "no new item for 8d"


def test_a_slow_source_gets_ten_times_its_usual_gap() -> None:
    """A source that posts every 2 days is silent only after 20 days, and the reason says so."""
    rhythm = history(NOW - timedelta(days=90), 2 * DAY, 2 * DAY, 2.2 * DAY, 1.8 * DAY)
    assert typical_gap(rhythm) == 2 * DAY
    assert silence_limit(rhythm, RULES) == 20 * DAY
    assert problem(Row(last_new_item_at=NOW - timedelta(days=15)), rhythm, RULES) is None
    reason = problem(Row(last_new_item_at=NOW - timedelta(days=21)), rhythm, RULES)
    assert reason == "no new item for 21d, usually every 2d"


def test_silence_counts_to_the_last_successful_poll_not_to_now() -> None:
    """A daemon back after a long stop does not call sources silent before polling them again."""
    row = Row(last_new_item_at=NOW - timedelta(days=30), last_success_at=NOW - timedelta(days=29))
    assert problem(row, history(), RULES) is None


def test_a_source_that_never_had_an_item_is_silent_a_week_after_watching_began() -> None:
    """Without any new item, silence counts from when health watching began."""
    row = Row(last_new_item_at=None)
    assert problem(row, history(since=NOW - timedelta(days=3)), RULES) is None
    assert problem(row, history(since=NOW - timedelta(days=8)), RULES) == "no new item for 8d"


def test_gone_sources_are_unhealthy_but_operator_choices_are_not() -> None:
    """A source disabled by a 410 is reported; one paused or removed by an admin is not."""
    gone = Row(enabled=False, disabled_reason="HTTP 410 Gone")
    assert problem(gone, history(), RULES) == "disabled: HTTP 410 Gone"
    assert problem(replace(gone, disabled_reason="removed by admin"), history(), RULES) is None
    paused = Row(paused=True, consecutive_failures=9)
    assert problem(paused, history(), RULES) is None


def test_observe_learns_gaps_between_new_items() -> None:
    """Each later `last_new_item_at` adds a gap; the same value adds nothing."""
    first = observe(None, NOW, NOW)
    assert first == PostingHistory(since=NOW, last_new_item_at=NOW)
    same = observe(first, NOW, NOW + timedelta(hours=1))
    assert same is first
    later = observe(first, NOW + timedelta(hours=6), NOW + timedelta(hours=6))
    assert later.gaps == (6 * 3600.0,)
    assert later.since == NOW


def test_transitions_report_each_change_once_by_the_flag() -> None:
    """Unhealthy and unreported -> unhealthy; fine and reported -> recovered; paused -> cleared."""
    histories = {i: history() for i in range(1, 6)}
    rows = [
        Row(id=1, consecutive_failures=5, last_error="timeout"),
        Row(id=2, consecutive_failures=5, last_error="timeout", health_reported=True),
        Row(id=3, health_reported=True),
        Row(id=4, paused=True, health_reported=True),
        Row(id=5),
    ]
    found = transitions(rows, histories, RULES)
    assert [(t.source_id, t.kind) for t in found] == [
        (1, "unhealthy"),
        (3, "recovered"),
        (4, "cleared"),
    ]


def test_rendered_reports_escape_names_and_fit_telegram_messages() -> None:
    """Feed-derived names are escaped; many transitions split into messages under 4096."""
    rows = [
        Row(id=i, name=f"<Wire & Co> {i}", consecutive_failures=5, last_error="x" * 200)
        for i in range(60)
    ]
    found = transitions(rows, {i: history() for i in range(60)}, RULES)
    messages = render_transitions(found)
    assert len(messages) > 1
    assert all(len(m) <= 4000 for m in messages)
    assert "&lt;Wire &amp; Co&gt; 0" in messages[0]
    assert sum(m.count("Source unhealthy") for m in messages) == 60
    recovered = render_transitions(
        transitions([Row(id=7, health_reported=True)], {7: history()}, RULES)
    )
    assert recovered == ["✅ <b>Source recovered</b>: 7. Wire"]


def test_status_line_names_failing_sources() -> None:
    """/status counts watched and failing sources and names the failing ones."""
    rows = [Row(id=1), Row(id=2, name="Reuters", consecutive_failures=2), Row(id=3, paused=True)]
    assert status_line(rows) == "Sources: 2 watched, 1 failing (Reuters)"


def test_histories_survive_a_round_trip_and_damage() -> None:
    """Histories dump to JSON and load back; unknown ids are dropped, damaged JSON is empty."""
    histories = {3: PostingHistory(NOW, NOW + timedelta(hours=1), (60.0, 120.0))}
    assert load_histories(dump_histories(histories)) == histories
    assert load_histories(dump_histories(histories), keep={4}) == {}
    assert load_histories("{not json") == {}
    assert load_histories(None) == {}
