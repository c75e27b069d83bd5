"""Worker slots by priority: feeds before article pages, each in arrival order (issue 17)."""

from __future__ import annotations

import asyncio

from bot.services.worker_slots import PrioritySlots


async def take(slots: PrioritySlots, name: str, order: list[str], **kind: object) -> None:
    await slots.acquire(**kind)  # type: ignore[arg-type]
    order.append(name)


async def queued(slots: PrioritySlots, count: int) -> None:
    """Until `count` waiters are queued."""
    while slots.waiting < count:
        await asyncio.sleep(0)


async def test_urgent_waiters_go_first_then_the_others_each_in_arrival_order() -> None:
    """With the one slot held: article pages queued first still wait for the feeds queued
    after them; feeds and pages each keep their arrival order."""
    slots = PrioritySlots(1)
    await slots.acquire(urgent=False)
    order: list[str] = []
    waiters = [
        asyncio.create_task(take(slots, "page 1", order, urgent=False)),
        asyncio.create_task(take(slots, "page 2", order, urgent=False)),
        asyncio.create_task(take(slots, "flood", order, urgent=True)),
        asyncio.create_task(take(slots, "feed", order, urgent=True)),
    ]
    await queued(slots, 4)
    for _ in waiters:
        slots.release()
        await asyncio.sleep(0)
    await asyncio.gather(*waiters)
    assert order == ["flood", "feed", "page 1", "page 2"]


async def test_a_free_slot_is_taken_at_once() -> None:
    """Nothing queued: acquire returns without waiting, up to the pool's size."""
    slots = PrioritySlots(2)
    await asyncio.wait_for(slots.acquire(urgent=False), 1)
    await asyncio.wait_for(slots.acquire(urgent=True), 1)
    third = asyncio.create_task(slots.acquire(urgent=True))
    await queued(slots, 1)
    assert not third.done()
    slots.release()
    await asyncio.wait_for(third, 1)


async def test_a_cancelled_waiter_leaves_its_place_and_blocks_nobody() -> None:
    """A waiter cancelled in the queue (its budget ran out) is removed; the slot goes to the
    next one, and once free it is free for a newcomer."""
    slots = PrioritySlots(1)
    await slots.acquire(urgent=True)
    gone = asyncio.create_task(slots.acquire(urgent=True))
    stays = asyncio.create_task(slots.acquire(urgent=False))
    await queued(slots, 2)
    gone.cancel()
    await asyncio.gather(gone, return_exceptions=True)
    assert slots.waiting == 1
    slots.release()
    await asyncio.wait_for(stays, 1)
    slots.release()
    await asyncio.wait_for(slots.acquire(urgent=False), 1)
