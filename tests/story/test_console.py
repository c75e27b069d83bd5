"""Console mode: a repost of a story is announced as another source, not as a new alert."""

from __future__ import annotations

from bot.console import ConsoleNotifier
from bot.core.models import NewMatch, PollOutcome, TermHit, TopicScore

SCORE = TopicScore("drug-control-cooperation", 0.8, True, terms=(TermHit("anti-drug", "d", 1),))


def test_a_repeat_is_printed_as_also_reported_by() -> None:
    """A match with `duplicate_of` prints "also reported by <source>: <title>"; others alert."""
    lines: list[str] = []
    outcome = PollOutcome(
        source_id=2,
        source_name="TASS",
        ok=True,
        matches=(
            NewMatch(11, SCORE, "China, Russia agree", "https://t.example/1", "TASS", 7),
            NewMatch(12, SCORE, "SCO meets in Dushanbe", "https://t.example/2", "TASS"),
        ),
    )
    ConsoleNotifier(lines.append).announce(outcome)
    assert len(lines) == 2
    assert "also reported by TASS: China, Russia agree" in lines[0]
    assert "story of item 7" in lines[0]
    assert lines[1].startswith("0.80  drug-control-cooperation  TASS  SCO meets in Dushanbe")
