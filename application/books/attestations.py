"""Annual tax attestations (CGV art. 8 bis 8.4): per client and calendar year, the eligible sums
settled in the year whoever paid them, the part URSSAF advanced, and the eligible hours behind
them. A part-paid invoice counts its eligible share in proportion."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from domain.allocation import CREDIT_NOTE, Account
from domain.calendar import end_of_day, paris_date
from domain.money import ZERO, fmt, to_cents
from domain.tax_attestations import TaxAttestation
from domain.terms_catalog import TermsCatalog
from application.books.accounts import Clients, client_accounts
from application.ledger import Ledger


@dataclass
class Attestation:
    client_id: str
    name: str
    year: int
    eligible_paid: Decimal = ZERO
    avance_immediate: Decimal = ZERO
    hours: Decimal = ZERO
    # month of the invoice → [eligible paid, hours]: the interventions by month (C. trav. D7233-1)
    months: dict[str, list[Decimal]] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {"client_id": self.client_id, "name": self.name, "year": self.year,
                "eligible_paid": fmt(self.eligible_paid), "avance_immediate": fmt(self.avance_immediate),
                "hours": float(self.hours.quantize(Decimal("0.01")))}

    def amounts(self) -> dict[str, Any]:
        """What an issued attestation states, as text (domain/tax_attestations.py)."""
        return {"eligible_paid": fmt(self.eligible_paid), "avance_immediate": fmt(self.avance_immediate),
                "paid_by_client": fmt(self.eligible_paid - self.avance_immediate), "hours": hours_text(self.hours),
                "months": [{"month": month, "eligible_paid": fmt(to_cents(paid)), "hours": hours_text(hours)}
                           for month, (paid, hours) in sorted(self.months.items())]}


def hours_text(hours: Decimal) -> str:
    return str(hours.quantize(Decimal("0.01")))


def attestations(ledger: Ledger, catalog: TermsCatalog, year: int, client_id: str | None = None,
                 only: Clients = None) -> list[Attestation]:
    """The year's attestations of every client, of `client_id`, or of the clients `only` names."""
    only = {client_id} if client_id is not None else only
    accounts = client_accounts(ledger, catalog, end_of_day(date(year, 12, 31)), "etincelle", only=only)
    return [attest(Attestation(client.client_id, client.name, year), accounts.get(client.client_id))
            for client in sorted(ledger.clients("etincelle"), key=lambda c: c.client_id)
            if only is None or client.client_id in only]


def attest(attestation: Attestation, account: Account | None) -> Attestation:
    for applied in account.applied if account else []:
        due = applied.due
        if paris_date(applied.at).year != attestation.year or not due.eligible or applied.payer == CREDIT_NOTE:
            continue
        share = applied.amount / due.amount
        attestation.eligible_paid += due.eligible * share
        attestation.avance_immediate += due.credit * share
        attestation.hours += due.hours * share
        month = attestation.months.setdefault(f"{due.issued_on:%Y-%m}", [ZERO, ZERO])
        month[0] += due.eligible * share
        month[1] += due.hours * share
    attestation.eligible_paid = to_cents(attestation.eligible_paid)
    attestation.avance_immediate = to_cents(attestation.avance_immediate)
    return attestation


def attestation_rows(ledger: Ledger, catalog: TermsCatalog, year: int, client_id: str | None = None) -> list[dict]:
    """The year's attestations as read: an issued one as it was issued (its last version: a
    reprint is identical), else the amounts so far, marked provisional (CONTRACT.md keys first)."""
    return [read_row(ledger.aggregates.get(TaxAttestation.id_for(a.client_id, year)), a)
            for a in attestations(ledger, catalog, year, client_id)]


def read_row(issued: TaxAttestation | None, computed: Attestation) -> dict[str, Any]:
    if issued is None or issued.last is None:
        return computed.amounts() | computed.as_dict() | {"status": "provisional"}
    content = issued.last.content
    return content | {"client_id": computed.client_id, "year": computed.year, "name": computed.name,
                      "eligible_paid": content["eligible_paid"], "avance_immediate": content["avance_immediate"],
                      "hours": float(content["hours"]), "status": "issued", "version": issued.last.number,
                      "issued_on": issued.last.issued_on.isoformat()}
