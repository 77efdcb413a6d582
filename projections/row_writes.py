"""The writes of the kept rows (application/kept_rows.py computes them; projections/row_reads.py
reads them): which clients are stale, and each client's rows replaced at once."""

from __future__ import annotations

from collections.abc import Sequence

from projections.sql import ViewSql

ROW_TABLES = ("projection_clients", "projection_documents", "projection_attestation_rows",
              "projection_receivable_rows")
KEPT_ON_READ = ("projection_explanations",)  # made when first read, dropped with the client's other rows


def stale_marks(sql: ViewSql, client_ids: Sequence[str] | None) -> dict[str, int]:
    """The stale clients among these (all by default), with their marks."""
    with sql.reading():
        if client_ids is None:
            return dict(sql.execute("rows.all_marks"))
        return dict(sql.select_in("rows.marks_of", sorted(set(client_ids))))


def write_rows(sql: ViewSql, group: list[str], rows: list[tuple[list, ...]], marks: dict[str, int]) -> None:
    """In one transaction: these clients' rows (clients, documents, attestations, receivables) replaced, and
    their marks cleared unless a newer event marked them again meanwhile."""
    with sql.transaction():
        for table in ROW_TABLES + KEPT_ON_READ:
            sql.select_in("rows.delete", group, table=table)
        for part, table in enumerate(ROW_TABLES):
            sql.insert("rows.insert", [r for client in rows for r in client[part]], table=table)
        for client_id in group:
            sql.execute("rows.clear_mark", (client_id, marks[client_id]))
        [(write,)] = sql.execute("rows.next_write")  # last: the counter's lock is held until the commit
        sql.insert("rows.count_writes", [(client_id, write) for client_id in group])


def rows_writes_head(sql: ViewSql) -> int:
    """The number of the last rewrite of any client's rows (`write_rows`)."""
    with sql.reading():
        return sql.execute("rows.writes_head")[0][0]


def keep_explanation(sql: ViewSql, number: str, client_id: str, body: str, head: int) -> bool:
    """Keeps a document's explanation worked out from the log up to `head`, if the log has not
    moved since and the client's rows are current (else it would outlive what it explains)."""
    with sql.transaction():
        current = sql.log_head() == head and not sql.select_in("rows.stale_of", [client_id])
        if current:
            sql.insert("explanations.insert", [(number, client_id, body)])
    return current
