"""Frozen values the store takes and returns, so no ORM object leaves `bot.storage`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.core.models import HtmlSelectors, Item, TopicScore


@dataclass(frozen=True, slots=True)
class SourceSpec:
    """A source as the config file declares it; `sync_config_sources` makes the table agree."""

    name: str
    url: str
    type: str = "feed"
    interval_s: float = 900.0
    topics: tuple[str, ...] | None = None
    selectors: HtmlSelectors | None = None
    enabled: bool = True
    headers: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True, slots=True)
class SyncReport:
    """Which config sources a sync added, changed, and disabled as removed."""

    added: tuple[str, ...] = ()
    changed: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class SourceHealth:
    """A source's state for /status, /sources, /healthz and metrics."""

    id: int
    name: str
    url: str
    origin: str
    enabled: bool
    paused: bool
    disabled_reason: str | None
    next_poll_at: datetime | None
    last_polled_at: datetime | None
    last_success_at: datetime | None
    last_error: str | None
    last_error_kind: str | None
    last_error_at: datetime | None
    last_warning: str | None
    consecutive_failures: int
    last_new_item_at: datetime | None
    health_reported: bool = False

    @property
    def failing(self) -> bool:
        return self.enabled and self.consecutive_failures > 0


@dataclass(frozen=True, slots=True)
class ChatInfo:
    """A Telegram chat and its alert preferences."""

    id: int
    type: str
    title: str | None
    active: bool
    threshold: float | None
    muted_until: datetime | None
    digest: str
    quiet_start: int | None
    quiet_end: int | None
    timezone: str
    muted_sources: tuple[int, ...]
    created_at: datetime
    deactivated_reason: str | None
    places: tuple[str, ...] = ()
    """Keys of the places the chat follows (bot.places); empty: everywhere."""


@dataclass(frozen=True, slots=True)
class SubscriptionInfo:
    """A chat's subscription to one topic."""

    chat_id: int
    topic: str
    message_thread_id: int | None


@dataclass(frozen=True, slots=True)
class EditTarget:
    """The alert an edit row updates: its row, delivery state and Telegram message."""

    outbox_id: int
    status: str
    telegram_message_id: int | None
    next_attempt_at: datetime
    digest: bool


@dataclass(frozen=True, slots=True)
class Alert:
    """An outbox row with everything needed to render and send it (or explain it, /why)."""

    outbox_id: int
    match_id: int
    chat_id: int
    message_thread_id: int | None
    status: str
    attempts: int
    digest: bool
    created_at: datetime
    source_id: int
    source_name: str
    item_id: int
    title: str
    link: str | None
    summary: str
    published: datetime | None
    score: TopicScore
    telegram_message_id: int | None = None
    last_error: str | None = None
    sources: tuple[str, ...] = ()
    """Every source of the item's story, its own first; empty when it is in no story."""
    edit: EditTarget | None = None
    """For an edit row: the alert to edit; the other fields then describe that alert."""
    more: int = 0
    """Matches of the same poll of the same source beyond the chat's share of it
    (`telegram.max_alerts_per_poll`), shown as "and N more" on this alert."""


@dataclass(frozen=True, slots=True)
class BriefingSchedule:
    """A chat's briefing schedule (`/briefing`), its time zone, and when it was set."""

    chat_id: int
    mode: str
    day: int | None
    minute: int | None
    since: datetime | None
    timezone: str


@dataclass(frozen=True, slots=True)
class BriefingDue:
    """A leased briefing run: whom it is for, the slot it was due at, and how far it got."""

    run_id: int
    chat_id: int
    mode: str
    period_end: datetime
    attempts: int
    photo_message_id: int | None


def item_of(row: Any) -> Item:
    """A stored item's text as the matcher reads it, from a row with its columns."""
    return Item(
        title=row.title or "",
        link=row.link,
        summary=row.summary or "",
        content=row.content or "",
        published=row._mapping.get("published"),
        lang=row.lang,
    )
