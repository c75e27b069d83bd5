"""Telegram updates handled at once across chats and in order within each chat.

PTB handles updates one at a time by default: one slow command (an /addsource whose page links
hanging feeds) would make every other user wait for any answer. Here each chat has its own
queue: a chat's updates run one after another, in the order they came, while other chats' run
meanwhile, at most `HANDLERS_AT_ONCE` at a time. A chat that piles up more than
`QUEUED_PER_CHAT` updates behind a slow one has the excess dropped, so that one flooding chat
cannot hold every task.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
from collections.abc import Awaitable
from dataclasses import dataclass, field
from typing import Any

from telegram import Update
from telegram.ext import BaseUpdateProcessor

log = logging.getLogger("narcowatch.telegram")

HANDLERS_AT_ONCE = 16
"""Handlers running at the same time, across chats (each mostly waits on the network)."""
QUEUED_PER_CHAT = 50
"""Updates one chat may have waiting behind its running one; more are dropped."""
TASKS_AT_ONCE = 4096
"""PTB's own bound on the tasks it starts for updates: waiting ones are cheap."""


@dataclass
class _Chat:
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    pending: int = 0


def chat_key(update: object) -> int | None:
    """The chat an update belongs to (a message's or a pressed button's); None without one."""
    if isinstance(update, Update) and update.effective_chat is not None:
        return update.effective_chat.id
    return None


class PerChatUpdates(BaseUpdateProcessor):
    """An update processor that keeps each chat's order and lets chats run side by side."""

    def __init__(
        self, *, handlers_at_once: int = HANDLERS_AT_ONCE, queued_per_chat: int = QUEUED_PER_CHAT
    ) -> None:
        super().__init__(max_concurrent_updates=TASKS_AT_ONCE)
        self._handlers_at_once = handlers_at_once
        self._queued_per_chat = queued_per_chat
        self._chats: dict[int | None, _Chat] = {}
        self._running: asyncio.Semaphore | None = None
        self._tasks: set[asyncio.Task[Any]] = set()

    async def initialize(self) -> None:
        self._running = asyncio.Semaphore(self._handlers_at_once)

    async def shutdown(self) -> None:
        self._chats.clear()

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        """Wait for this chat's earlier updates, then for a free slot, then handle it."""
        key = chat_key(update)
        chat = self._chats.setdefault(key, _Chat())
        if chat.pending > self._queued_per_chat:
            _close(coroutine)
            log.warning("telegram.update_dropped", extra={"chat": key, "queued": chat.pending})
            return
        chat.pending += 1
        task = asyncio.current_task()
        started = False
        try:
            async with chat.lock:
                if self._running is None:
                    self._running = asyncio.Semaphore(self._handlers_at_once)
                async with self._running:
                    if task is not None:
                        self._tasks.add(task)
                    started = True
                    await coroutine
        finally:
            if task is not None:
                self._tasks.discard(task)
            if not started:
                _close(coroutine)  # cancelled while waiting: never run, so never awaited
            chat.pending -= 1
            if chat.pending == 0 and self._chats.get(key) is chat:
                del self._chats[key]

    async def finish(self, grace_s: float) -> int:
        """Give running handlers `grace_s` seconds, then cancel the rest; returns how many were
        cancelled. The daemon must stop within seconds, whatever a handler waits for."""
        running = set(self._tasks)
        if not running:
            return 0
        _done, late = await asyncio.wait(running, timeout=grace_s)
        for task in late:
            task.cancel()
        if late:
            await asyncio.wait(late, timeout=1.0)
            log.warning("telegram.handlers_cancelled", extra={"count": len(late)})
        return len(late)


def _close(coroutine: Awaitable[Any]) -> None:
    if inspect.iscoroutine(coroutine):
        coroutine.close()
