"""The positions of the events this process writes, for whoever is noting them (issue 17: a
one-shot advance tells its own events from those of others; application/billed_runs.py). A mixin
of both event recorders, around the library's `insert_events`, which returns them. Only the noting
thread's writes are noted: another thread of the process (the API's) is another writer."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
import threading
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Written:
    positions: list[int] = field(default_factory=list)
    complete: bool = True  # False once a write's positions were not known


class NotedWrites:
    def insert_events(self, stored_events: Sequence[Any], **kwargs: Any) -> Sequence[int] | None:
        ids = super().insert_events(stored_events, **kwargs)
        for written in self.__dict__.get("_noting", {}).get(threading.get_ident(), ()):
            written.positions.extend(ids or ())
            written.complete = written.complete and len(ids or ()) == len(stored_events)
        return ids

    @contextmanager
    def noting(self) -> Iterator[Written]:
        written = Written()
        noting = self.__dict__.setdefault("_noting", {}).setdefault(threading.get_ident(), [])
        noting.append(written)
        try:
            yield written
        finally:
            noting.remove(written)
