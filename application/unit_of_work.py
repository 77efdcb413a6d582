"""Many facts, one transaction: aggregates loaded once per batch and saved together.

Each fact changes the batch's aggregates only through events, after its guards passed. If a
refused fact had already recorded an event on one of them, the batch is no longer clean: it is
then abandoned (nothing saved) and its facts are recorded one by one, so a refused fact never
changes anything.

Before a chunk is judged, `prefetch` reads in one query the aggregates its facts may need (and
learns which of them do not exist yet), instead of one round trip per fact. What it learns holds
for that chunk only; a concurrent writer that creates one of them meanwhile makes the chunk's save
fail on the store's unique (id, version) key, and the chunk is then redone fact by fact.
"""

from __future__ import annotations

from collections.abc import Iterable
from itertools import islice
from typing import Any
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError

from application.app import BillingApp
from projections.store_reads import select_events


# Aggregates kept loaded between chunks, the most recently used: enough for the clients and
# subscriptions a history names all year (the default-size bench: 12 000 and 10 000) and the
# appointments and sessions of the weeks at hand; memory stays bounded whatever the store's size.
KEPT = 50_000


class DirtyBatch(Exception):
    """A refused fact left an event behind in the batch."""


class UnitOfWork:
    def __init__(self, app: BillingApp):
        self.app = app
        self.batch: dict[UUID, Any] = {}
        self.touched: dict[UUID, int] = {}
        self.changed: dict[UUID, None] = {}
        self.loaded: dict[UUID, Any] = {}
        self.absent: set[UUID] = set()

    def prefetch(self, ids: Iterable[UUID]) -> None:
        """Reads, for the next chunk, those of these aggregates not in the batch yet."""
        wanted = list(dict.fromkeys(i for i in ids if i not in self.batch))
        self.loaded = load_many(self.app, wanted)
        self.absent = set(wanted).difference(self.loaded)

    def lookup(self, aggregate_id: UUID) -> Any | None:
        """A stored aggregate as read (no batch changes), or None; for read-only checks."""
        if aggregate_id in self.batch:
            return self.batch[aggregate_id]
        if aggregate_id in self.loaded:
            return self.loaded[aggregate_id]
        if aggregate_id in self.absent:
            return None
        try:
            return self.app.repository.get(aggregate_id)
        except AggregateNotFoundError:
            return None

    def get(self, aggregate_id: UUID) -> Any:
        """The aggregate as the batch has it so far; raises AggregateNotFoundError."""
        # last in the batch's order, the most recently used: `trim` forgets the least recently used
        aggregate = self.batch.pop(aggregate_id) if aggregate_id in self.batch else self._read(aggregate_id)
        self.batch[aggregate_id] = aggregate
        self.touched.setdefault(aggregate_id, len(aggregate.pending_events))
        return aggregate

    def _read(self, aggregate_id: UUID) -> Any:
        if aggregate_id in self.loaded:
            return self.loaded.pop(aggregate_id)
        if aggregate_id in self.absent:
            raise AggregateNotFoundError(aggregate_id)
        return self.app.repository.get(aggregate_id)

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
            self.changed[aggregate.id] = None
        # What the handler loaded but did not return is saved too if it changed (as before).
        self.changed.update(dict.fromkeys(self.touched))
        self.touched.clear()
        return caused

    def reject(self) -> None:
        if any(len(self.batch[i].pending_events) != n for i, n in self.touched.items()):
            raise DirtyBatch
        self.touched.clear()

    def pending(self) -> list[Any]:
        return [self.batch[i] for i in self.changed if self.batch[i].pending_events]

    def save(self, *created: Any) -> None:
        """Saves, in one transaction, the chunk's changes and these new aggregates' events."""
        save_together(self.app, [*self.pending(), *created])

    def trim(self, keep: int = KEPT) -> None:
        """After a save: forgets the chunk, and bounds the memory kept between batches."""
        self.changed.clear()
        self.loaded, self.absent = {}, set()
        for aggregate_id in list(islice(self.batch, max(0, len(self.batch) - keep))):
            del self.batch[aggregate_id]


def save_together(app: BillingApp, aggregates: list[Any]) -> None:
    """Saves the aggregates' pending events in one transaction, through the store's recorder in
    bulk (issue 17): `Application.save` would also build a recording of each event for listeners
    this application has none of (~5 µs an event)."""
    if app.repository.cache is not None or app.snapshots is not None:
        app.save(*aggregates)  # they want the aggregates themselves
        return
    events = [event for aggregate in aggregates for event in aggregate.collect_events()]
    if events:
        app.recorder.insert_events(list(map(app.mapper.to_stored_event, events)))


def load_many(app: BillingApp, ids: list[UUID]) -> dict[UUID, Any]:
    """The aggregates of these ids that exist, read together (no snapshots in this store)."""
    if app.repository.snapshot_store is not None:
        return {i: app.repository.get(i) for i in ids if i in app.repository}
    events: dict[UUID, list[Any]] = {}
    for stored in select_events(app.recorder, ids):
        events.setdefault(stored.originator_id, []).append(app.mapper.to_domain_event(stored))
    return {i: fold(domain_events) for i, domain_events in events.items()}


def fold(events: list[Any]) -> Any:
    aggregate = None
    for event in events:
        aggregate = event.mutate(aggregate)
    return aggregate
