"""What the console's pages show, read as the API and the command line read it: invoices and
attestations from the kept rows (`--known-at`: the fold of what was known then), receivables
from the kept rows, a document with its explanation from its client's events."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from itertools import islice
from typing import Any

from domain.calendar import end_of_day
from domain.money import fmt
from infrastructure.http.console import charts
from infrastructure.http.console.kept_receivables import KeptReceivables
from infrastructure.http.console.receivable_books import Book, amounted, books_of, first_owing, summed
from infrastructure.ecb_rates import load_ecb_rates
from infrastructure.http.tokens import ApiToken
from projections import row_reads
from application.books.attestations import attestation_rows
from application.books.invoices import InvoiceFilter, invoice_rows
from application.books.receivables import receivables

PAGE = 100  # documents per page of the list
SHOWN = 200  # rows of a client table on one page; a search finds the others
STATUSES = {"paid": "payée", "open": "ouverte", "overdue": "en retard"}


@dataclass(frozen=True)
class Search:
    as_of: date
    known_at: datetime | None = None
    provider: str | None = None
    client: str | None = None
    from_date: date | None = None
    to_date: date | None = None
    status: str | None = None


def status(row: dict[str, Any], as_of: date) -> str:
    if Decimal(row["balance"]) <= 0:
        return "paid"
    return "overdue" if date.fromisoformat(row["due_on"]) < as_of else "open"


def invoices(s: Any, token: ApiToken, q: Search) -> tuple[list[dict[str, Any]], bool]:
    """The first PAGE documents found, newest first, and whether there are more."""
    def found(rows: Iterator[dict[str, Any]]) -> tuple[list[dict[str, Any]], bool]:
        kept = (r | {"status": status(r, q.as_of)} for r in rows if r["provider"] in token.providers)
        page = list(islice((r for r in kept if q.status in (None, r["status"])), PAGE + 1))
        return page[:PAGE], len(page) > PAGE

    if q.known_at is not None:
        keep = InvoiceFilter(q.provider, q.client, q.from_date, q.to_date)
        rows = invoice_rows(s.ledger(q.client, q.known_at), s.catalog, keep, end_of_day(q.as_of), s.identities)
        return found(reversed(rows))
    with s.rows([q.client] if q.client else None) as sql:
        return found(row_reads.newest_invoice_rows(sql, q.as_of, q.provider, q.client, q.from_date, q.to_date))


def payments_of(s: Any, number: str) -> list[list]:
    """The document's settlement as of each day it changed: [day, paid, balance, URSSAF status]."""
    with s.rows() as sql:
        return row_reads.document_steps(sql, number)[1:]  # the first holds before anything


def receivables_view(s: Any, token: ApiToken, q: Search) -> dict[str, Any]:
    """What the receivables page shows (the clients owing most, totals, charts). The same question
    asked again of the same log (its head) is answered from the answers kept in this process."""
    if q.known_at is not None:
        return receivables_page(in_scope(books_known_at(s, q), token, q), revenue_by_month(s, token))
    with s.rows() as sql:
        key = (sql.log_head(), q.as_of, q.provider, token.providers)
    answers = s.kept.setdefault("receivables_pages", {})  # (log head, as of, provider, scope) → data, oldest first
    if key not in answers:
        answers[key] = kept_page(s, token, q)
        while len(answers) > KEPT_ANSWERS:
            answers.pop(next(iter(answers)))
    return answers[key]


KEPT_ANSWERS = 8


def kept_page(s: Any, token: ApiToken, q: Search) -> dict[str, Any]:
    kept, months = kept_receivables(s), revenue_by_month(s, token)
    with s.rows() as sql, kept.lock:
        books = kept.update(sql, s.catalog, load_ecb_rates(), q.as_of)
        return receivables_page(in_scope(books, token, q), months)


def in_scope(books: dict[str, Book], token: ApiToken, q: Search) -> list[Book]:
    """The books of the providers the token may read and the search asks for."""
    return [b for p, b in sorted(books.items()) if p in token.providers and q.provider in (None, p)]


def receivables_page(books: list[Book], months: dict[str, dict[str, Decimal]]) -> dict[str, Any]:
    shown = first_owing(books, SHOWN)
    return {"rows": shown, "owing": sum(len(b.owing) for b in books), "clients": sum(b.clients for b in books),
            "totals": {k: fmt(v) for k, v in summed(books).items()},
            "ageing": charts.ageing_chart(shown[:charts.CLIENT_BARS]), "revenue": charts.revenue_chart(months)}


def warm_receivables(s: Any, day: date) -> None:
    """Every client's receivable as of `day` and the revenue by month, worked out and kept for
    the page's next loads."""
    with s.rows() as sql:
        kept_receivables(s).update(sql, s.catalog, load_ecb_rates(), day)
    followed_totals(s)


def kept_receivables(s: Any) -> KeptReceivables:
    return s.kept.setdefault("receivables", KeptReceivables())


def books_known_at(s: Any, q: Search) -> dict[str, Book]:
    """The books of every client's receivable as known at `q.known_at`, folded from the log."""
    rows = (r for ledger in s.ledgers(None, q.known_at) for r in receivables(ledger, s.catalog, load_ecb_rates(),
                                                                             q.as_of, q.provider))
    return books_of(amounted(r.as_dict()) for r in rows)


def revenue_by_month(s: Any, token: ApiToken) -> dict[str, dict[str, Decimal]]:
    """Invoiced TTC (credit notes deducted) per month of issue and provider (the invoices view)."""
    months: dict[str, dict[str, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    for month, provider, ttc in followed_totals(s):
        if provider in token.providers:
            months[month][provider] += ttc
    return months


def followed_totals(s: Any) -> list[tuple[str, str, Decimal]]:
    """`row_reads.issued_totals` of the invoices view brought up to date, kept while no document
    is added to it (documents are only ever added, never changed: the same count, the same totals)."""
    s.follow_projections()  # the invoices view, which a store only ever read through its rows lacks
    with s.rows() as sql:
        count = row_reads.issued_count(sql)  # before the totals: one added in between is read again next time
        kept = s.kept.get("issued_totals")
        if kept is None or kept[0] != count:
            kept = s.kept["issued_totals"] = (count, row_reads.issued_totals(sql))
    return kept[1]


def attestation_list(s: Any, year: int, known_at: datetime | None, client: str | None = None) -> list[dict[str, Any]]:
    if known_at is not None:
        return attestation_rows(s.ledger(client, known_at), s.catalog, year, client)
    with s.rows([client] if client else None) as sql:
        return row_reads.attestation_rows(sql, year, client)
