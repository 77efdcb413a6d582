"""Queries of the `streams` view (whose each aggregate is) and of the views' positions, for the
folds of some clients (application/client_folds.py)."""

from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID

from projections.sql import ViewSql


def all_clients(sql: ViewSql) -> list[str]:
    """Every client that owns an aggregate, by id."""
    with sql.reading():
        return sorted(row[0] for row in sql.execute("streams.clients"))


def stream_owners(sql: ViewSql, client_ids: Sequence[str], facts: bool) -> dict[UUID, str]:
    """Each aggregate of these clients, and whose it is; with `facts`, their facts' records too."""
    with sql.reading():
        rows = sql.select_in("streams.of_clients" if facts else "streams.of_clients_but_facts", sorted(set(client_ids)))
    return {UUID(stream): client_id for stream, client_id in rows}


def stream_owner(sql: ViewSql, stream: UUID) -> str | None:
    with sql.reading():
        rows = sql.execute("streams.owner", (str(stream),))
    return rows[0][0] if rows else None


def position(sql: ViewSql, name: str) -> int:
    """How far a view has read; -1 before its first catch-up."""
    try:
        with sql.reading():
            rows = sql.execute("tracking.position", (name,))
    except sql.missing_table:  # a store never followed yet
        return -1
    return rows[0][0] if rows else -1
