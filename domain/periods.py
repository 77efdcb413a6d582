"""BTBCONNECT periods: monthly from the anniversary date (CGPS art. 1, 4.2).

Period k runs from échéance k (included) to échéance k+1 (excluded); échéance 0 is the
subscription date, and the day of month is clamped to the month's end.
"""

from __future__ import annotations

from datetime import date
from functools import lru_cache

from domain.calendar import add_months_clamped


@lru_cache(maxsize=1 << 16)
def echeance(start: date, k: int) -> date:
    return add_months_clamped(start, k, anchor_day=start.day)


def period_index(start: date, day: date) -> int:
    """The period that contains `day` (negative before the start)."""
    k = (day.year - start.year) * 12 + day.month - start.month
    if echeance(start, k) > day:
        k -= 1
    return k


def first_echeance_on_or_after(start: date, day: date) -> int:
    k = period_index(start, day)
    return k if echeance(start, k) == day else k + 1


def end_index_after_notice(
    start: date, notified_on: date, first: int, minimum_periods: int, notice_days: int, block: int = 1,
) -> int:
    """Index of the échéance a notice ends on: at least `notice_days` before it, never before
    `first + minimum_periods`, and on a block boundary (prepaid quarters) counted from `first`."""
    k = max(first + minimum_periods, first_echeance_on_or_after(start, notified_on))
    while (echeance(start, k) - notified_on).days < notice_days or (k - first) % block:
        k += 1
    return k
