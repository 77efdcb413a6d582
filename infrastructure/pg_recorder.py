"""The PostgreSQL event recorder: the library's, inserting a save's events as four binary
arrays instead of one array of composite rows, which psycopg writes as escaped text in Python
(about a third of a bulk save), and with the reads the engine does in bulk (the rows of the log
for a fold, without dict rows; every event of many aggregates at once) in one query each. Same
table, same lock, same notification order."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any
from uuid import UUID

from eventsourcing.persistence import StoredEvent
from eventsourcing.postgres import PostgresApplicationRecorder
from psycopg import Connection, Cursor
from psycopg.rows import DictRow, tuple_row
from psycopg.sql import SQL, Identifier

from infrastructure.log_rows import Row
from infrastructure.noted_writes import NotedWrites
from infrastructure.sql.postgres import STATEMENTS


class BillingPostgresRecorder(NotedWrites, PostgresApplicationRecorder):
    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.insert_columns_statement = SQL(STATEMENTS["events.insert_columns"]).format(schema=Identifier(self.datastore.schema), table=Identifier(self.events_table_name),
                 id_type=Identifier(self.datastore.originator_id_type))

    def _insert_stored_events(self, curs: Cursor[DictRow], stored_events: Sequence[StoredEvent], **_: Any) -> None:
        self._lock_table(curs)
        self._notify_channel(curs)
        curs.execute(self.insert_columns_statement, (
            [e.originator_id for e in stored_events], [e.originator_version for e in stored_events],
            [e.topic for e in stored_events], [e.state for e in stored_events],
        ))

    def _table(self) -> Any:
        return SQL("{}.{}").format(Identifier(self.datastore.schema), Identifier(self.events_table_name))

    def billing_rows(self, after: int, limit: int, topics: Sequence[str]) -> list[Row]:
        """The notifications after `after`, of these topics (all if none), in log order."""
        statement = SQL(STATEMENTS["events.rows"]).format(table=self._table())
        with self.datastore.get_connection() as conn, conn.cursor(row_factory=tuple_row) as curs:
            curs.execute(statement, (after, not topics, list(topics), limit), prepare=True)
            return [Row._make(row) for row in curs.fetchall()]

    def billing_written_after(self, after: int) -> list[tuple[int, UUID]]:
        """The position and aggregate of every event after `after`, in log order."""
        statement = SQL(STATEMENTS["events.written_after"]).format(table=self._table())
        with self.datastore.get_connection() as conn, conn.cursor(row_factory=tuple_row) as curs:
            curs.execute(statement, (after,))
            return curs.fetchall()

    def billing_events(self, ids: Sequence[UUID]) -> list[StoredEvent]:
        """Every stored event of these aggregates, in (aggregate, version) order."""
        statement = SQL(STATEMENTS["events.of"]).format(table=self._table())
        with self._reader() as conn, conn.cursor(row_factory=tuple_row) as curs:
            curs.execute(statement, (list(ids),))
            return [StoredEvent(originator_id=row[0], originator_version=row[1], topic=row[2], state=bytes(row[3]))
                    for row in curs.fetchall()]

    def close_readers(self) -> None:
        for conn in self.__dict__.pop("_idle_readers", []):
            conn.close()

    @contextmanager
    def _reader(self) -> Iterator[Connection]:
        """A connection of its own for the reads of one client's events, kept idle between them:
        taken from the library's pool by the API's many threads, one read in fifty waited ~35 ms."""
        idle = self.__dict__.setdefault("_idle_readers", [])
        try:
            conn = idle.pop()
        except IndexError:
            pool = self.datastore.pool
            conn = Connection.connect(pool.conninfo, **{**pool.kwargs, "row_factory": tuple_row}, autocommit=True)
        try:
            yield conn
        finally:
            idle.append(conn)
