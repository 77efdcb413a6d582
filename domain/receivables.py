"""What one client owes on a date (issue "Money owed"): how late, the credit not yet applied, the
penalties accrued, and the open invoices behind them; for L'Étincelle, what URSSAF has yet to pay
apart from what the client owes. Worked out from the client's dues and their allocation, however
these were found (a fold of the events, or the rows kept of it)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from domain.allocation import CLIENT, URSSAF, Account, Due
from domain.money import ZERO, fmt
from domain.penalties import RateTable, lateness
from domain.terms_catalog import TermsCatalog

BUCKETS = ("not_due", "1_30", "31_60", "61_90", "over_90")
DocumentTerms = Mapping[str, tuple[str, bool]]  # document number → its terms version, whether it bills penalties


def bucket(days_overdue: int) -> str:
    for limit, name in ((0, "not_due"), (30, "1_30"), (60, "31_60"), (90, "61_90")):
        if days_overdue <= limit:
            return name
    return "over_90"


@dataclass
class Receivable:
    client_id: str
    name: str
    provider: str
    outstanding: Decimal = ZERO
    overdue: Decimal = ZERO
    awaiting_urssaf: Decimal = ZERO
    credit: Decimal = ZERO
    interest: Decimal = ZERO
    fees: Decimal = ZERO
    invoiced_penalties: Decimal = ZERO
    ageing: dict[str, Decimal] = field(default_factory=lambda: {b: ZERO for b in BUCKETS})
    open_invoices: list[dict[str, Any]] = field(default_factory=list)

    @property
    def penalties(self) -> Decimal:
        """Accrued and not yet invoiced."""
        return max(self.interest + self.fees - self.invoiced_penalties, ZERO)

    def as_dict(self) -> dict[str, Any]:
        return {
            "client_id": self.client_id, "name": self.name, "provider": self.provider,
            "outstanding": fmt(self.outstanding), "overdue": fmt(self.overdue),
            "penalties": fmt(self.penalties), "penalty_interest": fmt(self.interest),
            "recovery_fees": fmt(self.fees), "penalties_invoiced": fmt(self.invoiced_penalties),
            "awaiting_urssaf": fmt(self.awaiting_urssaf), "credit": fmt(self.credit),
            "ageing": {b: fmt(v) for b, v in self.ageing.items()}, "open_invoices": self.open_invoices,
        }


def fill(row: Receivable, dues: list[Due], account: Account, as_of: date, catalog: TermsCatalog,
         ecb: RateTable, documents: DocumentTerms) -> None:
    row.credit = account.credit
    late_numbers: set[str] = set()
    for due in dues:
        balance = account.balance(due)
        if due.payer == URSSAF:
            row.awaiting_urssaf += balance
            continue
        version, bills_penalties = documents[due.number]
        terms = catalog.get(version).late_payment
        late = None if bills_penalties else lateness(due, account, as_of, terms, ecb)  # no interest on interest
        if late is not None:
            row.interest += late.interest
            if due.number not in late_numbers:
                late_numbers.add(due.number)
                row.fees += terms.claimable_fee
        if balance > 0:
            add_open(row, due, balance, as_of)


def add_open(row: Receivable, due: Due, balance: Decimal, as_of: date) -> None:
    days = (as_of - due.payable_on).days
    row.outstanding += balance
    if days > 0:
        row.overdue += balance
    row.ageing[bucket(days)] += balance
    row.open_invoices.append({"number": due.number, "due_on": due.payable_on.isoformat(),
                              "amount": fmt(due.amount), "balance": fmt(balance),
                              "days_overdue": max(days, 0), "payer": CLIENT})
