"""Best-of-n timing, for the few tests whose property is how cost grows with input size."""

from __future__ import annotations

import time
from collections.abc import Callable


def best_time(run: Callable[[], object], repeat: int = 3) -> float:
    """The shortest of `repeat` wall-clock timings of `run()`, in seconds (the least noisy)."""
    best = float("inf")
    for _ in range(repeat):
        started = time.perf_counter()
        run()
        best = min(best, time.perf_counter() - started)
    return best
