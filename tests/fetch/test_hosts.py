"""Tests for the per-host request slots."""

from __future__ import annotations

import asyncio

from bot.fetch.hosts import HostSlots


async def test_slots_limit_each_host_and_are_forgotten_after_use() -> None:
    """No more than `per_host` holders run at once per host, hosts are independent, and a
    host's semaphore is dropped once nobody holds or awaits it."""
    slots = HostSlots(per_host=2)
    running: dict[str, int] = {"a": 0, "b": 0}
    most: dict[str, int] = {"a": 0, "b": 0}

    async def use(host: str) -> None:
        async with slots.hold(host):
            running[host] += 1
            most[host] = max(most[host], running[host])
            await asyncio.sleep(0.01)
            running[host] -= 1

    await asyncio.gather(*(use(h) for h in "ab" * 6))
    assert most == {"a": 2, "b": 2}
    assert slots.hosts_in_use == 0
