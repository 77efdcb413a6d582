"""Finance's view of issued documents: the contract's JSON, with what has been paid."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from typing import Any

from domain.allocation import Account, Due, Settlement, allocate
from domain.documents import Line
from domain.issuing import IssuedDocument
from domain.money import fmt
from domain.records import Payment
from projections.ledger import Ledger


@dataclass(frozen=True)
class InvoiceFilter:
    provider: str | None = None
    client_id: str | None = None
    from_date: date | None = None
    to_date: date | None = None

    def keeps(self, doc: IssuedDocument) -> bool:
        return (
            self.provider in (None, doc.provider)
            and self.client_id in (None, doc.client_id)
            and (self.from_date is None or doc.issued_on >= self.from_date)
            and (self.to_date is None or doc.issued_on <= self.to_date)
        )


def accounts(ledger: Ledger) -> dict[str, Account]:
    """Each client's payments applied to its documents."""
    dues: dict[str, list[Due]] = defaultdict(list)
    for doc in ledger.documents():
        dues[doc.client_id].append(Due(doc.number, doc.issued_on, doc.draft.total_ttc))
    settlements: dict[str, list[Settlement]] = defaultdict(list)
    for p in ledger.of_type(Payment):
        settlements[p.client_id].append(settlement(p))
    clients = set(dues) | set(settlements)
    return {c: allocate(dues.get(c, []), settlements.get(c, [])) for c in clients}


def settlement(payment: Payment) -> Settlement:
    return Settlement(payment.key, payment.at, payment.amount, payment.invoice, payment.kind == "failed")


def invoice_rows(ledger: Ledger, keep: InvoiceFilter) -> list[dict[str, Any]]:
    books = accounts(ledger)
    return [document_json(doc, books.get(doc.client_id, Account())) for doc in ledger.documents() if keep.keeps(doc)]


def document_json(doc: IssuedDocument, account: Account) -> dict[str, Any]:
    draft = doc.draft
    paid = account.paid.get(doc.number)
    return {
        "number": doc.number,
        "kind": doc.kind,
        "provider": doc.provider,
        "client_id": doc.client_id,
        "issued_on": doc.issued_on.isoformat(),
        "due_on": doc.due_on.isoformat(),
        "terms": doc.terms,
        "key": doc.key,
        "lines": [line_json(line) for line in doc.lines],
        "total_ht": fmt(draft.total_ht),
        "total_vat": fmt(draft.total_vat),
        "total_ttc": fmt(draft.total_ttc),
        "paid": fmt(paid) if paid is not None else "0.00",
        "balance": fmt(draft.total_ttc - (paid or 0)),
        "notes": list(doc.notes),
    }


def line_json(line: Line) -> dict[str, Any]:
    return {
        "code": line.code,
        "description": line.description,
        "quantity": str(line.quantity),
        "unit_price": fmt(line.unit_price),
        "total_ht": fmt(line.total_ht),
        "vat_rate": f"{line.vat_rate.normalize():f}",
        "vat": fmt(line.vat),
        "total_ttc": fmt(line.total_ttc),
        "mention": line.mention,
        "article": line.article,
        "sources": list(line.sources),
    }
