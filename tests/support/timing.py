"""Best-of-n timing, for the few tests whose property is how cost grows with input size."""

from __future__ import annotations

import time
from collections.abc import Callable


def best_time(run: Callable[[], object], repeat: int = 3) -> float:
    """The shortest of `repeat` timings of `run()`, in seconds of this thread's CPU (the least
    noisy): what other processes do meanwhile (the suite's other workers on a 2-core machine)
    then neither lengthens a timing nor makes two of them disagree."""
    best = float("inf")
    for _ in range(repeat):
        started = time.thread_time()
        run()
        best = min(best, time.thread_time() - started)
    return best
