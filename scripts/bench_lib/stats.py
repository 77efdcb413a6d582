"""Percentiles of latencies (seconds in, milliseconds out), nearest-rank."""

from __future__ import annotations

import math


def percentile(sorted_values: list[float], p: float) -> float:
    rank = max(1, math.ceil(p / 100 * len(sorted_values)))
    return sorted_values[rank - 1]


def percentiles(latencies: list[float]) -> dict:
    if not latencies:
        return {"count": 0}
    values = sorted(latencies)
    return {"count": len(values), "p50": percentile(values, 50) * 1000, "p99": percentile(values, 99) * 1000,
            "max": values[-1] * 1000}
