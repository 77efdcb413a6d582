"""Late-payment penalties (C. com. L441-10, D441-5; CGV art. 9): interest at the terms' rate on
the amount excluding tax still unpaid, pro rata per day from the due date, and a flat recovery
fee per late invoice."""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from domain.allocation import Account, Due
from domain.calendar import paris_date
from domain.money import ZERO, to_cents
from domain.terms import LatePaymentTerms


@dataclass(frozen=True)
class RateTable:
    """ECB main refinancing rates (percent) with the day each took effect."""

    rates: tuple[tuple[date, Decimal], ...]

    def on(self, day: date) -> Decimal:
        i = bisect_right([since for since, _ in self.rates], day)
        if i == 0:
            raise ValueError(f"no ECB rate known on {day}")
        return self.rates[i - 1][1]


@dataclass(frozen=True)
class Lateness:
    number: str
    due_on: date
    days_late: int
    unpaid: Decimal
    interest: Decimal


def annual_rate(terms: LatePaymentTerms, ecb: RateTable, day: date, due_on: date) -> Decimal:
    reference = half_year_start(day) if terms.ecb_rate_of == "half_year" else due_on
    return terms.ecb_multiplier * ecb.on(reference) + terms.points


def half_year_start(day: date) -> date:
    return date(day.year, 1 if day.month <= 6 else 7, 1)


def lateness(due: Due, account: Account, as_of: date, terms: LatePaymentTerms, ecb: RateTable) -> Lateness | None:
    """None when the due was paid by its due date (or is not due yet)."""
    payments = sorted((paris_date(a.at), a.amount) for a in account.applied if a.due.key == due.key)
    balance = due.amount - sum((amount for day, amount in payments if day <= due.payable_on), ZERO)
    if balance <= 0 or as_of <= due.payable_on:
        return None
    interest, day, last_day = ZERO, due.payable_on, due.payable_on
    for boundary in _boundaries(due.payable_on, as_of, payments):
        if balance > 0:
            rate = annual_rate(terms, ecb, day, due.payable_on)
            interest += balance * base_ratio(due, terms) * rate / 100 * (boundary - day).days / terms.day_count
            last_day = boundary
        balance -= sum((amount for paid_on, amount in payments if paid_on == boundary), ZERO)
        day = boundary
    return Lateness(due.number, due.payable_on, (last_day - due.payable_on).days, max(balance, ZERO),
                    to_cents(interest))


def base_ratio(due: Due, terms: LatePaymentTerms) -> Decimal:
    """The share of the unpaid TTC balance the interest runs on: all of it (the debt is the TTC
    amount: BTBCONNECT, C. com. L441-10), or its HT part (L'Étincelle's CGV art. 9)."""
    return Decimal(1) if terms.interest_base == "ttc" else due.ht_ratio


def _boundaries(due_on: date, as_of: date, payments: list[tuple[date, Decimal]]) -> list[date]:
    """Days where the unpaid balance or the rate may change, up to as_of."""
    days = {as_of} | {day for day, _ in payments if due_on < day < as_of}
    start = half_year_start(due_on)
    while (start := date(start.year + (start.month == 7), 1 if start.month == 7 else 7, 1)) < as_of:
        days.add(start)
    return sorted(days)
