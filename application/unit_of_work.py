"""Many facts, one transaction: aggregates loaded once per batch and saved together.

Each fact works on copies of the batch's aggregates; only a fact that is accepted puts its
copies back, so a refused fact changes nothing, exactly as when facts are saved one by one.
"""

from __future__ import annotations

import copy
from typing import Any
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError

from application.app import BillingApp


class UnitOfWork:
    def __init__(self, app: BillingApp):
        self.app = app
        self.batch: dict[UUID, Any] = {}
        self.fact: dict[UUID, tuple[Any, int]] = {}

    def get(self, aggregate_id: UUID) -> Any:
        """The aggregate as the batch has it so far; raises AggregateNotFoundError."""
        if aggregate_id in self.fact:
            return self.fact[aggregate_id][0]
        if aggregate_id not in self.batch:
            self.batch[aggregate_id] = self.app.repository.get(aggregate_id)
        working = copy.deepcopy(self.batch[aggregate_id])
        self.fact[aggregate_id] = (working, len(working.pending_events))
        return working

    def contains(self, aggregate_id: UUID) -> bool:
        if aggregate_id in self.fact or aggregate_id in self.batch:
            return True
        try:
            self.get(aggregate_id)
        except AggregateNotFoundError:
            return False
        return True

    def accept(self, changed: list[Any]) -> list[str]:
        """Keeps this fact's changes; returns the events it caused ("id:version")."""
        caused = []
        for aggregate in changed:
            before = self.fact.get(aggregate.id, (None, 0))[1]
            caused += [f"{e.originator_id}:{e.originator_version}" for e in aggregate.pending_events[before:]]
            self.batch[aggregate.id] = aggregate
        self.fact.clear()
        return caused

    def reject(self) -> None:
        self.fact.clear()

    def pending(self) -> list[Any]:
        return [a for a in self.batch.values() if a.pending_events]
