"""Persisted projections: tables that follow the event log exactly once, in batches.

Each projection records the position it has read up to in `projection_tracking`, in the same
transaction as the rows it writes, while holding that tracking row: a batch is applied once, by
one follower, or not at all. Works on SQLite and PostgreSQL (the library's ProjectionRunner
handles one event per transaction and does not run on SQLite).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from eventsourcing.application import Application

from projections.sql import SqlSession
from projections.views import VIEWS, View

PAGE = 1000


@dataclass
class Status:
    name: str
    position: int
    head: int
    rows: int

    @property
    def lag(self) -> int:
        return self.head - self.position


class Follower:
    def __init__(self, app: Application, sql: SqlSession, views: dict[str, View] = VIEWS):
        self.app = app
        self.sql = sql
        self.views = views
        with sql.transaction():
            sql.execute("CREATE TABLE IF NOT EXISTS projection_tracking (name TEXT PRIMARY KEY, position BIGINT NOT NULL)")
            for name, view in views.items():
                for statement in view.schema:
                    sql.execute(statement)
                sql.execute("INSERT INTO projection_tracking (name, position) VALUES (%s, 0) ON CONFLICT (name) DO NOTHING",
                            (name,))

    def catch_up(self, name: str, progress: Callable[[int, int], None] | None = None) -> int:
        """Applies every event recorded since the view's position; returns how many were read."""
        view, read = self.views[name], 0
        head = self.app.recorder.max_notification_id() or 0
        while True:
            with self.sql.transaction(lock=name):
                position = self.sql.execute("SELECT position FROM projection_tracking WHERE name = %s", (name,))[0][0]
                page = self.app.recorder.select_notifications(position, PAGE, topics=view.topics,
                                                              inclusive_of_start=False)
                events = [self.app.mapper.to_domain_event(n) for n in page]
                view.apply(self.sql, events)
                last = page[-1].id if len(page) == PAGE else max([position, head, *(n.id for n in page)])
                self.sql.execute("UPDATE projection_tracking SET position = %s WHERE name = %s", (last, name))
            read += len(page)
            if progress:
                progress(last, head)
            if len(page) < PAGE:
                return read

    def rebuild(self, name: str, progress: Callable[[int, int], None] | None = None) -> int:
        with self.sql.transaction(lock=name):
            for table in self.views[name].tables:
                self.sql.execute(f"DELETE FROM {table}")
            self.sql.execute("UPDATE projection_tracking SET position = 0 WHERE name = %s", (name,))
        return self.catch_up(name, progress)

    def status(self) -> list[Status]:
        head = self.app.recorder.max_notification_id() or 0
        rows = dict(self.sql.execute("SELECT name, position FROM projection_tracking"))
        return [Status(name, rows.get(name, 0), head, self._count(view)) for name, view in self.views.items()]

    def _count(self, view: View) -> int:
        return self.sql.execute(f"SELECT COUNT(*) FROM {view.tables[0]}")[0][0]
