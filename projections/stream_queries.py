"""Queries of the `streams` view (whose each aggregate is) and of the views' positions, for the
folds of some clients (application/client_folds.py)."""

from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID

from projections.sql import ViewSql


def all_clients(sql: ViewSql) -> list[str]:
    """Every client that owns an aggregate, by id."""
    with sql.reading():
        return sorted(row[0] for row in sql.execute("SELECT DISTINCT client_id FROM projection_streams"))


def stream_owners(sql: ViewSql, client_ids: Sequence[str], facts: bool) -> dict[UUID, str]:
    """Each aggregate of these clients, and whose it is; with `facts`, their facts' records too."""
    only = "" if facts else " AND fact = 0"
    with sql.reading():
        rows = sql.select_in(f"SELECT originator_id, client_id FROM projection_streams WHERE client_id IN ({{}}){only}",
                             sorted(set(client_ids)))
    return {UUID(stream): client_id for stream, client_id in rows}


def stream_owner(sql: ViewSql, stream: UUID) -> str | None:
    with sql.reading():
        rows = sql.execute("SELECT client_id FROM projection_streams WHERE originator_id = %s", (str(stream),))
    return rows[0][0] if rows else None


def position(sql: ViewSql, name: str) -> int:
    """How far a view has read; -1 before its first catch-up."""
    try:
        with sql.reading():
            rows = sql.execute("SELECT position FROM projection_tracking WHERE name = %s", (name,))
    except sql.missing_table:  # a store never followed yet
        return -1
    return rows[0][0] if rows else -1
