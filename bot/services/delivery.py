"""Delivery use case: lease outbox rows, send them within Telegram's limits, record each result.

Each tick leases what can be sent well within the lease and queues it per chat in memory; one
runner task sends round-robin across chats, so a chat that is rate-limited or flooded never
holds up the others. Every outcome is written back to the row; nothing is logged and dropped.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from collections import OrderedDict, deque
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta

from bot.core.ratelimit import (
    DeliveryLimiter,
    is_group,
    next_digest_at,
    quiet_until,
    retry_delay,
)
from bot.core.render import html_to_plain, render_alert, render_digest
from bot.errors import ChatGoneError, DeliveryError, RateLimitedDeliveryError, RejectedMessageError
from bot.services.delivery_jobs import DeliveryOptions, Job, alert_view
from bot.services.delivery_ports import (
    TRANSIENT_PREFIX,
    ChatSettings,
    DeliveryStore,
    MessageSender,
    OutboxAlert,
    OutgoingMessage,
)

log = logging.getLogger("narcowatch.delivery")

# One chat's 5xx amid successes is that chat's problem and keeps its backoff; this many
# failures in a row, with no success between them, is an outage.
OUTAGE_FAILURES = 3

CHAT_GONE = "chat gone"
CHAT_INACTIVE = "chat inactive"
CHAT_MUTED = "chat muted"
NOT_SINGLE = "the alert was not sent as a message of its own"
MESSAGE_GONE = "the alert's message can no longer be edited"
EDIT_WAIT_S = 5.0
"""An edit whose alert is not sent yet looks again this much later (or when the alert is due)."""


class DeliveryWorker:
    """Sends leased outbox rows; `tick()` is called about once a second by the scheduler."""

    def __init__(
        self,
        store: DeliveryStore,
        sender: MessageSender,
        *,
        owner: str,
        clock: Callable[[], datetime],
        options: DeliveryOptions | None = None,
        monotonic: Callable[[], float] = time.monotonic,
        rng: random.Random | None = None,
        on_result: Callable[[str, float | None], None] | None = None,
    ) -> None:
        self.store = store
        self.sender = sender
        self.owner = owner
        self.clock = clock
        self.options = options or DeliveryOptions()
        self.monotonic = monotonic
        self.rng = rng or random.Random()
        self.on_result = on_result or (lambda _kind, _latency: None)
        self.limiter = DeliveryLimiter(self.options.limits)
        self.queues: OrderedDict[int, deque[Job]] = OrderedDict()
        self.busy: set[int] = set()
        self.tasks: set[asyncio.Task[None]] = set()
        self.slots = asyncio.Semaphore(self.options.max_concurrent)
        self.wake = asyncio.Event()
        self.runner: asyncio.Task[None] | None = None
        self.accepting = True
        # Transient failures in a row across all chats: several mean Telegram or the network
        # is down, and the first success after them makes the backed-off rows due at once.
        self.failures_in_a_row = 0
        self.last_tick_at: datetime | None = None

    # --- claiming ---------------------------------------------------------------------------

    @property
    def buffered(self) -> int:
        return sum(len(queue) for queue in self.queues.values())

    async def tick(self) -> None:
        """Lease due rows (single alerts and due digests) and make sure they are being sent."""
        if not self.accepting:
            return
        self.last_tick_at = now = self.clock()
        room = int(self.options.limits.global_per_s * self.options.buffer_seconds) - self.buffered
        try:
            if room > 0:
                rows = await asyncio.to_thread(
                    self.store.claim_outbox,
                    now=now,
                    limit=min(room, self.options.claim_limit),
                    owner=self.owner,
                    lease_seconds=self.options.lease_seconds,
                )
                await self._plan_singles(rows, now)
            digest_rows = await asyncio.to_thread(
                self.store.claim_outbox,
                now=now,
                limit=self.options.claim_limit,
                owner=self.owner,
                lease_seconds=self.options.lease_seconds,
                digest=True,
            )
            await self._plan_digests(digest_rows, now)
        except Exception:
            log.exception("delivery.claim_failed")
        self.limiter.prune(self.monotonic())
        if self.queues and (self.runner is None or self.runner.done()):
            self.runner = asyncio.create_task(self._run(), name="delivery-runner")
        self.wake.set()

    async def _settings(self, rows: Sequence[OutboxAlert]) -> dict[int, ChatSettings]:
        ids = sorted({row.chat_id for row in rows})
        return dict(await asyncio.to_thread(self.store.chat_settings, ids)) if ids else {}

    async def _hold_or_drop(
        self, row: OutboxAlert, chat: ChatSettings | None, now: datetime
    ) -> bool:
        """Settle rows the chat should not get now; True when the row was settled here."""
        if chat is None or not chat.active:
            await asyncio.to_thread(self.store.drop_outbox, row.outbox_id, CHAT_INACTIVE)
            self.on_result("dropped", None)
            return True
        if chat.muted_until is not None and chat.muted_until > now:
            await asyncio.to_thread(self.store.drop_outbox, row.outbox_id, CHAT_MUTED)
            self.on_result("dropped", None)
            return True
        until = quiet_until(now, chat.quiet_start, chat.quiet_end, chat.timezone)
        if until is not None:
            await asyncio.to_thread(self.store.release_outbox, row.outbox_id, until)
            self.on_result("held", None)
            return True
        return False

    async def _plan_singles(self, rows: Sequence[OutboxAlert], now: datetime) -> None:
        chats = await self._settings(rows)
        claimed_at = self.monotonic()
        for row in rows:
            chat = chats.get(row.chat_id)
            if row.edit is not None:
                await self._plan_edit(row, chat, now, claimed_at)
                continue
            if await self._hold_or_drop(row, chat, now):
                continue
            assert chat is not None
            message = self._alert_message(row)
            await self._enqueue(Job(row.chat_id, is_group(chat.type), (row,), message, claimed_at))

    def _alert_message(self, row: OutboxAlert) -> OutgoingMessage:
        rendered = render_alert(alert_view(row))
        return OutgoingMessage(
            chat_id=row.chat_id,
            html=rendered.html,
            plain=rendered.plain,
            thread_id=row.message_thread_id,
            buttons=rendered.buttons,
            link_preview=self.options.link_previews,
        )

    async def _plan_edit(
        self, row: OutboxAlert, chat: ChatSettings | None, now: datetime, claimed_at: float
    ) -> None:
        """Queue the edit of an alert's message to list every source of its story, once the
        alert is out. Mute and quiet hours do not apply: an edit makes no sound."""
        target = row.edit
        assert target is not None
        if chat is None or not chat.active:
            await asyncio.to_thread(self.store.drop_outbox, row.outbox_id, CHAT_INACTIVE)
            self.on_result("dropped", None)
            return
        if target.status in ("pending", "sending"):
            # Not sent yet, or being sent: wait for its message id rather than guess whether
            # its text (rendered when it was leased) already lists this source.
            later = max(now + timedelta(seconds=EDIT_WAIT_S), target.next_attempt_at)
            await asyncio.to_thread(self.store.release_outbox, row.outbox_id, later)
            return
        if target.status != "sent" or target.digest or target.telegram_message_id is None:
            await asyncio.to_thread(self.store.drop_outbox, row.outbox_id, NOT_SINGLE)
            self.on_result("dropped", None)
            return
        job = Job(
            row.chat_id,
            is_group(chat.type),
            (row,),
            self._alert_message(row),
            claimed_at,
            edit_message_id=target.telegram_message_id,
        )
        await self._enqueue(job)

    async def _plan_digests(self, rows: Sequence[OutboxAlert], now: datetime) -> None:
        chats = await self._settings(rows)
        claimed_at = self.monotonic()
        due: dict[tuple[int, int | None], list[OutboxAlert]] = {}
        for row in rows:
            chat = chats.get(row.chat_id)
            if await self._hold_or_drop(row, chat, now):
                continue
            assert chat is not None
            if chat.digest != "off":
                slot = next_digest_at(row.created_at, chat.digest, chat.timezone)
                if slot > now:
                    await asyncio.to_thread(self.store.release_outbox, row.outbox_id, slot)
                    continue
            due.setdefault((row.chat_id, row.message_thread_id), []).append(row)
        for (chat_id, thread_id), group_rows in due.items():
            chat = chats[chat_id]
            heading = "Daily digest" if chat.digest == "daily" else "Hourly digest"
            parts = render_digest([alert_view(row) for row in group_rows], heading=heading)
            start = 0
            for part in parts:
                part_rows = tuple(group_rows[start : start + part.count])
                start += part.count
                message = OutgoingMessage(
                    chat_id=chat_id,
                    html=part.html,
                    plain=html_to_plain(part.html),
                    thread_id=thread_id,
                    link_preview=False,
                )
                await self._enqueue(
                    Job(chat_id, is_group(chat.type), part_rows, message, claimed_at)
                )

    async def _enqueue(self, job: Job) -> None:
        """Queue a job, or hand it back for later when its chat already has a lease's worth."""
        queue = self.queues.setdefault(job.chat_id, deque())
        limits = self.options.limits
        rate = min(limits.chat_per_s, limits.group_per_min / 60) if job.group else limits.chat_per_s
        room = max(1, int(self.options.lease_seconds * 0.5 * rate))
        if len(queue) < room:
            queue.append(job)
            return
        # A flooded chat: the row goes back to the table, due when its turn would come.
        later = self.clock() + timedelta(seconds=len(queue) / rate)
        for row in job.rows:
            await asyncio.to_thread(self.store.release_outbox, row.outbox_id, later)

    # --- sending ----------------------------------------------------------------------------

    async def _pause(self, seconds: float) -> None:
        """Sleep up to `seconds`, waking early when a send finishes or new work arrives."""
        self.wake.clear()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.wake.wait(), timeout=max(seconds, 0.001))

    def _next_ready(self, now: float) -> tuple[int | None, float]:
        """The first chat (round-robin) that may be sent to now, else how long until one may."""
        soonest = 1.0
        for chat_id, queue in self.queues.items():
            if chat_id in self.busy:
                continue
            wait = self.limiter.chat_wait(chat_id, group=queue[0].group, now=now)
            if wait <= 0:
                return chat_id, 0.0
            soonest = min(soonest, wait)
        return None, soonest

    async def _run(self) -> None:
        while self.queues:
            now = self.monotonic()
            wait = self.limiter.overall_wait(now)
            if wait > 0:
                await asyncio.sleep(wait)
                continue
            chat_id, wait = self._next_ready(now)
            if chat_id is None:
                await self._pause(wait)
                continue
            queue = self.queues[chat_id]
            job = queue.popleft()
            if queue:
                self.queues.move_to_end(chat_id)
            else:
                del self.queues[chat_id]
            if now - job.claimed_at > self.options.lease_seconds * 0.9:
                continue  # its lease is (nearly) gone and someone else may send it: leave it
            self.limiter.take(chat_id, group=job.group, now=now)
            self.busy.add(chat_id)
            await self.slots.acquire()
            task = asyncio.create_task(self._send(job), name=f"deliver:{chat_id}")
            self.tasks.add(task)
            task.add_done_callback(self.tasks.discard)

    async def _send(self, job: Job) -> None:
        try:
            await self._attempt(job)
        except Exception:
            log.exception("delivery.record_failed", extra={"chat_id": job.chat_id})
        finally:
            self.busy.discard(job.chat_id)
            self.slots.release()
            self.wake.set()

    async def _deliver(self, job: Job) -> tuple[str, int | None]:
        """Send the job's message, or edit the earlier one; (outcome, Telegram message id).

        HTML that Telegram refuses goes again as plain text. An edit of a message that is gone
        (deleted by the chat, too old) has outcome "gone" and no message id.
        """
        target = job.edit_message_id
        for plain in (False, True):
            try:
                if target is None:
                    return ("sent_plain" if plain else "sent"), await self.sender.send(
                        job.message, plain=plain
                    )
                edited = await self.sender.edit(job.message, target, plain=plain)
                return ("edited", target) if edited else ("gone", None)
            except RejectedMessageError as exc:
                if plain:
                    raise
                log.warning("delivery.rejected", extra={"chat_id": job.chat_id, "error": str(exc)})
        raise AssertionError("unreachable: the plain attempt returns or raises")

    async def _attempt(self, job: Job) -> None:
        try:
            kind, message_id = await self._deliver(job)
        except RateLimitedDeliveryError as exc:
            await self._rate_limited(job, exc.retry_after)
        except ChatGoneError as exc:
            await self._chat_gone(job, str(exc))
        except RejectedMessageError as exc:
            for row in job.rows:
                await asyncio.to_thread(self.store.mark_failed, row.outbox_id, f"rejected: {exc}")
            self.on_result("failed", None)
        except DeliveryError as exc:
            self.failures_in_a_row += 1
            await self._retry_later(job, f"{TRANSIENT_PREFIX}{exc}")
        except Exception as exc:  # a bug in a sender must not lose the row: retry it later
            log.exception("delivery.unexpected", extra={"chat_id": job.chat_id})
            await self._retry_later(job, f"unexpected {type(exc).__name__}")
        else:
            now = self.clock()
            if self.failures_in_a_row >= OUTAGE_FAILURES:
                woken = await asyncio.to_thread(self.store.wake_retries, now)
                log.info("delivery.recovered", extra={"retries_due_now": woken})
            self.failures_in_a_row = 0
            for row in job.rows:
                if kind == "gone":  # nothing left to edit: done, not an error to retry
                    await asyncio.to_thread(self.store.drop_outbox, row.outbox_id, MESSAGE_GONE)
                else:
                    await asyncio.to_thread(self.store.mark_sent, row.outbox_id, message_id, now)
            if job.edit_message_id is not None:
                self.on_result("edited" if kind == "edited" else "dropped", None)
            else:
                oldest = min(row.created_at for row in job.rows)
                self.on_result(kind, (now - oldest).total_seconds())

    async def _rate_limited(self, job: Job, retry_after: float) -> None:
        until = self.monotonic() + retry_after
        self.limiter.block(job.chat_id, until)
        self.on_result("rate_limited", None)
        log.warning("delivery.retry_after", extra={"chat_id": job.chat_id, "seconds": retry_after})
        if retry_after <= self.options.short_retry_after_s:
            self.queues.setdefault(job.chat_id, deque()).appendleft(job)
            return
        later = self.clock() + timedelta(seconds=retry_after)
        for held in [job, *self.queues.pop(job.chat_id, ())]:
            for row in held.rows:
                await asyncio.to_thread(self.store.release_outbox, row.outbox_id, later)

    async def _chat_gone(self, job: Job, error: str) -> None:
        log.info("delivery.chat_gone", extra={"chat_id": job.chat_id, "error": error})
        await asyncio.to_thread(self.store.deactivate_chat, job.chat_id, error)
        for gone in [job, *self.queues.pop(job.chat_id, ())]:
            for row in gone.rows:
                await asyncio.to_thread(
                    self.store.mark_failed, row.outbox_id, f"{CHAT_GONE}: {error}"
                )
        self.on_result("chat_gone", None)

    async def _retry_later(self, job: Job, error: str) -> None:
        now = self.clock()
        for row in job.rows:
            delay = retry_delay(row.attempts, self.rng.random(), self.options.first_retry_s)
            if delay is None:
                await asyncio.to_thread(self.store.mark_failed, row.outbox_id, f"gave up: {error}")
                self.on_result("failed", None)
            else:
                when = now + timedelta(seconds=delay)
                await asyncio.to_thread(self.store.mark_retry, row.outbox_id, error, when)
                self.on_result("retry", None)

    # --- stopping ---------------------------------------------------------------------------

    async def drain(self, grace_s: float) -> None:
        """Stop leasing; let sends in flight finish; hand queued rows back for whoever runs next."""
        self.accepting = False
        if self.runner is not None:
            self.runner.cancel()
            await asyncio.gather(self.runner, return_exceptions=True)
        if self.tasks:
            _, pending = await asyncio.wait(set(self.tasks), timeout=grace_s)
            for task in pending:
                task.cancel()
        now = self.clock()
        queued = [job for queue in self.queues.values() for job in queue]
        self.queues.clear()
        for job in queued:
            for row in job.rows:
                try:
                    await asyncio.to_thread(self.store.release_outbox, row.outbox_id, now)
                except Exception:
                    log.exception("delivery.release_failed", extra={"outbox_id": row.outbox_id})
