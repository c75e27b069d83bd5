"""The scheduler's ticks: claim due sources and poll them, report source health, prune, and
tell admins when a topic's text model has verdicts to learn."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime, timedelta
from typing import Protocol

from bot.core.models import PollOutcome, SourceState
from bot.services.model_feedback import ModelFeedback, nudge_message
from bot.services.poll import Poller
from bot.services.ports import PollStore
from bot.services.source_health import (
    HealthThresholds,
    Transition,
    WatchedSource,
    dump_histories,
    load_histories,
    observe,
    render_transitions,
    transitions,
    unhealthy_count,
)
from bot.services.starvation import PollLoad
from bot.settings import Settings
from bot.settings.tuning import POLL_LEASE_MARGIN_S

log = logging.getLogger("narcowatch.jobs")


class PollJob:
    """Each tick leases due sources and polls them in the background, at most N at a time.

    The tick itself returns at once, so one slow source never delays the others; leases in the
    database, not this object, decide who polls what, so several processes can share the work.
    """

    def __init__(
        self,
        poller: Poller,
        store: PollStore,
        *,
        owner: str,
        max_in_flight: int,
        lease_seconds: float,
        clock: Callable[[], datetime],
        on_outcome: Callable[[PollOutcome, float], None],
        work_seconds: float | None = None,
    ) -> None:
        self.poller = poller
        self.store = store
        self.owner = owner
        self.max_in_flight = max_in_flight
        self.lease_seconds = lease_seconds
        self.work_seconds = work_seconds
        """A poll's work must end this long after its claim, within its lease (None: no
        limit), so that no poll still running is ever claimed again."""
        self.clock = clock
        self.on_outcome = on_outcome
        self.tasks: set[asyncio.Task[None]] = set()
        self.last_tick_at: datetime | None = None
        self.last_poll_at: datetime | None = None
        self.at_cap_since: datetime | None = None
        """Since when every in-flight slot has been held, no poll finishing (health)."""
        self.accepting = True
        self._more_due = False
        self._claiming = False
        self._refill: asyncio.Task[None] | None = None

    async def tick(self) -> None:
        """Claim as many due sources as there is room for and start polling them."""
        self.last_tick_at = self.clock()
        await self._claim()

    async def _claim(self) -> None:
        room = self.max_in_flight - len(self.tasks)
        if room <= 0 or not self.accepting or self._claiming:
            return
        self._claiming = True
        try:
            sources = await asyncio.to_thread(
                self.store.claim_due_sources,
                now=self.clock(),
                limit=room,
                owner=self.owner,
                lease_seconds=self.lease_seconds,
            )
        except Exception:
            log.exception("poll.claim_failed")
            return
        finally:
            self._claiming = False
        # A full batch means more sources may be due: claim again as soon as half the room is
        # free instead of at the next tick, or a cycle of many quick polls (304s, unchanged
        # bodies) would be paced by the tick at max_in_flight polls a second.
        self._more_due = len(sources) == room
        loop = asyncio.get_running_loop()
        deadline = None if self.work_seconds is None else loop.time() + self.work_seconds
        for source in sources:
            task = asyncio.create_task(self._poll(source, deadline), name=f"poll:{source.name}")
            self.tasks.add(task)
            task.add_done_callback(self._finished)
        if len(self.tasks) >= self.max_in_flight and self.at_cap_since is None:
            self.at_cap_since = self.clock()

    def load(self) -> PollLoad:
        """Polls in flight, the cap, and since when they have been at it (for /healthz)."""
        return PollLoad(len(self.tasks), self.max_in_flight, self.at_cap_since)

    def _finished(self, task: asyncio.Task[None]) -> None:
        self.tasks.discard(task)
        self.at_cap_since = None
        room = self.max_in_flight - len(self.tasks)
        if not (self._more_due and self.accepting) or self._claiming:
            return
        if room < max(1, self.max_in_flight // 2) or (self._refill and not self._refill.done()):
            return
        self._more_due = False  # the refill's own claim sets it again when it fills the room
        self._refill = asyncio.get_running_loop().create_task(self._claim(), name="poll:refill")

    async def _poll(self, source: SourceState, deadline: float | None) -> None:
        started = time.perf_counter()
        try:
            outcome = await self.poller.poll(source, deadline=deadline)
        except Exception:
            # The database failed even to record the failure (it is down): nothing was stored,
            # and the lease runs out, so the source is simply polled again later.
            log.exception("poll.unrecorded", extra={"source": source.name})
            return
        self.last_poll_at = self.clock()
        try:
            self.on_outcome(outcome, time.perf_counter() - started)
        except Exception:
            log.exception("poll.report_failed", extra={"source": source.name})

    async def drain(self, deadline_s: float) -> None:
        """Stop claiming; wait for polls in flight, then cancel what is left.

        A cancelled poll has stored nothing (each save is one transaction) and its lease runs
        out, so the source is simply polled again later.
        """
        self.accepting = False
        if self._refill is not None and not self._refill.done():
            await asyncio.wait({self._refill}, timeout=deadline_s)
        if not self.tasks:
            return
        _, pending = await asyncio.wait(set(self.tasks), timeout=deadline_s)
        for task in pending:
            task.cancel()
        if pending:
            await asyncio.wait(pending, timeout=1)


def poll_work_seconds(
    timeout_s: float, *, parse_budget_s: float = 0.0, article_budget_s: float = 0.0
) -> float:
    """How long a poll's work may take before its save: the deadline the poll job gives it.

    A fetch ends within `timeout_s` (redirects included), and a claimed source waits at most one
    fetch timeout for a fetch slot (a tick claims at most 2 x concurrency); parsing and scoring
    run within `parse_budget_s` in all, and may wait about as long for a worker (feeds go
    before article pages: bot.services.worker_slots); article pages take what
    `article_budget_s` allows (`articles.poll_budget` plus one `articles.timeout`, for the
    page under way when the budget ends; 0 when articles are off). A poll that still runs at
    its deadline is stopped and fails (bot.services.poll), so it never outlives its lease.
    """
    return timeout_s * 2 + parse_budget_s * 2 + article_budget_s


def poll_lease_seconds(
    timeout_s: float,
    margin_s: float = POLL_LEASE_MARGIN_S,
    *,
    parse_budget_s: float = 0.0,
    article_budget_s: float = 0.0,
) -> float:
    """How long a claimed source stays leased: its poll's work (`poll_work_seconds`) and a
    margin for its two short transactions, so a poll still running is never claimed again
    (issue 17: article time was left out), and a source leased by a process that died is
    polled again soon after."""
    work = poll_work_seconds(
        timeout_s, parse_budget_s=parse_budget_s, article_budget_s=article_budget_s
    )
    return work + margin_s


def poll_timing(
    settings: Settings,
    margin_s: float = POLL_LEASE_MARGIN_S,
    *,
    timeout_s: float | None = None,
) -> tuple[float, float]:
    """A poll's lease and the deadline of its work, in seconds after its claim, for these
    settings (article pages count when they are read). `timeout_s`: the fetch timeout in
    force, when it is not the settings' (the fetcher keeps the one it started with)."""
    articles = settings.articles
    budgets = {
        "parse_budget_s": settings.polling.parse_budget,
        "article_budget_s": articles.poll_budget + articles.timeout if articles.enabled else 0.0,
    }
    timeout = settings.polling.timeout if timeout_s is None else timeout_s
    return (
        poll_lease_seconds(timeout, margin_s, **budgets),
        poll_work_seconds(timeout, **budgets),
    )


