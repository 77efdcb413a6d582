"""`scripts/bench`: measured speed and memory of the engine against the raw database (BENCHMARKS.md)."""
