"""Scheduled briefings: queue each chat's due run, lease it, send picture and stories once.

Runs are rows (bot.storage.briefing_runs): unique per chat and period, so every daemon may
tick; leased, so one sends. Sends take the delivery worker's own rate limiter, so alerts and
briefings share Telegram's limits; they wait out quiet hours, and a muted chat misses them as
it misses alerts. The
picture's message id is recorded before the text goes: a retry never sends the picture twice.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Protocol

from bot.core.ratelimit import DeliveryLimiter, is_group, quiet_until, retry_delay
from bot.core.render import html_to_plain
from bot.drawing.charts import briefing_png
from bot.drawing.messages import caption, stories_message
from bot.errors import (
    ChatGoneError,
    DeliveryError,
    RateLimitedDeliveryError,
    RejectedMessageError,
)
from bot.services.briefing import Briefings
from bot.services.delivery_ports import ChatSettings, OutgoingMessage
from bot.telegram.sender import TelegramSender

log = logging.getLogger("narcowatch.briefing")

LEASE_SECONDS = 120.0
CLAIM_LIMIT = 10


class Due(Protocol):
    """A leased run (`bot.storage.records.BriefingDue`)."""

    @property
    def run_id(self) -> int: ...
    @property
    def chat_id(self) -> int: ...
    @property
    def mode(self) -> str: ...
    @property
    def period_end(self) -> datetime: ...
    @property
    def attempts(self) -> int: ...
    @property
    def photo_message_id(self) -> int | None: ...


class BriefingRunStore(Protocol):
    """Runs and the chat facts sending them needs."""

    def claim_briefings(
        self, *, now: datetime, limit: int, owner: str, lease_seconds: float
    ) -> Sequence[Due]: ...
    def briefing_photo_sent(self, run_id: int, message_id: int) -> object: ...
    def briefing_sent(self, run_id: int, message_id: int | None, now: datetime) -> object: ...
    def briefing_retry(self, run_id: int, error: str | None, when: datetime) -> object: ...
    def briefing_hold(self, run_id: int, when: datetime) -> object: ...
    def briefing_failed(self, run_id: int, error: str) -> object: ...
    def chat_settings(self, chat_ids: Sequence[int]) -> Mapping[int, ChatSettings]: ...
    def deactivate_chat(self, chat_id: int, reason: str) -> object: ...


class BriefingJob:
    """`tick()` (every half minute or so) queues due briefings and sends the leased ones."""

    def __init__(
        self,
        store: BriefingRunStore,
        briefings: Briefings,
        sender: TelegramSender,
        limiter: DeliveryLimiter,
        *,
        owner: str,
        clock: Callable[[], datetime],
        monotonic: Callable[[], float] = time.monotonic,
        rng: random.Random | None = None,
    ) -> None:
        self.store = store
        self.briefings = briefings
        self.sender = sender
        self.limiter = limiter
        self.owner = owner
        self.clock = clock
        self.monotonic = monotonic
        self.rng = rng or random.Random()

    async def tick(self) -> int:
        """Queue what fell due and send what this process leased; how many went out."""
        try:
            await asyncio.to_thread(self.briefings.queue_due)
            runs = await asyncio.to_thread(
                self.store.claim_briefings,
                now=self.clock(),
                limit=CLAIM_LIMIT,
                owner=self.owner,
                lease_seconds=LEASE_SECONDS,
            )
        except Exception:
            log.exception("briefing.claim_failed")
            return 0
        sent = 0
        for run in runs:
            try:
                sent += await self._send(run)
            except Exception as exc:  # a bug must not lose the run: it is retried later
                log.exception("briefing.unexpected", extra={"chat_id": run.chat_id})
                await self._retry(run, f"unexpected {type(exc).__name__}")
        return sent

    async def _turn(self, chat_id: int, group: bool) -> None:
        """Wait until the shared limiter lets a message to this chat go, and take it."""
        while True:
            now = self.monotonic()
            wait = max(
                self.limiter.overall_wait(now),
                self.limiter.chat_wait(chat_id, group=group, now=now),
            )
            if wait <= 0:
                self.limiter.take(chat_id, group=group, now=now)
                return
            await asyncio.sleep(wait)

    async def _hold(self, run: Due, chat: ChatSettings | None) -> bool:
        """Settle runs the chat should not get now; True when settled here."""
        now = self.clock()
        if chat is None or not chat.active:
            await asyncio.to_thread(self.store.briefing_failed, run.run_id, "chat inactive")
            return True
        if chat.muted_until is not None and chat.muted_until > now:
            # As with alerts, what falls due while muted is not sent later: a month's mute
            # would otherwise end in four weekly briefings at once.
            await asyncio.to_thread(self.store.briefing_failed, run.run_id, "chat muted")
            return True
        later = quiet_until(now, chat.quiet_start, chat.quiet_end, chat.timezone)
        if later is not None:
            await asyncio.to_thread(self.store.briefing_hold, run.run_id, later)
            return True
        return False

    async def _send(self, run: Due) -> int:
        chats = await asyncio.to_thread(self.store.chat_settings, [run.chat_id])
        chat = chats.get(run.chat_id)
        if await self._hold(run, chat):
            return 0
        assert chat is not None
        group = is_group(chat.type)
        briefing = await asyncio.to_thread(
            self.briefings.scheduled, run.chat_id, run.mode, run.period_end
        )
        try:
            if briefing.total and run.photo_message_id is None:
                png = await asyncio.to_thread(briefing_png, briefing)
                await self._turn(run.chat_id, group)
                photo_id = await self.sender.send_photo(run.chat_id, png, caption(briefing))
                await asyncio.to_thread(self.store.briefing_photo_sent, run.run_id, photo_id)
            text = stories_message(briefing)
            await self._turn(run.chat_id, group)
            message = OutgoingMessage(chat_id=run.chat_id, html=text, plain=html_to_plain(text))
            try:
                message_id = await self.sender.send(message)
            except RejectedMessageError:
                message_id = await self.sender.send(message, plain=True)
        except RateLimitedDeliveryError as exc:
            self.limiter.block(run.chat_id, self.monotonic() + exc.retry_after)
            when = self.clock() + timedelta(seconds=exc.retry_after)
            await asyncio.to_thread(self.store.briefing_retry, run.run_id, str(exc), when)
            return 0
        except ChatGoneError as exc:
            await asyncio.to_thread(self.store.deactivate_chat, run.chat_id, str(exc))
            await asyncio.to_thread(self.store.briefing_failed, run.run_id, f"chat gone: {exc}")
            return 0
        except RejectedMessageError as exc:
            await asyncio.to_thread(self.store.briefing_failed, run.run_id, f"rejected: {exc}")
            return 0
        except DeliveryError as exc:
            await self._retry(run, str(exc))
            return 0
        await asyncio.to_thread(self.store.briefing_sent, run.run_id, message_id, self.clock())
        log.info("briefing.sent", extra={"chat_id": run.chat_id, "items": briefing.total})
        return 1

    async def _retry(self, run: Due, error: str) -> None:
        delay = retry_delay(run.attempts, self.rng.random())
        if delay is None:
            await asyncio.to_thread(self.store.briefing_failed, run.run_id, f"gave up: {error}")
            return
        when = self.clock() + timedelta(seconds=delay)
        await asyncio.to_thread(self.store.briefing_retry, run.run_id, error, when)
