"""Prometheus text exposition (format 0.0.4), written by hand: counters and one histogram."""

from __future__ import annotations

import threading
from collections import defaultdict

ALL_PROVIDERS = ("btbconnect", "etincelle")
BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
Labels = tuple[tuple[str, str], ...]


class Metrics:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.counters: dict[str, dict[Labels, float]] = defaultdict(lambda: defaultdict(float))
        self.help: dict[str, str] = {}
        self.latency: dict[Labels, list[float]] = {}
        self.latency_sum: dict[Labels, float] = defaultdict(float)

    def count(self, name: str, help_text: str, amount: float = 1, **labels: str) -> None:
        with self._lock:
            self.help[name] = help_text
            self.counters[name][tuple(sorted(labels.items()))] += amount

    def observe(self, seconds: float, **labels: str) -> None:
        key = tuple(sorted(labels.items()))
        with self._lock:
            counts = self.latency.setdefault(key, [0.0] * (len(BUCKETS) + 1))
            for i, bound in enumerate(BUCKETS):
                if seconds <= bound:
                    counts[i] += 1
            counts[-1] += 1
            self.latency_sum[key] += seconds

    def exposition(self, gauges: dict[str, tuple[str, dict[Labels, float]]] | None = None,
                   providers: tuple[str, ...] | None = None) -> str:
        """The text format; ``gauges`` adds values read at scrape time (name → help, values).
        With ``providers`` (a token's scope), only the series of those providers: a series with
        no provider (requests, latency) tells of every provider's traffic, so only a scope of all
        providers sees it."""
        def seen(key: Labels) -> bool:
            return visible(key, providers)

        with self._lock:
            lines = []
            for name, values in sorted(self.counters.items()):
                lines += _family(name, "counter", self.help[name], {k: v for k, v in values.items() if seen(k)})
            for name, (help_text, values) in sorted((gauges or {}).items()):
                lines += _family(name, "counter", help_text, {k: v for k, v in values.items() if seen(k)})
            if seen(()):
                lines += self._histogram()
        return "\n".join(lines) + "\n"

    def _histogram(self) -> list[str]:
        name = "billing_http_request_duration_seconds"
        lines = [f"# HELP {name} Time to answer an HTTP request.", f"# TYPE {name} histogram"]
        for key, counts in sorted(self.latency.items()):
            for bound, count in zip([*map(str, BUCKETS), "+Inf"], counts):
                lines.append(f"{name}_bucket{_labels(key + (('le', bound),))} {_num(count)}")
            lines.append(f"{name}_sum{_labels(key)} {self.latency_sum[key]:.6f}")
            lines.append(f"{name}_count{_labels(key)} {counts[-1]:g}")
        return lines


def visible(key: Labels, providers: tuple[str, ...] | None) -> bool:
    if providers is None:
        return True
    named = set(dict(key).get("provider", "").split(",")) & set(ALL_PROVIDERS)
    return named <= set(providers) if named else set(providers) >= set(ALL_PROVIDERS)


def _family(name: str, kind: str, help_text: str, values: dict[Labels, float]) -> list[str]:
    if not values:
        return []
    lines = [f"# HELP {name} {help_text}", f"# TYPE {name} {kind}"]
    return lines + [f"{name}{_labels(key)} {_num(value)}" for key, value in sorted(values.items())]


def _labels(key: Labels) -> str:
    if not key:
        return ""
    escaped = (v.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"') for _, v in key)
    return "{" + ",".join(f'{k}="{v}"' for (k, _), v in zip(key, escaped)) + "}"


def _num(value: float) -> str:
    return str(int(value)) if value == int(value) else repr(value)
