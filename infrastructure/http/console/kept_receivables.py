"""Every client's receivable as of a day, kept in the serving process for the receivables page
(issue 18: < 200 ms at the benchmark's size). A client's receivable is worked out again only when
its kept rows were rewritten since (`projection_rows_written` counts the rewrites), or for another
day: after a write, the page works out the clients that write changed, not all of them."""

from __future__ import annotations

import threading
from datetime import date
from decimal import Decimal
from typing import Any

from domain.penalties import RateTable
from domain.terms_catalog import TermsCatalog
from projections.receivable_rows import receivable_clients, receivables_of
from projections.row_writes import rows_writes
from projections.sql import ViewSql


AMOUNTS = ("outstanding", "overdue", "penalties", "awaiting_urssaf", "credit")
Amounted = tuple[dict[str, Any], dict[str, Decimal]]  # a receivable's row, and its AMOUNTS read once


def amounted(row: dict[str, Any]) -> Amounted:
    return row, {k: Decimal(row[k]) for k in AMOUNTS}


class KeptReceivables:
    def __init__(self) -> None:
        self.as_of: date | None = None
        self.kept: dict[str, tuple[int, Amounted]] = {}  # client → (its rewrites, its receivable)
        self.lock = threading.Lock()

    def every_client(self, sql: ViewSql, catalog: TermsCatalog, ecb: RateTable, as_of: date) -> list[Amounted]:
        """Each client's receivable as `receivable_rows` gives it (`as_dict`), with its amounts, by client id."""
        with self.lock:
            if as_of != self.as_of:
                self.as_of, self.kept = as_of, {}
            # The counts are read before the bodies: a rewrite in between is worked out again next time.
            writes = rows_writes(sql)
            clients = receivable_clients(sql)
            changed = [c for c in clients if self.kept.get(c[0], (None,))[0] != writes.get(c[0], 0)]
            for row in receivables_of(sql, catalog, ecb, as_of, changed):
                self.kept[row.client_id] = (writes.get(row.client_id, 0), amounted(row.as_dict()))
            return [self.kept[client_id][1] for client_id, _, _ in clients]
