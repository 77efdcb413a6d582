"""Payments applied to invoices (INTERPRETATION.md, "Payments").

A payment that names an invoice settles it first; the rest, and a payment that names none,
settles the client's oldest open invoices, by business time. What is left is the client's
credit, which settles the next invoices as they are issued. A bounced direct debit takes back
what it had paid on its invoice. The order in which facts arrived does not matter.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from domain.calendar import start_of_day
from domain.money import ZERO


@dataclass(frozen=True)
class Due:
    number: str
    issued_on: date
    amount: Decimal


@dataclass(frozen=True)
class Settlement:
    key: str
    at: datetime
    amount: Decimal
    invoice: str | None
    failed: bool = False


@dataclass
class Account:
    paid: dict[str, Decimal] = field(default_factory=dict)
    credit: Decimal = ZERO

    def balance(self, due: Due) -> Decimal:
        return due.amount - self.paid.get(due.number, ZERO)


def allocate(dues: list[Due], settlements: list[Settlement]) -> Account:
    account = Account()
    settlements = without_bounced(settlements)
    by_number = {d.number: d for d in dues}
    timeline = [(start_of_day(d.issued_on), 0, d.number, d) for d in dues]
    timeline += [(s.at, 1, s.key, s) for s in settlements]
    for _, _, _, item in sorted(timeline, key=lambda row: row[:3]):
        if isinstance(item, Due):
            _settle(account, [item], account.credit, from_credit=True)
        elif item.failed:
            _reverse(account, item)
        else:
            _pay(account, item, by_number, dues)
    return account


def _pay(account: Account, payment: Settlement, by_number: dict[str, Due], dues: list[Due]) -> None:
    left = payment.amount
    named = by_number.get(payment.invoice or "")
    if named is not None:
        left = _settle(account, [named], left)
    issued = [d for d in dues if start_of_day(d.issued_on) <= payment.at]
    account.credit += _settle(account, sorted(issued, key=lambda d: (d.issued_on, d.number)), left)


def _settle(account: Account, dues: list[Due], amount: Decimal, from_credit: bool = False) -> Decimal:
    """Pays the dues in order from `amount`; returns what is left."""
    for due in dues:
        part = min(amount, account.balance(due))
        if part > 0:
            account.paid[due.number] = account.paid.get(due.number, ZERO) + part
            amount -= part
            if from_credit:
                account.credit -= part
    return amount


def without_bounced(settlements: list[Settlement]) -> list[Settlement]:
    """A bounced direct debit cancels the payment it names (same invoice and amount, earlier):
    that money never arrived, wherever it had been applied."""
    kept = sorted(settlements, key=lambda s: (s.at, s.key))
    for failure in [s for s in kept if s.failed]:
        bounced = next((s for s in kept if not s.failed and s.invoice == failure.invoice
                        and s.amount == failure.amount and s.at <= failure.at), None)
        if bounced is not None:
            kept = [s for s in kept if s not in (bounced, failure)]
    return kept


def _reverse(account: Account, failure: Settlement) -> None:
    """A bounce whose payment was never recorded re-opens what its invoice had received."""
    paid = account.paid.get(failure.invoice or "", ZERO)
    account.paid[failure.invoice or ""] = paid - min(paid, failure.amount)
