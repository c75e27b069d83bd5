"""Group commit: concurrent submits share writes; a failed write fails each of its waiters."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Sequence

from bot.services.group_commit import GroupCommit


class SlowWriter:
    """Records each batch; the first write waits until the test lets it go."""

    def __init__(self) -> None:
        self.batches: list[list[int]] = []
        self.entered = threading.Event()
        self.release = threading.Event()

    def __call__(self, batch: Sequence[int]) -> None:
        if not self.batches:
            self.entered.set()
            self.release.wait(timeout=5)
        self.batches.append(list(batch))


async def test_submits_made_during_a_write_share_the_next_one() -> None:
    """While the first write runs, 50 more submits gather into one batch (at most max_batch)."""
    writer = SlowWriter()
    commit: GroupCommit[int] = GroupCommit(writer, max_batch=30)
    first = asyncio.create_task(commit.submit(0))
    assert await asyncio.to_thread(writer.entered.wait, 5)
    others = [asyncio.create_task(commit.submit(n)) for n in range(1, 51)]
    while len(commit._pending) < 50:  # every submit has queued behind the running write
        await asyncio.sleep(0)
    writer.release.set()
    await asyncio.wait_for(asyncio.gather(first, *others), timeout=5)

    assert writer.batches[0] == [0]
    assert [len(batch) for batch in writer.batches[1:]] == [30, 20]
    assert sorted(n for batch in writer.batches for n in batch) == list(range(51))


async def test_a_failed_write_reaches_every_waiter_of_its_batch_only() -> None:
    """Each submitter of the failing batch gets the error; the next batch is written."""
    calls: list[list[str]] = []

    def write(batch: Sequence[str]) -> None:
        calls.append(list(batch))
        if "bad" in batch:
            raise RuntimeError("database is down")

    commit: GroupCommit[str] = GroupCommit(write)
    results = await asyncio.gather(commit.submit("bad"), commit.submit("a"), return_exceptions=True)
    assert all(isinstance(r, RuntimeError) for r in results)
    await commit.submit("b")
    assert calls == [["bad", "a"], ["b"]]


async def test_a_lone_submit_is_written_at_once() -> None:
    """With nothing else queued, one submit is one write of one value."""
    seen: list[list[int]] = []
    commit: GroupCommit[int] = GroupCommit(lambda batch: seen.append(list(batch)))
    await asyncio.wait_for(commit.submit(7), timeout=5)
    assert seen == [[7]]