def prune_cutoff(now: datetime, items_days: int) -> datetime:
    """Unmatched items fetched before this are pruned."""
    return now - timedelta(days=items_days)


POSTING_HISTORY_KEY = "source_posting_history"
AdminNotify = Callable[[Sequence[str]], Awaitable[bool]]


class SourceHealthStore(Protocol):
    """What the source health job reads and writes (the Store)."""

    def source_health(self) -> Sequence[WatchedSource]: ...
    def set_health_reported(self, source_id: int, reported: bool) -> bool: ...
    def get_meta(self, key: str) -> str | None: ...
    def set_meta(self, key: str, value: str, *, now: datetime) -> None: ...


class SourceHealthJob:
    """Each tick tells admins once about every source that turned unhealthy or recovered.

    The `health_reported` flag on the source row, set by compare-and-set before telling,
    makes each transition reported once, across restarts and among processes. Without a
    notifier (no bot token) the transitions are only logged.
    """

    def __init__(
        self,
        store: SourceHealthStore,
        *,
        clock: Callable[[], datetime],
        notify: AdminNotify | None = None,
        thresholds: HealthThresholds | None = None,
        on_checked: Callable[[int], None] | None = None,
    ) -> None:
        self.store = store
        self.clock = clock
        self.notify = notify
        self.thresholds = thresholds or HealthThresholds()
        self.on_checked = on_checked or (lambda _unhealthy: None)

    async def tick(self) -> list[Transition]:
        """Check every source; report and return the transitions this process claimed."""
        try:
            return await self._check()
        except Exception:
            log.exception("source_health.failed")
            return []

    async def _check(self) -> list[Transition]:
        now = self.clock()
        sources = await asyncio.to_thread(self.store.source_health)
        stored = await asyncio.to_thread(self.store.get_meta, POSTING_HISTORY_KEY)
        known = load_histories(stored, keep={source.id for source in sources})
        histories = {s.id: observe(known.get(s.id), s.last_new_item_at, now) for s in sources}
        self.on_checked(unhealthy_count(sources, histories, self.thresholds))
        claimed = []
        for found in transitions(sources, histories, self.thresholds):
            reported = found.kind == "unhealthy"
            if await asyncio.to_thread(self.store.set_health_reported, found.source_id, reported):
                claimed.append(found)
                self._log(found)
        if claimed and not await self._tell_admins(claimed):
            # Nobody was told: undo the claims so the next tick tries again.
            for found in claimed:
                if found.kind != "cleared":
                    await asyncio.to_thread(
                        self.store.set_health_reported, found.source_id, found.kind != "unhealthy"
                    )
        new_value = dump_histories(histories)
        if new_value != stored:
            await asyncio.to_thread(self.store.set_meta, POSTING_HISTORY_KEY, new_value, now=now)
        return claimed

    @staticmethod
    def _log(found: Transition) -> None:
        fields = {"source_id": found.source_id, "source": found.name}
        if found.kind == "unhealthy":
            log.warning("source.unhealthy", extra={**fields, "reason": found.reason})
        elif found.kind == "recovered":
            log.info("source.recovered", extra=fields)
        else:
            log.info("source.health_cleared", extra=fields)

    async def _tell_admins(self, claimed: Sequence[Transition]) -> bool:
        messages = render_transitions(claimed)
        if self.notify is None or not messages:
            return True
        try:
            told = await self.notify(messages)
        except Exception:
            log.exception("source_health.notify_failed")
            told = False
        if not told:
            log.warning("source_health.not_told", extra={"transitions": len(claimed)})
        return told


