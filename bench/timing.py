from __future__ import annotations

import statistics
import time


def percentiles(call, repeat: int) -> tuple[float, float]:
    """(p50, p95) in milliseconds over `repeat` calls, after one warm-up."""
    call()
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        call()
        samples.append((time.perf_counter() - started) * 1000)
    samples.sort()
    p95 = samples[min(len(samples) - 1, int(round(0.95 * (len(samples) - 1))))]
    return round(statistics.median(samples), 3), round(p95, 3)
