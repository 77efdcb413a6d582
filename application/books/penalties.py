"""Penalties accrued per late document, and the penalty documents already issued for them."""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from decimal import Decimal

from domain.allocation import URSSAF, Account
from domain.calendar import end_of_day
from domain.issuing import IssuedDocument
from domain.money import ZERO
from domain.penalties import Lateness, RateTable, lateness
from domain.terms_catalog import TermsCatalog
from application.books.accounts import client_accounts, dues_by_client
from application.ledger import Ledger

PENALTY_KEY = "penalty:"


def is_penalty_document(doc: IssuedDocument) -> bool:
    return doc.key.startswith(PENALTY_KEY)


def is_penalty_original(doc: IssuedDocument) -> bool:
    return is_penalty_document(doc) and "corrects" not in doc.details


def invoiced_penalties(ledger: Ledger) -> dict[str, dict[str, Decimal]]:
    """client → late invoice number → interest and fees invoiced so far; what credit notes took
    back from penalty invoices (a fee never to be claimed from a consumer) under "credited"."""
    result: dict[str, dict[str, Decimal]] = defaultdict(lambda: defaultdict(lambda: ZERO))
    for doc in ledger.documents(is_penalty_document):
        for item in doc.details.get("penalties", []):
            result[doc.client_id][item["invoice"]] += item["interest"] + item["fee"]
        if doc.kind == "credit_note":
            result[doc.client_id]["credited"] += sum((line.total_ttc for line in doc.lines), ZERO)
    return result


def fees_invoiced(ledger: Ledger, client_id: str) -> set[str]:
    return {item["invoice"] for doc in ledger.documents() if doc.client_id == client_id and is_penalty_document(doc)
            for item in doc.details.get("penalties", []) if item["fee"] > 0}


def interest_invoiced(ledger: Ledger, client_id: str) -> dict[str, Decimal]:
    totals: dict[str, Decimal] = defaultdict(lambda: ZERO)
    for doc in ledger.documents():
        if doc.client_id == client_id and is_penalty_document(doc):
            for item in doc.details.get("penalties", []):
                totals[item["invoice"]] += item["interest"]
    return totals


def late_documents(
    ledger: Ledger, catalog: TermsCatalog, ecb: RateTable, client_id: str, as_of: date,
) -> list[tuple[IssuedDocument, Lateness]]:
    account = client_accounts(ledger, catalog, end_of_day(as_of)).get(client_id, Account())
    found = []
    for due in dues_by_client(ledger, catalog, end_of_day(as_of)).get(client_id, []):
        doc = ledger.document(due.number)
        if due.payer == URSSAF or is_penalty_document(doc):
            continue
        late = lateness(due, account, as_of, catalog.get(doc.terms).late_payment, ecb)
        if late is not None:
            found.append((doc, late))
    return found
