"""backtest's pure part: which stored items match now, and which no longer do."""

from __future__ import annotations

from bot.core.models import Item
from bot.matching import Matcher
from bot.matching.backtest import StoredVerdict, backtest

TOPIC = "drug-control-cooperation"
ON = Item(title="China and Laos police seize heroin in joint operation")
OFF = Item(title="Sunny weekend ahead")


def test_changes_in_both_directions_are_listed(matcher: Matcher) -> None:
    """An item now matching but stored unmatched, and the reverse, are reported; others not."""
    stored = [
        StoredVerdict("new", ON, frozenset()),
        StoredVerdict("gone", OFF, frozenset({TOPIC})),
        StoredVerdict("same", ON, frozenset({TOPIC})),
    ]
    result = backtest(stored, matcher)
    assert result.scored == 3
    assert [c.key for c in result.newly_matching] == ["new"]
    assert [c.key for c in result.no_longer_matching] == ["gone"]
    assert result.no_longer_matching[0].score.reasons


def test_a_topic_filter_ignores_other_topics(matcher: Matcher) -> None:
    """With --topic another topic's flags are left alone."""
    result = backtest([StoredVerdict("x", ON, frozenset())], matcher, topic="other")
    assert (result.newly_matching, result.no_longer_matching) == ([], [])
