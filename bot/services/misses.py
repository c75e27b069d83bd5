"""/missed: a subscriber reports a stored item that a topic they follow should have matched.

Alerts only show what matched, so their Relevant / Not relevant buttons can teach precision
and nothing else. A reported miss is the one verdict that teaches recall: `narcowatch train
--feedback` (and `tune --feedback`) count it as a relevant item of the topic. Items are found
with /search, whose results offer the command on every item the chat's topics did not match.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from bot.core.arguments import parse_id
from bot.core.render import Button, esc, shorten

MISSED_USAGE = (
    "/missed &lt;item&gt; [topic] — a stored item (numbered in /search) that your topic "
    "should have matched; the next training learns from it"
)
DAILY_REPORTS = 100
"""Reports one user may make in 24 hours: more than anyone reads, few enough that no single
account can swamp the topic's training data (an operator trains, and sees the figures)."""
COMMAND = "missed"
"""Also sent as /missed_ITEM: Telegram makes that one tappable word in a message."""


class Subscription(Protocol):
    @property
    def topic(self) -> str: ...


class MissStore(Protocol):
    """The store as /missed needs it."""

    def subscriptions_of(self, chat_id: int) -> Sequence[Subscription]: ...
    def item_topics(self, item_id: int) -> frozenset[str] | None: ...
    def misses_reported(self, user_id: int, *, since: datetime) -> int: ...
    def record_miss(
        self, item_id: int, topic: str, chat_id: int, user_id: int, *, now: datetime
    ) -> bool: ...


BUTTON_PREFIX = "mi:"
MAX_BUTTON_DATA = 64
"""Telegram's limit on a button's callback data, in bytes."""


@dataclass(frozen=True, slots=True)
class MissReply:
    """The answer to a report: its text, and a button per topic when the chat must choose."""

    text: str
    choices: tuple[Button, ...] = ()


def choice_button(item_id: int, topic: str) -> Button | None:
    """The button that reports the item for one topic (None when the data would not fit)."""
    data = f"{BUTTON_PREFIX}{item_id}:{topic}"
    if len(data.encode()) > MAX_BUTTON_DATA:
        return None
    return Button(shorten(topic, 60), data)


def parse_choice(data: str) -> list[str]:
    """A choice button's data as the arguments of /missed (empty when it is not one)."""
    item, _, topic = data.removeprefix(BUTTON_PREFIX).partition(":")
    return [item, topic] if data.startswith(BUTTON_PREFIX) and item and topic else []


def tap_to_report(item_id: int) -> str:
    """The command as one tappable word, for a search result."""
    return f"/{COMMAND}_{item_id}"


class MissReports:
    """What /missed does: check the item and the topic, then store the report once per user."""

    def __init__(self, store: MissStore, clock: Callable[[], datetime]) -> None:
        self.store = store
        self.clock = clock

    def report(self, chat_id: int, user_id: int, args: Sequence[str]) -> MissReply:
        """The reply to `/missed <item> [topic]` (any member of the chat may report)."""
        reply = self._report(chat_id, user_id, args)
        return reply if isinstance(reply, MissReply) else MissReply(reply)

    def _report(self, chat_id: int, user_id: int, args: Sequence[str]) -> str | MissReply:
        item_id = parse_id(args[0]) if args else None
        if item_id is None or len(args) > 2:
            return "Usage: " + MISSED_USAGE
        followed = [s.topic for s in self.store.subscriptions_of(chat_id)]
        if not followed:
            return "This chat follows no topic yet: see /topics."
        matched = self.store.item_topics(item_id)
        if matched is None:
            return f"No stored item {item_id}: /search finds items, each with its /missed."
        if len(args) == 2:
            asked = args[1]
            if asked not in followed:
                return (
                    f"This chat does not follow {esc(shorten(asked, 100))}; it follows "
                    f"{esc(', '.join(followed))}."
                )
            followed = [asked]
        open_topics = [topic for topic in followed if topic not in matched]
        if not open_topics:
            topics = esc(", ".join(followed))
            return (
                f"Item {item_id} matched {topics}: judge its alert with the Relevant / "
                "Not relevant buttons instead."
            )
        if len(open_topics) > 1:
            lines = "\n".join(f"/{COMMAND} {item_id} {esc(topic)}" for topic in open_topics)
            buttons = (choice_button(item_id, topic) for topic in open_topics)
            return MissReply(
                f"Which topic should item {item_id} have matched?\n{lines}",
                tuple(button for button in buttons if button is not None),
            )
        topic = open_topics[0]
        now = self.clock()
        if self.store.misses_reported(user_id, since=now - timedelta(days=1)) >= DAILY_REPORTS:
            return f"You have reported {DAILY_REPORTS} items in the last 24 hours, the most a day."
        if not self.store.record_miss(item_id, topic, chat_id, user_id, now=now):
            return f"You have reported item {item_id} for {esc(topic)} already."
        return (
            f"Noted: item {item_id} is about <b>{esc(topic)}</b>. The topic's next training "
            "(narcowatch train --feedback) learns from it."
        )
