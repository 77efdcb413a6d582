"""Every domain event carries its business time `at` and the key of the fact that caused it.

The library's `timestamp` is the recorded time; both are passed in by the caller (a `Stamp`), so
the domain never reads a clock. Each event's `apply` mutates the aggregate explicitly, and an
aggregate keeps the mark of the fact that created it (`origin`): no fact about it may be dated
before that one.
"""

from __future__ import annotations

import dataclasses
import inspect
from datetime import datetime
from functools import cache
from typing import Any, ClassVar, NamedTuple

from eventsourcing.domain import Aggregate
from eventsourcing.utils import resolve_topic

from domain.errors import DatedBeforeOrigin
from domain.timeline import Mark, moment


class Stamp(NamedTuple):
    """When a fact happened (business time), when it was recorded, and which fact it was."""

    at: datetime
    recorded_at: datetime
    fact: str | None = None  # the fact's key; None for what `billing advance` records

    def mark(self, kind: str, data: Any = None) -> Mark:
        return Mark(self.at, kind, self.fact, data)


class BillingAggregate(Aggregate):
    class Event(Aggregate.Event):
        at: datetime
        # The key of the fact that recorded the event (absent from events stored before it was kept).
        fact: str | None = dataclasses.field(default=None, kw_only=True)
        recorded_by: ClassVar[str] = "billing advance"

        def apply(self, aggregate: Any) -> None:
            """Events that change no state leave the aggregate as it is."""

        def mark(self, data: Any = None) -> Mark:
            return Mark(self.at, self.recorded_by, self.fact, data)

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

        def apply(self, aggregate: Any) -> None:
            aggregate.origin = self.mark()

    @classmethod
    def _create_at(cls, event_class: type, stamp: Stamp, **fields: Any) -> Any:
        return cls._create(event_class, timestamp=stamp.recorded_at, at=stamp.at, fact=stamp.fact, **fields)

    def record(self, event_class: type, stamp: Stamp, **fields: Any) -> None:
        self.trigger_event(event_class, at=stamp.at, timestamp=stamp.recorded_at, fact=stamp.fact, **fields)

    def check_not_before_origin(self, at: datetime, kind: str, what: str) -> None:
        """INTERPRETATION.md: a fact dated before the fact that created what it names is refused."""
        if at < self.origin.at:
            raise DatedBeforeOrigin(
                f"{what} was recorded by {self.origin.describe()}; this {kind} at {moment(at)} comes "
                f"before it: a fact about {what} is dated at or after {moment(self.origin.at)}"
            )


@cache
def init_parameters(cls: type) -> tuple[str, ...]:
    return tuple(name for name in inspect.signature(cls.__init__).parameters if name != "self")
