"""Persisted projections: tables that follow the event log exactly once, in batches.

Each projection records the position it has read up to in `projection_tracking`, in the same
transaction as the rows it writes, while holding that tracking row: a batch is applied once, by
one follower, or not at all. Several views can follow together, in one pass over the log: each
page is read and decoded once for all of them, while all their tracking rows are held. Works on
SQLite and PostgreSQL (the library's ProjectionRunner handles one event per transaction and does
not run on SQLite).
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from eventsourcing.application import Application
from eventsourcing.persistence import JSONTranscoder, Mapper, Transcoder

from projections.sql import ViewSql
from projections.store_reads import select_rows
from projections.views import VIEWS, View

PAGE = 1000  # notifications per transaction when following
REBUILD_PAGE = 5000  # and when rebuilding: fewer, larger transactions
Progress = Callable[[int, int], None]  # (position reached, head of the log)


@dataclass
class Status:
    name: str
    position: int
    head: int
    rows: int

    @property
    def lag(self) -> int:
        return self.head - self.position


class DecimalsAsText(Transcoder):
    """The application's transcoder, except that decimals are decoded as the text they were
    stored as (`str(Decimal)`, which `Decimal()` reads back exactly): the views take `Decimal()`
    of what they add up and write the rest as text. Decoding `DocumentIssued` costs a third less."""

    def __init__(self, base: JSONTranscoder):
        self.base = base
        self.decoder = json.JSONDecoder(object_hook=self._decode_obj)

    def encode(self, obj: Any) -> bytes:
        return self.base.encode(obj)

    def decode(self, data: bytes) -> Any:
        return self.decoder.decode(data.decode("utf8"))

    def _decode_obj(self, d: dict[str, Any]) -> Any:
        if len(d) != 2 or "_type_" not in d or "_data_" not in d:
            return d
        return d["_data_"] if d["_type_"] == "decimal_str" else self.base.names[d["_type_"]].decode(d["_data_"])


def view_mapper(app: Application) -> Mapper:
    mapper = copy.copy(app.mapper)
    mapper.transcoder = DecimalsAsText(app.mapper.transcoder)  # type: ignore[arg-type]
    return mapper


class Follower:
    def __init__(self, app: Application, sql: ViewSql, views: dict[str, View] = VIEWS):
        self.app, self.sql, self.views, self.mapper = app, sql, views, view_mapper(app)
        if sql.schemas_made >= {"tracking", *views}:  # a session kept by a server follows before many reads
            return
        with sql.transaction(schema=True):
            sql.create_schema("tracking")
            for name in views:
                sql.create_schema(name)
                sql.execute("tracking.add", (name,))
        sql.schemas_made |= {"tracking", *views}

    def catch_up(self, name: str, progress: Progress | None = None) -> int:
        """Applies every event recorded since the view's position; returns how many were read."""
        return self.catch_up_all([name], progress)[name]

    def catch_up_all(self, names: Iterable[str] | None = None, progress: Progress | None = None,
                     page: int = PAGE) -> dict[str, int]:
        """Brings the named views (all by default) up to date in one pass over the log: each page
        is read and decoded once, and each view applies the events of its topics past its own
        position. Returns how many events each view applied."""
        names = list(names or self.views)
        counts, head = dict.fromkeys(names, 0), self.app.recorder.max_notification_id() or 0
        while True:
            with self.sql.transaction(lock=names):
                last, read = self._page(names, head, page, counts)
            if progress:
                progress(last, head)
            if read < page:
                return counts

    def _page(self, names: list[str], head: int, page: int, counts: dict[str, int]) -> tuple[int, int]:
        """One page, in the caller's transaction: returns the position reached and how many
        notifications were read."""
        positions = self._positions(names)
        topics = sorted({topic for name in names for topic in self.views[name].topics})
        notifications = select_rows(self.app.recorder, min(positions.values()), page, topics)
        last = notifications[-1].id if len(notifications) == page else \
            max([head, *positions.values(), *(n.id for n in notifications)])
        for name, events in self._batches(positions, notifications).items():
            self.views[name].apply(self.sql, events)
            counts[name] += len(events)
            self.sql.execute("tracking.move", (max(last, positions[name]), name))
        return last, len(notifications)

    def _batches(self, positions: dict[str, int], notifications: list) -> dict[str, list]:
        """Each view's events: those of its topics past its position, each decoded once."""
        batches: dict[str, list] = {name: [] for name in positions}
        topics = {name: frozenset(self.views[name].topics) for name in positions}
        for n in notifications:
            takers = [name for name, position in positions.items() if n.id > position and n.topic in topics[name]]
            event = self.mapper.to_domain_event(n) if any(self.views[name].decoded for name in takers) else None
            for name in takers:
                batches[name].append(event if self.views[name].decoded else n)
        return batches

    def rebuild(self, name: str, progress: Progress | None = None) -> int:
        return self.rebuild_all([name], progress)[name]

    def rebuild_all(self, names: Iterable[str] | None = None, progress: Progress | None = None,
                    page: int = REBUILD_PAGE) -> dict[str, int]:
        """Empties the named views (all by default) and rebuilds them in one pass, by larger pages."""
        names = list(names or self.views)
        with self.sql.transaction(lock=names):
            for name in names:
                for table in self.views[name].tables:
                    self.sql.execute("table.clear", table=table)
                self.sql.execute("tracking.reset", (name,))
        return self.catch_up_all(names, progress, page)

    def status(self) -> list[Status]:
        head = self.app.recorder.max_notification_id() or 0
        rows = dict(self.sql.execute("tracking.all"))
        return [Status(name, rows.get(name, 0), head, self._count(view)) for name, view in self.views.items()]

    def _positions(self, names: list[str]) -> dict[str, int]:
        rows = dict(self.sql.select_in("tracking.of", names))
        return {name: rows[name] for name in names}

    def _count(self, view: View) -> int:
        return self.sql.execute("table.count", table=view.tables[0])[0][0]
