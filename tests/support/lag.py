"""Event-loop lag, as a ticker coroutine sees it (for tests and benchmarks/bench_hostile.py).

Wall-clock lateness counts the whole machine: on a loaded shared machine the process is also
late when the OS runs something else. The loop thread's own CPU time between two ticks counts
only what ran on the event loop in between, which is what a blocking callback costs.
"""

from __future__ import annotations

import asyncio
import time


class LagWatch:
    """Wakes every `period_s` and records the worst lateness and the worst loop CPU burst."""

    def __init__(self, period_s: float = 0.01) -> None:
        self.period_s = period_s
        self.worst_wall_s = 0.0
        """Longest lateness of a tick, by the clock."""
        self.worst_busy_s = 0.0
        """Most CPU time the loop thread spent between two ticks: its longest block."""
        self.ticks = 0

    async def run(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            due = loop.time() + self.period_s
            cpu = time.thread_time()
            await asyncio.sleep(self.period_s)
            self.worst_wall_s = max(self.worst_wall_s, loop.time() - due)
            self.worst_busy_s = max(self.worst_busy_s, time.thread_time() - cpu)
            self.ticks += 1

    async def watch_for(self, seconds: float) -> None:
        """Tick for `seconds` (an idle baseline)."""
        task = asyncio.create_task(self.run())
        await asyncio.sleep(seconds)
        task.cancel()
