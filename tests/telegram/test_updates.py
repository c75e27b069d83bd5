"""The update processor: chats side by side, each chat's updates in order, floods bounded."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from telegram import Update

from bot.telegram.updates import PerChatUpdates


def update(update_id: int, chat_id: int) -> Update:
    """A text message update in a private chat, as Telegram sends it."""
    return Update.de_json(
        {
            "update_id": update_id,
            "message": {
                "message_id": update_id,
                "date": 0,
                "chat": {"id": chat_id, "type": "private"},
                "text": "/help",
            },
        },
        None,
    )


class Handlers:
    """Records which updates started and finished; chosen ones wait for `release`."""

    def __init__(self) -> None:
        self.started: list[int] = []
        self.finished: list[int] = []
        self.release = asyncio.Event()
        self.changed = asyncio.Event()

    async def handle(self, update_id: int, *, block: bool = False) -> None:
        self.started.append(update_id)
        self.changed.set()
        if block:
            await self.release.wait()
        self.finished.append(update_id)
        self.changed.set()

    async def until(self, check: Callable[[], bool], within: float = 5.0) -> None:
        async with asyncio.timeout(within):
            while not check():
                self.changed.clear()
                await self.changed.wait()


def feed(
    processor: PerChatUpdates, items: list[tuple[Update, Awaitable[Any]]]
) -> list[asyncio.Task[None]]:
    """Start one task per update in arrival order, as PTB's update fetcher does."""
    return [asyncio.create_task(processor.process_update(u, c)) for u, c in items]


async def test_a_blocked_chat_delays_only_its_own_later_updates() -> None:
    """Chat 1's first update hangs: chat 2's run meanwhile; chat 1's second runs after it."""
    handlers = Handlers()
    async with PerChatUpdates() as processor:
        tasks = feed(
            processor,
            [
                (update(1, 1), handlers.handle(1, block=True)),
                (update(2, 1), handlers.handle(2)),
                (update(3, 2), handlers.handle(3)),
                (update(4, 2), handlers.handle(4)),
            ],
        )
        await handlers.until(lambda: handlers.finished == [3, 4])
        assert handlers.started == [1, 3, 4]
        handlers.release.set()
        await asyncio.gather(*tasks)
    assert handlers.finished == [3, 4, 1, 2]


async def test_a_flooding_chat_has_its_excess_dropped_and_others_still_run() -> None:
    """Behind a hanging update, a chat keeps at most `queued_per_chat` waiting; the rest are
    dropped (never run, never left un-awaited) and another chat is answered at once."""
    handlers = Handlers()
    async with PerChatUpdates(queued_per_chat=3) as processor:
        items = [(update(n, 1), handlers.handle(n, block=n == 0)) for n in range(10)]
        tasks = feed(processor, [*items, (update(99, 2), handlers.handle(99))])
        await handlers.until(lambda: 99 in handlers.finished)
        handlers.release.set()
        await asyncio.gather(*tasks)
    assert handlers.finished == [99, 0, 1, 2, 3]


async def test_finish_cancels_handlers_still_running_after_the_grace() -> None:
    """At stop, a handler that hangs past the grace period is cancelled; quick ones finish."""
    handlers = Handlers()
    async with PerChatUpdates() as processor:
        tasks = feed(
            processor,
            [(update(1, 1), handlers.handle(1, block=True)), (update(2, 2), handlers.handle(2))],
        )
        await handlers.until(lambda: handlers.started == [1, 2])
        assert await processor.finish(0.2) == 1
        await asyncio.gather(*tasks, return_exceptions=True)
    assert tasks[0].cancelled()
    assert handlers.finished == [2]
