"""Property tests of command arguments: any text a user types gets a valid HTML reply."""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.core.arguments import MAX_ID, parse_count, parse_id
from bot.matching import load_topics
from bot.services.subscriptions import ChatRef, Subscriptions
from bot.storage import open_store
from tests.fuzz.strategies import NASTY, hostile_text
from tests.support.cli import DEFAULT_TOPIC
from tests.support.telegram_html import assert_valid_message

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
TOPICS = load_topics([DEFAULT_TOPIC], env={})

# What Telegram hands a handler: the message text after the command, split on whitespace.
argument = st.one_of(
    hostile_text,
    st.sampled_from(
        ["5", "²", "٣", "-1", "0", "20", "21", "1e999", "nan", "inf", "0.5", "1,5", "2h", "9" * 40]
    ),
    st.builds(lambda n, unit: "9" * n + unit, st.integers(1, 400), st.sampled_from("smhdw")),
    st.sampled_from(["22:00-07:00", "25:00-01:00", "Europe/Moscow", "../../etc/passwd", "UTC"]),
    st.sampled_from(NASTY),
)
arguments = st.lists(argument, max_size=3).map(lambda args: " ".join(args).split())

Command = Callable[[Subscriptions, ChatRef, Sequence[str]], str]
COMMANDS: dict[str, Command] = {
    "subscribe": lambda s, c, a: s.subscribe(c, a[0] if a else ""),
    "unsubscribe": lambda s, c, a: s.unsubscribe(c, a[0] if a else ""),
    "threshold": lambda s, c, a: s.threshold(c, a[0] if a else ""),
    "mute": lambda s, c, a: s.mute(c, a[0] if a else ""),
    "digest": lambda s, c, a: s.digest(c, a[0] if a else ""),
    "quiet": lambda s, c, a: s.quiet(c, a),
    "recent": lambda s, c, a: s.recent(c, a),
    "why": lambda s, c, a: s.why(c, a[0] if a else ""),
    "status": lambda s, c, a: s.status(c),
}


def test_every_command_answers_any_arguments() -> None:
    """Each chat command, on a real SQLite store, answers any arguments with valid HTML."""
    with tempfile.TemporaryDirectory() as folder:
        store = open_store(f"sqlite:///{Path(folder) / 'fuzz.db'}")
        try:
            service = Subscriptions(store, lambda: TOPICS, lambda: NOW)

            @given(st.sampled_from(sorted(COMMANDS)), arguments, st.integers(-(10**12), 10**12))
            @settings(max_examples=80)
            def check(name: str, args: list[str], chat_id: int) -> None:
                reply = COMMANDS[name](service, ChatRef(id=chat_id), args)
                assert_valid_message(reply)

            check()
        finally:
            store.close()


@given(st.text() | argument)
def test_ids_and_counts_parse_or_are_refused(text: str) -> None:
    """parse_id and parse_count return a number in range or None, never raise."""
    value = parse_id(text)
    assert value is None or 1 <= value <= MAX_ID
    count = parse_count(text, low=1, high=20)
    assert count is None or 1 <= count <= 20
