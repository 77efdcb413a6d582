"""The SQLite event recorder: the library's, with the reads the engine does in bulk (the rows of
the log for a fold, every event of many aggregates at once) in one query each. Same table."""

from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID

from eventsourcing.persistence import StoredEvent
from eventsourcing.sqlite import SQLiteApplicationRecorder

from infrastructure.log_rows import Row


class BillingSQLiteRecorder(SQLiteApplicationRecorder):
    def billing_rows(self, after: int, limit: int, topics: Sequence[str]) -> list[Row]:
        """The notifications after `after`, of these topics (all if none), in log order."""
        only = f"AND topic IN ({','.join('?' * len(topics))}) " if topics else ""
        statement = (f"SELECT rowid, originator_id, originator_version, topic, state FROM {self.events_table_name} "
                     f"WHERE rowid > ? {only}ORDER BY rowid LIMIT ?")
        convert = self.convert_originator_id
        with self.datastore.transaction(commit=False) as curs:
            curs.execute(statement, [after, *topics, limit])
            return [Row(r[0], convert(r[1]), r[2], r[3], r[4]) for r in curs.fetchall()]

    def billing_events(self, ids: Sequence[UUID]) -> list[StoredEvent]:
        """Every stored event of these aggregates (at most IDS_PER_QUERY), in (aggregate, version) order."""
        marks = ",".join("?" * len(ids))
        statement = (f"SELECT originator_id, originator_version, topic, state FROM {self.events_table_name} "
                     f"WHERE originator_id IN ({marks}) ORDER BY originator_id, originator_version")
        with self.datastore.transaction(commit=False) as curs:
            curs.execute(statement, [i.hex for i in ids])
            return [StoredEvent(originator_id=self.convert_originator_id(row["originator_id"]),
                                originator_version=row["originator_version"], topic=row["topic"],
                                state=row["state"]) for row in curs.fetchall()]
