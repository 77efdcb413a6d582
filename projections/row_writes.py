"""The writes of the kept rows (application/kept_rows.py computes them; projections/row_reads.py
reads them): which clients are stale, and each client's rows replaced at once."""

from __future__ import annotations

from collections.abc import Sequence

from projections.sql import ViewSql

ROW_TABLES = ("projection_clients", "projection_documents", "projection_attestation_rows")


def stale_marks(sql: ViewSql, client_ids: Sequence[str] | None) -> dict[str, int]:
    """The stale clients among these (all by default), with their marks."""
    with sql.reading():
        if client_ids is None:
            return dict(sql.execute("SELECT client_id, mark FROM projection_stale"))
        return dict(sql.select_in("SELECT client_id, mark FROM projection_stale WHERE client_id IN ({})",
                                  sorted(set(client_ids))))


def write_rows(sql: ViewSql, group: list[str], rows: list[tuple[list, list, list]], marks: dict[str, int]) -> None:
    """In one transaction: these clients' rows (clients, documents, attestations) replaced, and
    their marks cleared unless a newer event marked them again meanwhile."""
    with sql.transaction():
        for table in ROW_TABLES:
            sql.select_in(f"DELETE FROM {table} WHERE client_id IN ({{}})", group)
        for part, table in enumerate(ROW_TABLES):
            sql.insert(f"INSERT INTO {table}", [r for client in rows for r in client[part]])
        for client_id in group:
            sql.execute("DELETE FROM projection_stale WHERE client_id = %s AND mark = %s",
                        (client_id, marks[client_id]))
