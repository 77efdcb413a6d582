"""Progress of a long command on stderr (issue 18): what is done of how much, the rate and the
time left, redrawn on one line at most every few tenths of a second. Shown only when stderr is
a terminal and not `--quiet`: a pipe or a log file gets nothing."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import TextIO, TypeVar

T = TypeVar("T")

REDRAW = 0.2  # seconds between two redraws


class Progress:
    def __init__(self, label: str, unit: str, shown: bool, stream: TextIO | None = None,
                 clock: Callable[[], float] = time.monotonic):
        self.label, self.unit, self.shown = label, unit, shown
        self.stream, self.clock = stream or sys.stderr, clock
        self.started = self.last = clock()
        self.drawn = False

    def __call__(self, done: int, total: int | None = None) -> None:
        """`done` of `total` (unknown: None); the last call, done == total, always draws."""
        now = self.clock()
        if not self.shown or (now - self.last < REDRAW and done != total):
            return
        self.last, self.drawn = now, True
        self.stream.write("\r" + line(self.label, self.unit, done, total, now - self.started) + "\033[K")
        self.stream.flush()

    def finish(self) -> None:
        if self.drawn:
            self.stream.write("\n")
            self.stream.flush()
            self.drawn = False


def line(label: str, unit: str, done: int, total: int | None, elapsed: float) -> str:
    rate = done / elapsed if elapsed > 0 else 0.0
    text = f"{label}: {grouped(done)}" + (f"/{grouped(total)} {unit} ({done / total:.0%})" if total else f" {unit}")
    text += f", {grouped(round(rate))} {unit}/s"
    if total and rate > 0 and done < total:
        text += f", {clock_time((total - done) / rate)} left"
    return text


def grouped(n: int) -> str:
    """12 000: thousands grouped by a space, as French writes them."""
    return f"{n:_}".replace("_", " ")


def clock_time(seconds: float) -> str:
    minutes, secs = divmod(int(seconds + 0.5), 60)
    return f"{minutes}:{secs:02d}" if minutes < 60 else f"{minutes // 60} h {minutes % 60:02d}"


def shown(args: object, label: str, unit: str, work: Callable[[Progress], T]) -> T:
    """`work(progress)`, its progress drawn while it runs when stderr is a terminal, unless `--quiet`."""
    bar = Progress(label, unit, sys.stderr.isatty() and not getattr(args, "quiet", False))
    try:
        return work(bar)
    finally:
        bar.finish()
