"""At most N requests at a time per host name, without keeping a lock for every host ever seen."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager


class HostSlots:
    """A semaphore per host, created on first use and dropped when nobody holds or awaits it."""

    def __init__(self, per_host: int) -> None:
        self._per_host = per_host
        self._slots: dict[str, asyncio.Semaphore] = {}
        self._users: dict[str, int] = {}

    @asynccontextmanager
    async def hold(self, host: str) -> AsyncIterator[None]:
        """Wait for a free slot on `host` and keep it for the body of the `async with`."""
        slot = self._slots.get(host)
        if slot is None:
            slot = self._slots[host] = asyncio.Semaphore(self._per_host)
        self._users[host] = self._users.get(host, 0) + 1
        try:
            async with slot:
                yield
        finally:
            self._users[host] -= 1
            if not self._users[host]:
                del self._users[host], self._slots[host]

    @property
    def hosts_in_use(self) -> int:
        """How many hosts have a request running or waiting."""
        return len(self._slots)
