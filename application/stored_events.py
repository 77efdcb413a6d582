"""Stored events of many aggregates in one query (eventsourcing reads one aggregate at a time).

Used by bulk ingest to learn, for a whole chunk of facts, which aggregates exist and what they
are, in one round trip instead of one per fact. Reads only; the recorder still does every write.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from uuid import UUID

from eventsourcing.persistence import StoredEvent

PAGE = 500  # ids per query: well under SQLite's limit on bound parameters


def select_events(recorder: Any, ids: Sequence[UUID]) -> list[StoredEvent]:
    """Every stored event of these aggregates, in (aggregate, version) order."""
    select = _reader(recorder)
    return [event for start in range(0, len(ids), PAGE) for event in select(recorder, ids[start:start + PAGE])]


def _reader(recorder: Any) -> Any:
    from eventsourcing.postgres import PostgresAggregateRecorder
    from eventsourcing.sqlite import SQLiteAggregateRecorder

    if isinstance(recorder, PostgresAggregateRecorder):
        return _postgres
    if isinstance(recorder, SQLiteAggregateRecorder):
        return _sqlite
    return _one_by_one


def _postgres(recorder: Any, ids: Sequence[UUID]) -> list[StoredEvent]:
    from psycopg.sql import SQL, Identifier

    statement = SQL(
        "SELECT originator_id, originator_version, topic, state FROM {}.{} "
        "WHERE originator_id = ANY(%s) ORDER BY originator_id, originator_version"
    ).format(Identifier(recorder.datastore.schema), Identifier(recorder.events_table_name))
    with recorder.datastore.get_connection() as conn, conn.cursor() as curs:
        curs.execute(statement, (list(ids),))
        return [StoredEvent(originator_id=row["originator_id"], originator_version=row["originator_version"],
                            topic=row["topic"], state=bytes(row["state"])) for row in curs.fetchall()]


def _sqlite(recorder: Any, ids: Sequence[UUID]) -> list[StoredEvent]:
    marks = ",".join("?" * len(ids))
    statement = (f"SELECT originator_id, originator_version, topic, state FROM {recorder.events_table_name} "
                 f"WHERE originator_id IN ({marks}) ORDER BY originator_id, originator_version")
    with recorder.datastore.transaction(commit=False) as curs:
        curs.execute(statement, [i.hex for i in ids])
        return [StoredEvent(originator_id=recorder.convert_originator_id(row["originator_id"]),
                            originator_version=row["originator_version"], topic=row["topic"],
                            state=row["state"]) for row in curs.fetchall()]


def _one_by_one(recorder: Any, ids: Sequence[UUID]) -> list[StoredEvent]:
    return [event for i in ids for event in recorder.select_events(i)]
