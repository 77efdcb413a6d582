"""Every domain event carries its business time `at`.

The library's `timestamp` is the recorded time; both are passed in by the caller, so the
domain never reads a clock. Each event's `apply` mutates the aggregate explicitly.
"""

from __future__ import annotations

import inspect
from datetime import datetime
from functools import cache
from typing import Any

from eventsourcing.domain import Aggregate
from eventsourcing.utils import resolve_topic


class BillingAggregate(Aggregate):
    class Event(Aggregate.Event):
        at: datetime

        def apply(self, aggregate: Any) -> None:
            """Events that change no state leave the aggregate as it is."""

    class Created(Event, Aggregate.Created):
        def mutate(self, aggregate: Any) -> Any:
            """The library's, with the aggregate's __init__ parameters looked up once per class
            instead of filtering every attribute of every event twice (most of a fold's time)."""
            cls = resolve_topic(self.originator_topic)
            names = init_parameters(cls)
            if aggregate is not None or "id" in names:
                return super().mutate(aggregate)
            state = self.__dict__
            created = cls.__new__(cls)
            created.__base_init__(state["originator_id"], state["originator_version"], state["timestamp"])
            created.__init__(**{name: state[name] for name in names if name in state})
            self.apply(created)
            return created

    def record(self, event_class: type, at: datetime, recorded_at: datetime, **fields: Any) -> None:
        self.trigger_event(event_class, at=at, timestamp=recorded_at, **fields)


@cache
def init_parameters(cls: type) -> tuple[str, ...]:
    return tuple(name for name in inspect.signature(cls.__init__).parameters if name != "self")
