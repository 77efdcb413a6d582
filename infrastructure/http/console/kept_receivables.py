"""Every client's receivable as of a day, kept in the serving process for the receivables page
(issue 18: < 200 ms at the benchmark's size). A client's receivable is worked out again only when
its kept rows were rewritten since (`projection_rows_written` holds the number of each client's
last rewrite), or for another day: after a write, the page reads the clients rewritten since the
last number it read and works those out, not all of them; its books (totals, clients owing in
order) take out their old receivables and add the new ones. Clients are never removed from the
rows; a number that went back (rows made anew) starts the books again."""

from __future__ import annotations

import threading
from datetime import date

from domain.penalties import RateTable
from domain.terms_catalog import TermsCatalog
from infrastructure.http.console.receivable_books import Amounted, Book, amounted
from projections.receivable_rows import receivables_of, written_clients
from projections.row_writes import rows_writes_head
from projections.sql import ViewSql


class KeptReceivables:
    def __init__(self) -> None:
        self.as_of: date | None = None
        self.seen = -1  # the number of the last rewrite of rows read (`projection_rows_writes`)
        self.kept: dict[str, tuple[int, Amounted]] = {}  # client → (its last rewrite, its receivable)
        self.books: dict[str, Book] = {}  # provider → its book of the kept receivables
        self.lock = threading.RLock()  # held by a reader of the books too

    def update(self, sql: ViewSql, catalog: TermsCatalog, ecb: RateTable, as_of: date) -> dict[str, Book]:
        """The books of every client's receivable as of `as_of`; hold `lock` while reading them."""
        with self.lock:
            head = rows_writes_head(sql)  # first: a rewrite numbered up to it is read now, one after it next time
            if as_of != self.as_of or head < self.seen:
                self.as_of, self.seen, self.kept, self.books = as_of, -1, {}, {}
            if head != self.seen:
                self.take(sql, catalog, ecb, written_clients(sql, None if self.seen < 0 else self.seen))
            self.seen = head
            return self.books

    def take(self, sql: ViewSql, catalog: TermsCatalog, ecb: RateTable, clients: list[tuple[str, str, str, int]]) -> None:
        """These clients' receivables worked out, unless kept of the same rewrite."""
        changed = [c for c in clients if self.kept.get(c[0], (None,))[0] != c[3]]
        written = {c[0]: c[3] for c in changed}
        for row in receivables_of(sql, catalog, ecb, self.as_of, [c[:3] for c in sorted(changed)]):
            self.replace(row.client_id, (written[row.client_id], amounted(row.as_dict())))

    def replace(self, client_id: str, new: tuple[int, Amounted]) -> None:
        old = self.kept.pop(client_id, None)
        if old is not None:
            self.books[old[1][0]["provider"]].take_out(old[1])
        self.kept[client_id] = new
        self.books.setdefault(new[1][0]["provider"], Book()).add(new[1])

    def every_client(self, sql: ViewSql, catalog: TermsCatalog, ecb: RateTable, as_of: date) -> list[Amounted]:
        """Each client's receivable as `receivable_rows` gives it (`as_dict`), with its amounts, by client id."""
        with self.lock:
            self.update(sql, catalog, ecb, as_of)
            return [self.kept[client_id][1] for client_id in sorted(self.kept)]
