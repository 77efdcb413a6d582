"""How the engine's processes run: settings of the Python runtime, set once per process."""

from __future__ import annotations

import gc

# Bulk ingest keeps the aggregates of recent chunks loaded (application/unit_of_work.py) and
# allocates a few objects per event: with CPython's default of a collection every 700
# allocations, the cycle collector took about a third of ingest time (BENCHMARKS.md). Nearly all
# of the engine's garbage is freed by reference counting; cycles are still collected, later.
YOUNGEST_GENERATION_THRESHOLD = 10_000


def tune_garbage_collection() -> None:
    youngest, middle, oldest = gc.get_threshold()
    gc.set_threshold(max(YOUNGEST_GENERATION_THRESHOLD, youngest), middle, oldest)
