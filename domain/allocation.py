"""Payments applied to what is owed (INTERPRETATION.md, "Payments").

A payment that names an invoice settles it first; the rest, and a payment that names none,
settles the payer's oldest open dues, by business time. What is left is the client's credit,
which settles the next dues as they become owed. A bounced direct debit cancels the payment it
names. The order in which facts arrived does not matter.

With URSSAF's avance immédiate an invoice is owed in two parts: the eligible lines by URSSAF,
the rest by the client; URSSAF's payouts settle only URSSAF's parts.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from domain.calendar import paris_date, start_of_day
from domain.money import ZERO

CLIENT, URSSAF, CREDIT_NOTE = "client", "urssaf", "credit_note"


@dataclass(frozen=True)
class Due:
    number: str
    issued_on: date
    amount: Decimal
    payer: str = CLIENT
    since: datetime | None = None
    eligible: Decimal = ZERO
    hours: Decimal = ZERO
    credit: Decimal = ZERO
    due_on: date | None = None
    ht: Decimal | None = None

    @property
    def payable_on(self) -> date:
        return self.due_on or paris_date(self.owed_from)

    @property
    def ht_ratio(self) -> Decimal:
        return Decimal(1) if self.ht is None or not self.amount else self.ht / self.amount

    @property
    def owed_from(self) -> datetime:
        return self.since or start_of_day(self.issued_on)

    @property
    def key(self) -> tuple[str, str, datetime]:
        return (self.number, self.payer, self.owed_from)


@dataclass(frozen=True)
class Settlement:
    key: str
    at: datetime
    amount: Decimal
    invoice: str | None
    failed: bool = False
    payer: str = CLIENT
    direct_debit: bool = False


@dataclass(frozen=True)
class Applied:
    due: Due
    amount: Decimal
    at: datetime
    payer: str


@dataclass
class Account:
    paid: dict[tuple, Decimal] = field(default_factory=dict)
    credit: Decimal = ZERO
    applied: list[Applied] = field(default_factory=list)

    def balance(self, due: Due) -> Decimal:
        return due.amount - self.paid.get(due.key, ZERO)

    def paid_on(self, number: str) -> Decimal:
        return sum((v for k, v in self.paid.items() if k[0] == number), ZERO)

    def pay(self, due: Due, amount: Decimal, at: datetime, payer: str) -> None:
        self.paid[due.key] = self.paid.get(due.key, ZERO) + amount
        self.applied.append(Applied(due, amount, at, payer))


def allocate(dues: list[Due], settlements: list[Settlement]) -> Account:
    account = Account()
    timeline = [(d.owed_from, 0, d.number, d) for d in dues]
    timeline += [(s.at, 1, s.key, s) for s in without_bounced(settlements)]
    for _, _, _, item in sorted(timeline, key=lambda row: row[:3]):
        if isinstance(item, Due):
            if item.payer == CLIENT:
                account.credit = _settle(account, [item], account.credit, item.owed_from, CLIENT)
        elif item.failed:
            _reverse(account, item, dues)
        else:
            _pay(account, item, dues)
    return account


def _pay(account: Account, payment: Settlement, dues: list[Due]) -> None:
    """A credit note settles the client's dues as a payment would, without being money."""
    payer = URSSAF if payment.payer == URSSAF else CLIENT
    owed = sorted((d for d in dues if d.payer == payer and d.owed_from <= payment.at),
                  key=lambda d: (d.owed_from, d.number))
    named = [d for d in owed if d.number == payment.invoice]
    left = _settle(account, named, payment.amount, payment.at, payment.payer)
    left = _settle(account, owed, left, payment.at, payment.payer)
    if payer == CLIENT:
        account.credit += left


def _settle(account: Account, dues: list[Due], amount: Decimal, at: datetime, payer: str) -> Decimal:
    """Pays the dues in order from `amount`; returns what is left."""
    for due in dues:
        part = min(amount, account.balance(due))
        if part > 0:
            account.pay(due, part, at, payer)
            amount -= part
    return amount


def without_bounced(settlements: list[Settlement]) -> list[Settlement]:
    """A bounced direct debit cancels the direct debit it names (same invoice and amount,
    earlier): that money never arrived, wherever it had been applied."""
    kept = sorted(settlements, key=lambda s: (s.at, s.key))
    for failure in [s for s in kept if s.failed]:
        bounced = next((s for s in kept if s.direct_debit and not s.failed and s.invoice == failure.invoice
                        and s.amount == failure.amount and s.at <= failure.at), None)
        if bounced is not None:
            kept = [s for s in kept if s not in (bounced, failure)]
    return kept


def _reverse(account: Account, failure: Settlement, dues: list[Due]) -> None:
    """A bounce whose payment was never recorded re-opens what its invoice had received."""
    left = failure.amount
    for due in (d for d in dues if d.number == failure.invoice and d.payer == CLIENT):
        back = min(left, account.paid.get(due.key, ZERO))
        account.paid[due.key] = account.paid.get(due.key, ZERO) - back
        account.applied.append(Applied(due, -back, failure.at, CLIENT))
        left -= back
