"""Finance's receivables from a fold (domain/receivables.py says what they are): per client,
what is owed on a date, how late, the credit, the penalties accrued, the open invoices."""

from __future__ import annotations

from datetime import date

from domain.allocation import Account
from domain.calendar import end_of_day
from domain.money import ZERO
from domain.penalties import RateTable
from domain.receivables import DocumentTerms, Receivable, fill
from domain.terms_catalog import TermsCatalog
from application.books.accounts import client_accounts, dues_by_client
from application.ledger import Ledger
from application.books.penalties import invoiced_penalties, is_penalty_document


def receivables(
    ledger: Ledger, catalog: TermsCatalog, ecb: RateTable, as_of: date,
    provider: str | None = None, client_id: str | None = None,
) -> list[Receivable]:
    accounts = client_accounts(ledger, catalog, end_of_day(as_of))
    dues = dues_by_client(ledger, catalog, end_of_day(as_of))
    already = invoiced_penalties(ledger)
    documents = document_terms(ledger)
    rows = []
    for client in sorted(ledger.clients(provider), key=lambda c: c.client_id):
        if client_id in (None, client.client_id):
            row = Receivable(client.client_id, client.name, client.provider,
                             invoiced_penalties=sum(already.get(client.client_id, {}).values(), ZERO))
            fill(row, dues.get(client.client_id, []), accounts.get(client.client_id, Account()), as_of,
                 catalog, ecb, documents)
            rows.append(row)
    return rows


def document_terms(ledger: Ledger) -> DocumentTerms:
    return {doc.number: (doc.terms, is_penalty_document(doc)) for doc in ledger.documents()}