class NudgeStore(Protocol):
    """What the feedback nudge reads and writes (the Store)."""

    def get_meta(self, key: str) -> str | None: ...
    def set_meta(self, key: str, value: str, *, now: datetime) -> None: ...
    def claim_meta(self, key: str, value: str, *, now: datetime) -> bool: ...


NUDGED_KEY = "feedback_nudged:"
"""+ topic id: the sha256 of the model admins were last told had verdicts to learn."""


class FeedbackNudgeJob:
    """Each tick tells admins, once per model, that a topic's text model has enough verdicts
    since it was trained for `narcowatch train --feedback` to be worth running.

    The model's sha256, claimed in the database before telling, makes each model's news told
    once, across restarts and among processes; an update writes a new model, whose verdicts
    count from nought. Without a notifier (no bot token) the news is only logged.
    """

    def __init__(
        self,
        store: NudgeStore,
        feedback: Callable[[], Sequence[ModelFeedback]],
        *,
        clock: Callable[[], datetime],
        notify: AdminNotify | None = None,
    ) -> None:
        self.store = store
        self.feedback = feedback
        self.clock = clock
        self.notify = notify

    async def tick(self) -> list[str]:
        """The topics whose news this process told (or logged)."""
        try:
            return await self._check()
        except Exception:
            log.exception("feedback_nudge.failed")
            return []

    async def _check(self) -> list[str]:
        told = []
        for found in await asyncio.to_thread(self.feedback):
            if not found.worth_updating:
                continue
            key = NUDGED_KEY + found.topic
            before = await asyncio.to_thread(self.store.get_meta, key)
            claimed = await asyncio.to_thread(
                self.store.claim_meta, key, found.model, now=self.clock()
            )
            if not claimed:
                continue
            log.info(
                "model.feedback_waiting",
                extra={"topic": found.topic, "judged": found.judged, "missed": found.missed},
            )
            if self.notify is not None and not await self._tell(nudge_message(found)):
                # Nobody was told: give the claim back so the next tick tries again.
                await asyncio.to_thread(self.store.set_meta, key, before or "", now=self.clock())
                continue
            told.append(found.topic)
        return told

    async def _tell(self, message: str) -> bool:
        assert self.notify is not None
        try:
            return await self.notify([message])
        except Exception:
            log.exception("feedback_nudge.notify_failed")
            return False
