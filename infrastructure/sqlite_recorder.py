"""The SQLite event recorder: the library's, with the reads the engine does in bulk (the rows of
the log for a fold, every event of many aggregates at once) in one query each. Same table."""

from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID

from eventsourcing.persistence import StoredEvent
from eventsourcing.sqlite import SQLiteApplicationRecorder

from infrastructure.log_rows import Row
from infrastructure.noted_writes import NotedWrites
from infrastructure.sql.sqlite import STATEMENTS


class BillingSQLiteRecorder(NotedWrites, SQLiteApplicationRecorder):
    def billing_rows(self, after: int, limit: int, topics: Sequence[str]) -> list[Row]:
        """The notifications after `after`, of these topics (all if none), in log order."""
        only = STATEMENTS["events.rows_of_topics"].format(keys=", ".join("?" * len(topics))) if topics else ""
        statement = STATEMENTS["events.rows"].format(table=self.events_table_name, topics=only)
        convert = self.convert_originator_id
        with self.datastore.transaction(commit=False) as curs:
            curs.execute(statement, [after, *topics, limit])
            return [Row(r[0], convert(r[1]), r[2], r[3], r[4]) for r in curs.fetchall()]

    def billing_written_after(self, after: int) -> list[tuple[int, UUID]]:
        """The position and aggregate of every event after `after`, in log order."""
        statement = STATEMENTS["events.written_after"].format(table=self.events_table_name)
        convert = self.convert_originator_id
        with self.datastore.transaction(commit=False) as curs:
            curs.execute(statement, [after])
            return [(row[0], convert(row[1])) for row in curs.fetchall()]

    def billing_events(self, ids: Sequence[UUID]) -> list[StoredEvent]:
        """Every stored event of these aggregates (at most IDS_PER_QUERY), in (aggregate, version) order."""
        statement = STATEMENTS["events.of"].format(table=self.events_table_name, keys=", ".join("?" * len(ids)))
        asked = {i.hex: i for i in ids}  # each row names one of them: no UUID parsed per row
        with self.datastore.transaction(commit=False) as curs:
            curs.execute(statement, list(asked))
            return [StoredEvent(asked[row[0]], row[1], row[2], row[3]) for row in curs.fetchall()]
