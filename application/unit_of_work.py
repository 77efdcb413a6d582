"""Many facts, one transaction: aggregates loaded once per batch and saved together.

Each fact changes the batch's aggregates only through events, after its guards passed. If a
refused fact had already recorded an event on one of them, the batch is no longer clean: it is
then abandoned (nothing saved) and its facts are recorded one by one, so a refused fact never
changes anything.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError

from application.app import BillingApp


class DirtyBatch(Exception):
    """A refused fact left an event behind in the batch."""


class UnitOfWork:
    def __init__(self, app: BillingApp):
        self.app = app
        self.batch: dict[UUID, Any] = {}
        self.touched: dict[UUID, int] = {}

    def get(self, aggregate_id: UUID) -> Any:
        """The aggregate as the batch has it so far; raises AggregateNotFoundError."""
        if aggregate_id not in self.batch:
            self.batch[aggregate_id] = self.app.repository.get(aggregate_id)
        aggregate = self.batch[aggregate_id]
        self.touched.setdefault(aggregate_id, len(aggregate.pending_events))
        return aggregate

    def contains(self, aggregate_id: UUID) -> bool:
        try:
            self.get(aggregate_id)
        except AggregateNotFoundError:
            return False
        return True

    def accept(self, changed: list[Any]) -> list[str]:
        """Keeps this fact's changes; returns the events it caused ("id:version")."""
        caused = []
        for aggregate in changed:
            before = self.touched.get(aggregate.id, 0)
            caused += [f"{e.originator_id}:{e.originator_version}" for e in aggregate.pending_events[before:]]
            self.batch[aggregate.id] = aggregate
        self.touched.clear()
        return caused

    def reject(self) -> None:
        if any(len(self.batch[i].pending_events) != n for i, n in self.touched.items()):
            raise DirtyBatch
        self.touched.clear()

    def pending(self) -> list[Any]:
        return [a for a in self.batch.values() if a.pending_events]

    def trim(self, keep: int = 200_000) -> None:
        """Bounds the memory kept between batches (oldest loaded first out)."""
        for aggregate_id in list(self.batch)[: max(0, len(self.batch) - keep)]:
            del self.batch[aggregate_id]
