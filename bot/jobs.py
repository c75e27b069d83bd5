"""The scheduler's ticks: claim due sources and poll them, prune old items."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from datetime import datetime, timedelta

from bot.core.models import PollOutcome, SourceState
from bot.services.poll import Poller
from bot.services.ports import PollStore

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
    ) -> None:
        self.poller = poller
        self.store = store
        self.owner = owner
        self.max_in_flight = max_in_flight
        self.lease_seconds = lease_seconds
        self.clock = clock
        self.on_outcome = on_outcome
        self.tasks: set[asyncio.Task[None]] = set()
        self.last_tick_at: datetime | None = None
        self.last_poll_at: datetime | None = None
        self.accepting = True

    async def tick(self) -> None:
        """Claim as many due sources as there is room for and start polling them."""
        self.last_tick_at = self.clock()
        room = self.max_in_flight - len(self.tasks)
        if room <= 0 or not self.accepting:
            return
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
        for source in sources:
            task = asyncio.create_task(self._poll(source), name=f"poll:{source.name}")
            self.tasks.add(task)
            task.add_done_callback(self.tasks.discard)

    async def _poll(self, source: SourceState) -> None:
        started = time.perf_counter()
        try:
            outcome = await self.poller.poll(source)
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
        if not self.tasks:
            return
        _, pending = await asyncio.wait(set(self.tasks), timeout=deadline_s)
        for task in pending:
            task.cancel()
        if pending:
            await asyncio.wait(pending, timeout=1)


# Parsing (in a thread, bounded by polling.max_bytes) and two short transactions follow a fetch.
LEASE_MARGIN_S = 10.0


def poll_lease_seconds(timeout_s: float) -> float:
    """How long a claimed source stays leased: long enough for its poll, short after a crash.

    A fetch ends within `timeout_s` (redirects included), and a claimed source waits at most one
    fetch timeout for a fetch slot (a tick claims at most 2 x concurrency), so two timeouts plus
    a margin cover a poll; a source leased by a process that died is polled again after that.
    Sources queued behind one slow host may outlive their lease: that costs an extra request
    from another process, never a duplicate item (items are unique per source and key).
    """
    return timeout_s * 2 + LEASE_MARGIN_S


def prune_cutoff(now: datetime, items_days: int) -> datetime:
    """Unmatched items fetched before this are pruned."""
    return now - timedelta(days=items_days)
