"""Best-of-N wall time and one run's peak memory, shared by the benchmark scripts."""

from __future__ import annotations

import time
import tracemalloc
from collections.abc import Callable


def measure(label: str, work: Callable[[], object], repeat: int) -> None:
    """Run ``work`` ``repeat`` times for the best time, then once more under tracemalloc."""
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        work()
        best = min(best, time.perf_counter() - start)
    tracemalloc.start()
    work()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(f"{label:<52} best {best * 1000:9.1f} ms   peak {peak / 2**20:6.1f} MiB")
