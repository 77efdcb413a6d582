"""Reading the log for a fold: rows of (id, originator, version, topic, state), without the
library's `Notification` object per row (and, on PostgreSQL, its dict rows): a tenth of a
fold's time. Any other recorder is read through the library."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NamedTuple


class Row(NamedTuple):
    id: int
    originator_id: Any
    originator_version: int
    topic: str
    state: bytes


def select_rows(recorder: Any, after: int, limit: int, topics: Sequence[str]) -> Sequence[Any]:
    """The notifications after `after`, of these topics (all if none), in log order."""
    from eventsourcing.postgres import PostgresApplicationRecorder
    from eventsourcing.sqlite import SQLiteApplicationRecorder

    if isinstance(recorder, PostgresApplicationRecorder):
        return _postgres(recorder, after, limit, topics)
    if isinstance(recorder, SQLiteApplicationRecorder):
        return _sqlite(recorder, after, limit, topics)
    return recorder.select_notifications(after, limit, topics=topics, inclusive_of_start=False)


def _postgres(recorder: Any, after: int, limit: int, topics: Sequence[str]) -> list[Row]:
    from psycopg.rows import tuple_row
    from psycopg.sql import SQL, Identifier

    statement = SQL("SELECT notification_id, originator_id, originator_version, topic, state FROM {}.{} "
                    "WHERE notification_id > %s AND (%s OR topic = ANY(%s)) ORDER BY notification_id LIMIT %s"
                    ).format(Identifier(recorder.datastore.schema), Identifier(recorder.events_table_name))
    with recorder.datastore.get_connection() as conn, conn.cursor(row_factory=tuple_row) as curs:
        curs.execute(statement, (after, not topics, list(topics), limit), prepare=True)
        return [Row._make(row) for row in curs.fetchall()]


def _sqlite(recorder: Any, after: int, limit: int, topics: Sequence[str]) -> list[Row]:
    only = f"AND topic IN ({','.join('?' * len(topics))}) " if topics else ""
    statement = (f"SELECT rowid, originator_id, originator_version, topic, state FROM {recorder.events_table_name} "
                 f"WHERE rowid > ? {only}ORDER BY rowid LIMIT ?")
    convert = recorder.convert_originator_id
    with recorder.datastore.transaction(commit=False) as curs:
        curs.execute(statement, [after, *topics, limit])
        return [Row(r[0], convert(r[1]), r[2], r[3], r[4]) for r in curs.fetchall()]
