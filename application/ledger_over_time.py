"""The ledger as known at successive recorded times, for `billing verify`: the log is read once,
forward, instead of once per issuing run.

An event recorded after the time asked waits (with the later events of its aggregate, which must
follow it) until a later time is asked. Reading stops SKEW past the time asked: the log is in
commit order, and a writer's recorded time can trail another's commit by that much at most.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from eventsourcing.application import Application

from application.ledger import PAGE, Ledger, billing_topics
from projections.store_reads import select_rows

SKEW = timedelta(minutes=5)


class LedgerOverTime:
    def __init__(self, app: Application) -> None:
        self.app = app
        self.ledger = Ledger(billing_topics())
        self.waiting: dict[UUID, list[Any]] = {}
        self.latest: datetime | None = None  # the recorded time of the last event read
        self.read_to_end = False

    def at(self, known_at: datetime) -> Ledger:
        """The ledger of the events recorded up to `known_at`; times are asked in order."""
        self._apply_waiting(known_at)
        while not self.read_to_end and not self._past(known_at):
            self._read_page(known_at)
        return self.ledger

    def _apply_waiting(self, known_at: datetime) -> None:
        for originator_id in list(self.waiting):
            queue = self.waiting[originator_id]
            while queue and queue[0].timestamp <= known_at:
                self.ledger.apply(queue.pop(0))
            if not queue:
                del self.waiting[originator_id]

    def _past(self, known_at: datetime) -> bool:
        return self.latest is not None and self.latest > known_at + SKEW

    def _read_page(self, known_at: datetime) -> None:
        page = select_rows(self.app.recorder, self.ledger.position, PAGE, self.ledger.topics)
        for row in page:
            event = self.app.mapper.to_domain_event(row)
            self.ledger.position, self.latest = row.id, event.timestamp
            if event.timestamp > known_at or event.originator_id in self.waiting:
                self.waiting.setdefault(event.originator_id, []).append(event)
            else:
                self.ledger.apply(event)
        self.read_to_end = len(page) < PAGE
