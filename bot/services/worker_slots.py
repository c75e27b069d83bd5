"""Slots of a worker pool handed out by priority: feeds first, the smallest first; then the rest.

A feed's parse waits for at most the job already running and the smaller feeds queued with
it, never behind a queue of article pages or a flood of items (issue 17: two feeds of slow
article pages held the only worker while every other source waited). Article extraction
takes what feeds leave, in arrival order (one page per source at a time: see
bot.services.article_text).
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
from collections import deque


class PrioritySlots:
    """Like asyncio.Semaphore(size), with two queues: `urgent` waiters are served first,
    the one with the smallest `cost` first; the others in arrival order."""

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

    async def acquire(self, *, urgent: bool, cost: float = 0.0) -> None:
        """Take a slot, waiting behind every urgent waiter of a lower cost (or an equal one
        that came first), and for a non-urgent one behind every earlier one too."""
        if self._free > 0 and not self._urgent and (urgent or not self._later):
            self._free -= 1
            return
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        entry = (cost, next(self._arrivals), waiter)
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
