"""Worker slots by priority: feeds before article pages, a big body a little later (issue 17)."""

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


async def test_urgent_waiters_go_first_a_big_one_later_then_the_others_in_order() -> None:
    """With the one slot held: article pages queued first still wait for the feeds queued
    after them; a flood's parse (a handicap of seconds) lets a small feed that came just
    after it go first; pages keep their arrival order."""
    slots = PrioritySlots(1)
    await slots.acquire(urgent=False)
    order: list[str] = []
    waiters = [
        asyncio.create_task(take(slots, "page 1", order, urgent=False)),
        asyncio.create_task(take(slots, "page 2", order, urgent=False)),
        asyncio.create_task(take(slots, "flood", order, urgent=True, handicap=3.8)),
        asyncio.create_task(take(slots, "feed", order, urgent=True, handicap=0.02)),
    ]
    await queued(slots, 4)
    for _ in waiters:
        slots.release()
        await asyncio.sleep(0)
    await asyncio.gather(*waiters)
    assert order == ["feed", "flood", "page 1", "page 2"]


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
    gone = asyncio.create_task(slots.acquire(urgent=True, handicap=1))
    stays = asyncio.create_task(slots.acquire(urgent=False))
    await queued(slots, 2)
    gone.cancel()
    await asyncio.gather(gone, return_exceptions=True)
    assert slots.waiting == 1
    slots.release()
    await asyncio.wait_for(stays, 1)
    slots.release()
    await asyncio.wait_for(slots.acquire(urgent=False), 1)


async def test_a_big_body_is_not_overtaken_by_feeds_arriving_after_its_handicap() -> None:
    """A body queued with a 50 ms handicap goes before a feed that arrives 100 ms later:
    big bodies wait a little, never for ever."""
    slots = PrioritySlots(1)
    await slots.acquire(urgent=True)
    order: list[str] = []
    big = asyncio.create_task(take(slots, "big", order, urgent=True, handicap=0.05))
    await queued(slots, 1)
    await asyncio.sleep(0.1)
    small = asyncio.create_task(take(slots, "small", order, urgent=True))
    await queued(slots, 2)
    slots.release()
    await big
    slots.release()
    await small
    assert order == ["big", "small"]
