"""Group commit: many coroutines' small writes go to the database in one transaction.

A running daemon answers hundreds of unchanged feeds (304, or a body identical to the last)
a second, and each needs only its source row touched. One transaction each would queue them
behind SQLite's single writer; here, while one batch is being written, the next ones gather,
so the number of transactions follows the database's speed, not the number of polls.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from typing import Generic, TypeVar

T = TypeVar("T")


class GroupCommit(Generic[T]):
    """`await submit(x)` returns once `x` was written (or raises what the write raised)."""

    def __init__(self, write: Callable[[Sequence[T]], None], *, max_batch: int = 200) -> None:
        self._write = write
        self._max_batch = max_batch
        self._pending: list[tuple[T, asyncio.Future[None]]] = []
        self._writer: asyncio.Task[None] | None = None

    async def submit(self, value: T) -> None:
        """Queue `value` for the next batch and wait until that batch is written."""
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._pending.append((value, done))
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._drain(), name="group-commit")
        await done

    async def _drain(self) -> None:
        while self._pending:
            batch = self._pending[: self._max_batch]
            del self._pending[: self._max_batch]
            try:
                await asyncio.to_thread(self._write, [value for value, _ in batch])
            except Exception as exc:  # every waiter of the batch gets the failure to handle
                for _, done in batch:
                    if not done.done():
                        done.set_exception(exc)
            else:
                for _, done in batch:
                    if not done.done():
                        done.set_result(None)
