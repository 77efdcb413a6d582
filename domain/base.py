"""Every domain event carries its business time `at`.

The library's `timestamp` is the recorded time; both are passed in by the caller, so the
domain never reads a clock. Each event's `apply` mutates the aggregate explicitly.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from eventsourcing.domain import Aggregate


class BillingAggregate(Aggregate):
    class Event(Aggregate.Event):
        at: datetime

        def apply(self, aggregate: Any) -> None:
            """Events that change no state leave the aggregate as it is."""

    class Created(Event, Aggregate.Created):
        pass

    def record(self, event_class: type, at: datetime, recorded_at: datetime, **fields: Any) -> None:
        self.trigger_event(event_class, at=at, timestamp=recorded_at, **fields)
