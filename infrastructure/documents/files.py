"""`billing document NUMBER --xml FILE | --pdf FILE`: one issued document written as a file."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from domain.calendar import end_of_day
from domain.errors import BillingError, NotFound
from infrastructure.documents.facturx_xml import facturx_xml
from application.books.invoices import InvoiceFilter, invoice_rows
from application.ledger import Ledger


def document_row(ledger: Ledger, catalog: Any, identities: Any, number: str) -> dict[str, Any]:
    """The document as `billing invoices` reads it (payments as of its own issue date)."""
    doc = ledger.document(number)
    if doc is None:
        raise NotFound(f"no document {number!r} was issued; `billing invoices` lists them")
    keep = InvoiceFilter(doc.provider, doc.client_id, doc.issued_on, doc.issued_on)
    return next(r for r in invoice_rows(ledger, catalog, keep, end_of_day(doc.issued_on), identities)
                if r["number"] == number)


def write_file(path: str, content: bytes) -> None:
    target = Path(path)
    try:
        target.write_bytes(content)
    except OSError as exc:
        raise BillingError(f"cannot write {target}: {exc.strerror}; name a file in a folder you may write to") from None


def document_xml(row: dict[str, Any], catalog: Any) -> bytes:
    return facturx_xml(row, catalog.get(row["terms"]))
