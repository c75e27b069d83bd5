"""The narrow interfaces delivery and the chat commands need: outbox storage and a message sender.

Read-only attributes are declared as properties so the storage records (frozen dataclasses)
satisfy them without this package importing `bot.storage`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from bot.core.models import TopicScore
from bot.core.render import Button

# Stored at the front of `last_error` for failures worth retrying soon once Telegram answers.
TRANSIENT_PREFIX = "transient: "


class EditTarget(Protocol):
    """The alert an edit row updates, as it stands now."""

    @property
    def outbox_id(self) -> int: ...
    @property
    def status(self) -> str: ...
    @property
    def telegram_message_id(self) -> int | None: ...
    @property
    def next_attempt_at(self) -> datetime: ...
    @property
    def digest(self) -> bool: ...


class OutboxAlert(Protocol):
    """A leased outbox row with what rendering it needs; an edit row (`edit` set) carries the
    alert it edits, to render it again with every source of its story."""

    @property
    def outbox_id(self) -> int: ...
    @property
    def match_id(self) -> int: ...
    @property
    def chat_id(self) -> int: ...
    @property
    def message_thread_id(self) -> int | None: ...
    @property
    def attempts(self) -> int: ...
    @property
    def created_at(self) -> datetime: ...
    @property
    def source_id(self) -> int: ...
    @property
    def source_name(self) -> str: ...
    @property
    def title(self) -> str: ...
    @property
    def link(self) -> str | None: ...
    @property
    def summary(self) -> str: ...
    @property
    def published(self) -> datetime | None: ...
    @property
    def score(self) -> TopicScore: ...
    @property
    def sources(self) -> tuple[str, ...]: ...
    @property
    def edit(self) -> EditTarget | None: ...
    @property
    def more(self) -> int: ...


class ChatSettings(Protocol):
    """A chat's kind and the preferences that decide when it gets alerts."""

    @property
    def id(self) -> int: ...
    @property
    def type(self) -> str: ...
    @property
    def active(self) -> bool: ...
    @property
    def muted_until(self) -> datetime | None: ...
    @property
    def digest(self) -> str: ...
    @property
    def quiet_start(self) -> int | None: ...
    @property
    def quiet_end(self) -> int | None: ...
    @property
    def timezone(self) -> str: ...


class DeliveryStore(Protocol):
    """The outbox as the delivery worker needs it; every method is one transaction."""

    def claim_outbox(
        self, *, now: datetime, limit: int, owner: str, lease_seconds: float, digest: bool = False
    ) -> Sequence[OutboxAlert]:
        """Lease up to `limit` due rows (expired 'sending' leases included), counting an attempt."""
        ...

    def mark_sent(self, outbox_id: int, telegram_message_id: int | None, now: datetime) -> object:
        """The row went out as this Telegram message."""
        ...

    def mark_retry(self, outbox_id: int, error: str, next_attempt_at: datetime) -> object:
        """The attempt failed; try again at `next_attempt_at`."""
        ...

    def mark_failed(self, outbox_id: int, error: str) -> object:
        """Give up on the row."""
        ...

    def deactivate_chat(self, chat_id: int, reason: str) -> object:
        """The chat is gone (blocked the bot, deleted): no more alerts are queued or sent to it."""
        ...

    def release_outbox(self, outbox_id: int, next_attempt_at: datetime) -> object:
        """Hand a leased row back unsent, not counting the claim as an attempt (holds, floods)."""
        ...

    def drop_outbox(self, outbox_id: int, reason: str) -> object:
        """The chat no longer wants this row (muted since it was queued)."""
        ...

    def wake_retries(self, now: datetime) -> object:
        """Make rows waiting after transient failures due now (the network is back)."""
        ...

    def chat_settings(self, chat_ids: Sequence[int]) -> Mapping[int, ChatSettings]:
        """Settings of these chats (unknown ids are left out)."""
        ...


@dataclass(frozen=True, slots=True)
class OutgoingMessage:
    """One message to send: HTML text, its plain-text fallback, and inline buttons."""

    chat_id: int
    html: str
    plain: str
    thread_id: int | None = None
    buttons: tuple[tuple[Button, ...], ...] = ()
    link_preview: bool = False


class MessageSender(Protocol):
    """Sends a message; raises a `bot.errors.DeliveryError` subclass when it could not."""

    async def send(self, message: OutgoingMessage, *, plain: bool = False) -> int:
        """Send it (as plain text when `plain`) and return Telegram's message id."""
        ...

    async def edit(self, message: OutgoingMessage, message_id: int, *, plain: bool = False) -> bool:
        """Replace the text of a message sent earlier; True when it now reads so (also when it
        did already), False when it is gone or too old to edit."""
        ...
