"""The receivables page's answers worked out ahead of its first load (issue 18: < 200 ms), at
start-up and again after each midnight in Paris, when the page's day changes: in a thread of the
serving process, while it already answers."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from typing import Any

import structlog

from domain.calendar import PARIS, paris_date
from infrastructure.clock import system_clock
from infrastructure.http.console import reads

log = structlog.get_logger("billing.console")
AFTER_MIDNIGHT = timedelta(minutes=1)


@contextmanager
def warming(s: Any, clock: Callable[[], datetime] = system_clock) -> Iterator[threading.Thread]:
    """Warms the page's answers in a daemon thread for as long as the context lasts."""
    stop = threading.Event()
    thread = threading.Thread(target=warm_daily, args=(s, clock, stop), name="console-warming", daemon=True)
    thread.start()
    try:
        yield thread
    finally:
        stop.set()


def warm_daily(s: Any, clock: Callable[[], datetime], stop: threading.Event) -> None:
    while not stop.is_set():
        warm_once(s, clock())
        stop.wait(seconds_to_next_day(clock()))


def warm_once(s: Any, now: datetime) -> None:
    started = time.monotonic()
    try:
        reads.warm_receivables(s, paris_date(now))
    except Exception as exc:  # noqa: BLE001 - a page worked out at its load instead, never a failure
        log.warning("console_warming_failed", error=str(exc), error_type=type(exc).__name__)
        return
    log.info("console_warmed", day=paris_date(now).isoformat(), seconds=round(time.monotonic() - started, 3))


def seconds_to_next_day(now: datetime) -> float:
    local = now.astimezone(PARIS)
    midnight = datetime.combine(local.date() + timedelta(days=1), datetime.min.time(), tzinfo=PARIS)
    # in UTC: between two times of one zone, Python subtracts the wall clocks (not the hours lived)
    return ((midnight + AFTER_MIDNIGHT).astimezone(timezone.utc) - now.astimezone(timezone.utc)).total_seconds()
