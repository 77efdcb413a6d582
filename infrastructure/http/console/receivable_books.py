"""One provider's receivables as the console's receivables page adds them up: how many clients,
the totals, and the clients owing something in the page's order (most outstanding first, then by
client id). A client's receivable is added or taken out on its own, so that a page kept in the
serving process follows a write by the clients it changed, not by all of them (issue 18)."""

from __future__ import annotations

import heapq
from bisect import bisect_left, insort
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from itertools import islice
from typing import Any

AMOUNTS = ("outstanding", "overdue", "penalties", "awaiting_urssaf", "credit")
TOTALS = ("outstanding", "overdue", "penalties", "awaiting_urssaf")
Amounted = tuple[dict[str, Any], dict[str, Decimal]]  # a receivable's row, and its AMOUNTS read once


def amounted(row: dict[str, Any]) -> Amounted:
    return row, {k: Decimal(row[k]) for k in AMOUNTS}


def owes(amounts: dict[str, Decimal]) -> bool:
    return bool(amounts["outstanding"] or amounts["credit"] or amounts["penalties"])


def place(entry: Amounted) -> tuple[Decimal, str]:
    return -entry[1]["outstanding"], entry[0]["client_id"]


@dataclass
class Book:
    clients: int = 0
    totals: dict[str, Decimal] = field(default_factory=lambda: dict.fromkeys(TOTALS, Decimal(0)))
    owing: list[tuple[Decimal, str]] = field(default_factory=list)  # place() of each client owing, sorted
    rows: dict[str, dict[str, Any]] = field(default_factory=dict)  # client id → row, of those owing

    def add(self, entry: Amounted) -> None:
        self.count(entry, 1)
        if owes(entry[1]):
            insort(self.owing, place(entry))
            self.rows[entry[0]["client_id"]] = entry[0]

    def take_out(self, entry: Amounted) -> None:
        self.count(entry, -1)
        if owes(entry[1]):
            del self.owing[bisect_left(self.owing, place(entry))]
            del self.rows[entry[0]["client_id"]]

    def count(self, entry: Amounted, sign: int) -> None:
        self.clients += sign
        for k in TOTALS:
            self.totals[k] += sign * entry[1][k]


def books_of(entries: Iterable[Amounted]) -> dict[str, Book]:
    """A book per provider of these receivables."""
    books: dict[str, Book] = {}
    for entry in entries:
        books.setdefault(entry[0]["provider"], Book()).add(entry)
    return books


def first_owing(books: list[Book], n: int) -> list[dict[str, Any]]:
    """The rows of the first `n` clients owing, across these books, in the page's order."""
    def rows_of(book: Book) -> Iterator[tuple[tuple[Decimal, str], dict[str, Any]]]:
        return ((p, book.rows[p[1]]) for p in book.owing)
    return [row for _, row in islice(heapq.merge(*map(rows_of, books), key=lambda pr: pr[0]), n)]


def summed(books: list[Book]) -> dict[str, Decimal]:
    return {k: sum((b.totals[k] for b in books), Decimal(0)) for k in TOTALS}
