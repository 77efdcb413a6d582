"""Reads of the event table that the library does one row or one aggregate at a time, done in
one query each: the rows of the log for a fold (without a `Notification` object per row, nor
dict rows on PostgreSQL: a tenth of a fold's time), and every event of many aggregates at once
(bulk ingest learns which aggregates of a chunk exist in one round trip). Reads only: the
recorder still does every write. Another recorder is read through the library."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import Any, NamedTuple
from uuid import UUID

from eventsourcing.persistence import StoredEvent

IDS_PER_QUERY = 500  # well under SQLite's limit on bound parameters


class Row(NamedTuple):
    id: int
    originator_id: Any
    originator_version: int
    topic: str
    state: bytes


def backend(recorder: Any) -> str | None:
    from eventsourcing.sqlite import SQLiteAggregateRecorder

    postgres = sys.modules.get("eventsourcing.postgres")  # loaded if the recorder is PostgreSQL's
    if postgres is not None and isinstance(recorder, postgres.PostgresAggregateRecorder):
        return "postgres"
    return "sqlite" if isinstance(recorder, SQLiteAggregateRecorder) else None


def select_rows(recorder: Any, after: int, limit: int, topics: Sequence[str]) -> Sequence[Any]:
    """The notifications after `after`, of these topics (all if none), in log order."""
    read = {"postgres": _rows_postgres, "sqlite": _rows_sqlite}.get(backend(recorder))
    if read is None:
        return recorder.select_notifications(after, limit, topics=topics, inclusive_of_start=False)
    return read(recorder, after, limit, topics)


def select_events(recorder: Any, ids: Sequence[UUID]) -> list[StoredEvent]:
    """Every stored event of these aggregates, in (aggregate, version) order."""
    read = {"postgres": _events_postgres, "sqlite": _events_sqlite}.get(backend(recorder))
    if read is None:
        return [event for i in ids for event in recorder.select_events(i)]
    return [event for start in range(0, len(ids), IDS_PER_QUERY)
            for event in read(recorder, ids[start:start + IDS_PER_QUERY])]


def _table(recorder: Any) -> Any:
    from psycopg.sql import Identifier, SQL

    return SQL("{}.{}").format(Identifier(recorder.datastore.schema), Identifier(recorder.events_table_name))


def _rows_postgres(recorder: Any, after: int, limit: int, topics: Sequence[str]) -> list[Row]:
    from psycopg.rows import tuple_row
    from psycopg.sql import SQL

    statement = SQL("SELECT notification_id, originator_id, originator_version, topic, state FROM {} "
                    "WHERE notification_id > %s AND (%s OR topic = ANY(%s)) ORDER BY notification_id LIMIT %s"
                    ).format(_table(recorder))
    with recorder.datastore.get_connection() as conn, conn.cursor(row_factory=tuple_row) as curs:
        curs.execute(statement, (after, not topics, list(topics), limit), prepare=True)
        return [Row._make(row) for row in curs.fetchall()]


def _rows_sqlite(recorder: Any, after: int, limit: int, topics: Sequence[str]) -> list[Row]:
    only = f"AND topic IN ({','.join('?' * len(topics))}) " if topics else ""
    statement = (f"SELECT rowid, originator_id, originator_version, topic, state FROM {recorder.events_table_name} "
                 f"WHERE rowid > ? {only}ORDER BY rowid LIMIT ?")
    convert = recorder.convert_originator_id
    with recorder.datastore.transaction(commit=False) as curs:
        curs.execute(statement, [after, *topics, limit])
        return [Row(r[0], convert(r[1]), r[2], r[3], r[4]) for r in curs.fetchall()]


def _events_postgres(recorder: Any, ids: Sequence[UUID]) -> list[StoredEvent]:
    from psycopg.sql import SQL

    statement = SQL("SELECT originator_id, originator_version, topic, state FROM {} "
                    "WHERE originator_id = ANY(%s) ORDER BY originator_id, originator_version").format(_table(recorder))
    with recorder.datastore.get_connection() as conn, conn.cursor() as curs:
        curs.execute(statement, (list(ids),))
        return [StoredEvent(originator_id=row["originator_id"], originator_version=row["originator_version"],
                            topic=row["topic"], state=bytes(row["state"])) for row in curs.fetchall()]


def _events_sqlite(recorder: Any, ids: Sequence[UUID]) -> list[StoredEvent]:
    marks = ",".join("?" * len(ids))
    statement = (f"SELECT originator_id, originator_version, topic, state FROM {recorder.events_table_name} "
                 f"WHERE originator_id IN ({marks}) ORDER BY originator_id, originator_version")
    with recorder.datastore.transaction(commit=False) as curs:
        curs.execute(statement, [i.hex for i in ids])
        return [StoredEvent(originator_id=recorder.convert_originator_id(row["originator_id"]),
                            originator_version=row["originator_version"], topic=row["topic"],
                            state=row["state"]) for row in curs.fetchall()]
