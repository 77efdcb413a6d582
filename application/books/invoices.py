"""Finance's view of issued documents: the contract's JSON, with what has been paid."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from domain.allocation import Account
from domain.calendar import end_of_day
from domain.clients import Client
from domain.identities import ProviderIdentities, buyer
from domain.mentions import legal_mentions
from domain.documents import Line
from domain.issuing import IssuedDocument
from domain.money import fmt
from domain.terms_catalog import TermsCatalog
from domain.urssaf_timeline import RequestTimeline
from application.books.accounts import client_accounts, timeline_of
from application.ledger import Ledger


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


def invoice_rows(
    ledger: Ledger, catalog: TermsCatalog, keep: InvoiceFilter, as_of: datetime, identities: ProviderIdentities,
) -> list[dict[str, Any]]:
    books = client_accounts(ledger, catalog, as_of)
    return [document_row(doc, ledger, catalog, identities) | settlement(doc, books.get(doc.client_id, Account()),
                                                                        timeline_of(ledger, catalog, doc), as_of)
            for doc in ledger.documents() if keep.keeps(doc)]


def document_row(doc: IssuedDocument, ledger: Ledger, catalog: TermsCatalog,
                 identities: ProviderIdentities) -> dict[str, Any]:
    """What a document says whatever the day it is read (`settlement` gives the rest)."""
    row = document_json(doc) | parties_json(doc, ledger, identities)
    row["mentions"] = mentions_json(legal_mentions(doc, catalog.get(doc.terms), row["seller"], row["buyer"]))
    return row


def settlement(doc: IssuedDocument, account: Account, timeline: RequestTimeline | None,
               as_of: datetime) -> dict[str, Any]:
    """What has been paid of a document as of a moment, and where its URSSAF request stands."""
    paid = account.paid_on(doc.number)
    found: dict[str, Any] = {"paid": fmt(paid), "balance": fmt(doc.draft.total_ttc - paid)}
    if timeline is not None:
        found["avance_immediate"] = avance_json(doc.details["avance_immediate"]) | {"status": timeline.status(as_of)}
    return found


def document_json(doc: IssuedDocument) -> dict[str, Any]:
    draft = doc.draft
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
        "paid": None,  # settlement(): the keys keep the contract's order
        "balance": None,
        "notes": list(doc.notes),
        **({"avance_immediate": avance_json(doc.details["avance_immediate"])}
           if doc.details.get("avance_immediate") else {}),
        **({"refers_to": {"number": doc.details["refers_to"]["number"],
                          "issued_on": doc.details["refers_to"]["issued_on"].isoformat()}}
           if doc.details.get("refers_to") else {}),
    }


def parties_json(doc: IssuedDocument, ledger: Ledger, identities: ProviderIdentities) -> dict[str, Any]:
    """The identities the document keeps; for one issued before documents kept them, those in
    force on its issue date, read now and said so (the document itself is never rewritten)."""
    if doc.seller is not None:
        return {"seller": doc.seller, "buyer": doc.buyer, "parties": "issued"}
    client = ledger.aggregates[Client.id_for(doc.client_id)]
    return {"seller": identities.seller(doc.provider, doc.issued_on), "buyer": buyer(client, end_of_day(doc.issued_on)),
            "parties": "read from the data in force on the issue date: issued before documents kept them"}


def mentions_json(m: dict[str, Any]) -> dict[str, Any]:
    out = m | {"vat_recap": [{"vat_rate": rate_text(r["vat_rate"]), "base_ht": fmt(r["base_ht"]), "vat": fmt(r["vat"]),
                              "mention": r["mention"]} for r in m["vat_recap"]],
               "due_on": m["due_on"].isoformat()}
    if "recovery_fee" in m:
        out["recovery_fee"] = fmt(m["recovery_fee"])
    if "corrects" in m:
        out["corrects"] = {"number": m["corrects"]["number"], "issued_on": m["corrects"]["issued_on"].isoformat()}
    if "services_a_la_personne" in m:
        out["services_a_la_personne"] = sap_json(m["services_a_la_personne"])
    return out


def sap_json(sap: dict[str, Any]) -> dict[str, Any]:
    return sap | {"interventions": [{"description": i["description"], "hours": str(i["hours"]),
                                     "hourly_rate": fmt(i["hourly_rate"])} for i in sap["interventions"]],
                  "hours": str(sap["hours"]),
                  "avance_immediate": avance_json(sap["avance_immediate"]) if sap["avance_immediate"] else None}


def rate_text(rate: Decimal) -> str:
    return f"{rate.normalize():f}"


def avance_json(info: dict) -> dict[str, str]:
    return {"amount": fmt(info["amount"]), "urssaf_share": fmt(info["urssaf_share"]),
            "client_share": fmt(info["client_share"]), "hours": str(info["hours"])}


def line_json(line: Line) -> dict[str, Any]:
    return {
        "code": line.code,
        "description": line.description,
        "quantity": str(line.quantity),
        "unit_price": fmt(line.unit_price),
        "total_ht": fmt(line.total_ht),
        "vat_rate": rate_text(line.vat_rate),
        "vat": fmt(line.vat),
        "total_ttc": fmt(line.total_ttc),
        "mention": line.mention,
        "article": line.article,
        "sources": list(line.sources),
        "sap_eligible": line.eligible,
    }
