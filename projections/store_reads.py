"""Reads of the event table that the library does one row or one aggregate at a time, done in
one query each when the store's recorder offers them (the engine's recorders do:
`infrastructure/sqlite_recorder.py`, `infrastructure/pg_recorder.py`): the rows of the log for a
fold, and every event of many aggregates at once. Another recorder is read through the library.
Reads only: the recorder still does every write."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from uuid import UUID

from eventsourcing.persistence import StoredEvent

IDS_PER_QUERY = 500  # well under SQLite's limit on bound parameters


def select_rows(recorder: Any, after: int, limit: int, topics: Sequence[str]) -> Sequence[Any]:
    """The notifications after `after`, of these topics (all if none), in log order."""
    if hasattr(recorder, "billing_rows"):
        return recorder.billing_rows(after, limit, topics)
    return recorder.select_notifications(after, limit, topics=topics, inclusive_of_start=False)


def select_events(recorder: Any, ids: Sequence[UUID]) -> list[StoredEvent]:
    """Every stored event of these aggregates, in (aggregate, version) order."""
    if not hasattr(recorder, "billing_events"):
        return [event for i in ids for event in recorder.select_events(i)]
    return [event for start in range(0, len(ids), IDS_PER_QUERY)
            for event in recorder.billing_events(ids[start:start + IDS_PER_QUERY])]
