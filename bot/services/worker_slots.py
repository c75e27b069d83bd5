"""Slots of a worker pool handed out by priority: feeds first, a big body a little later; then
the rest.

A feed's parse waits for the job already running and the feeds queued before it, never behind a
queue of article pages (issue 17: two feeds of slow article pages held the only worker while
every other source waited). A big body is queued as if it came `handicap` seconds later (its
size at a megabyte a second), so a flood of items does not hold up the small feeds that arrive
with it, and is itself held up by no more than that. Article extraction takes what feeds leave,
in arrival order (one page per source at a time: see bot.services.article_text).
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
from collections import deque


class PrioritySlots:
    """Like asyncio.Semaphore(size), with two queues: `urgent` waiters are served first, by
    arrival time plus their `handicap` in seconds; the others in arrival order."""

    def __init__(self, size: int) -> None:
        self._free = size
        self._urgent: list[tuple[float, int, asyncio.Future[None]]] = []
        self._later: deque[asyncio.Future[None]] = deque()
        self._arrivals = itertools.count()

    @property
    def waiting(self) -> int:
        """Waiters queued for a slot."""
        return len(self._urgent) + len(self._later)

    @property
    def free(self) -> int:
        """Slots nobody holds."""
        return self._free

    async def acquire(self, *, urgent: bool, handicap: float = 0.0) -> None:
        """Take a slot: an urgent waiter after the urgent ones due before its arrival plus
        `handicap`; a non-urgent one after every urgent one and the earlier non-urgent ones."""
        if self._free > 0 and not self._urgent and (urgent or not self._later):
            self._free -= 1
            return
        loop = asyncio.get_running_loop()
        waiter: asyncio.Future[None] = loop.create_future()
        entry = (loop.time() + handicap, next(self._arrivals), waiter)
        if urgent:
            heapq.heappush(self._urgent, entry)
        else:
            self._later.append(waiter)
        try:
            await waiter
        except BaseException:
            if waiter.done() and not waiter.cancelled():
                self.release()  # granted just as the wait was cancelled: pass it on
            elif urgent and entry in self._urgent:
                self._urgent.remove(entry)
                heapq.heapify(self._urgent)
            elif waiter in self._later:
                self._later.remove(waiter)
            raise

    def release(self) -> None:
        """Give the slot to the next waiter (urgent first), or free it."""
        while self._urgent:
            _, _, waiter = heapq.heappop(self._urgent)
            if not waiter.done():
                waiter.set_result(None)
                return
        while self._later:
            waiter = self._later.popleft()
            if not waiter.done():
                waiter.set_result(None)
                return
        self._free += 1
