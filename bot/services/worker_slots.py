"""Slots of a worker pool handed out by priority: feeds first, then article pages, each in turn.

A feed's parse waits for the job already running and the feeds queued before it, never behind
a queue of article pages (issue 17: two feeds of slow article pages held the only worker while
every other source waited). Article extraction takes what feeds leave, in arrival order (one
page per source at a time: see bot.services.article_text).
"""

from __future__ import annotations

import asyncio
from collections import deque


class PrioritySlots:
    """Like asyncio.Semaphore(size), with two queues: `urgent` waiters are served first; each
    queue in arrival order."""

    def __init__(self, size: int) -> None:
        self._free = size
        self._urgent: deque[asyncio.Future[None]] = deque()
        self._later: deque[asyncio.Future[None]] = deque()

    @property
    def waiting(self) -> int:
        """Waiters queued for a slot."""
        return len(self._urgent) + len(self._later)

    @property
    def free(self) -> int:
        """Slots nobody holds."""
        return self._free

    async def acquire(self, *, urgent: bool) -> None:
        """Take a slot: an urgent waiter after the earlier urgent ones; another after every
        urgent one and the earlier others."""
        if self._free > 0 and not self._urgent and (urgent or not self._later):
            self._free -= 1
            return
        queue = self._urgent if urgent else self._later
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        queue.append(waiter)
        try:
            await waiter
        except BaseException:
            if waiter.done() and not waiter.cancelled():
                self.release()  # granted just as the wait was cancelled: pass it on
            elif waiter in queue:
                queue.remove(waiter)
            raise

    def release(self) -> None:
        """Give the slot to the next waiter (urgent first), or free it."""
        for queue in (self._urgent, self._later):
            while queue:
                waiter = queue.popleft()
                if not waiter.done():
                    waiter.set_result(None)
                    return
        self._free += 1
