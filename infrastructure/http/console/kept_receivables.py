"""Every client's receivable as of a day, kept in the serving process for the receivables page
(issue 18: < 200 ms at the benchmark's size). A client's receivable is worked out again only when
its kept rows were rewritten since (`projection_rows_written` counts the rewrites), or for another
day: after a write, the page works out the clients that write changed, not all of them, and its
books (totals, clients owing in order) take out their old receivables and add the new ones."""

from __future__ import annotations

import threading
from datetime import date

from domain.penalties import RateTable
from domain.terms_catalog import TermsCatalog
from infrastructure.http.console.receivable_books import Amounted, Book, amounted
from projections.receivable_rows import receivables_of, written_clients
from projections.sql import ViewSql


class KeptReceivables:
    def __init__(self) -> None:
        self.as_of: date | None = None
        self.kept: dict[str, tuple[int, Amounted]] = {}  # client → (its rewrites, its receivable)
        self.books: dict[str, Book] = {}  # provider → its book of the kept receivables
        self.lock = threading.RLock()  # held by a reader of the books too

    def update(self, sql: ViewSql, catalog: TermsCatalog, ecb: RateTable, as_of: date) -> dict[str, Book]:
        """The books of every client's receivable as of `as_of`; hold `lock` while reading them."""
        with self.lock:
            if as_of != self.as_of:
                self.as_of, self.kept, self.books = as_of, {}, {}
            clients = written_clients(sql)  # with its rewrites: one rewritten later is worked out again next time
            for gone in self.kept.keys() - {c[0] for c in clients}:
                self.replace(gone, None)
            changed = [c for c in clients if self.kept.get(c[0], (None,))[0] != c[3]]
            written = {c[0]: c[3] for c in changed}
            for row in receivables_of(sql, catalog, ecb, as_of, [c[:3] for c in sorted(changed)]):
                self.replace(row.client_id, (written[row.client_id], amounted(row.as_dict())))
            return self.books

    def replace(self, client_id: str, new: tuple[int, Amounted] | None) -> None:
        old = self.kept.pop(client_id, None)
        if old is not None:
            self.books[old[1][0]["provider"]].take_out(old[1])
        if new is not None:
            self.kept[client_id] = new
            self.books.setdefault(new[1][0]["provider"], Book()).add(new[1])

    def every_client(self, sql: ViewSql, catalog: TermsCatalog, ecb: RateTable, as_of: date) -> list[Amounted]:
        """Each client's receivable as `receivable_rows` gives it (`as_dict`), with its amounts, by client id."""
        with self.lock:
            self.update(sql, catalog, ecb, as_of)
            return [self.kept[client_id][1] for client_id in sorted(self.kept)]
