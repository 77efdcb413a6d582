"""Business calendar: Europe/Paris time, jours ouvrables, monthly anniversaries.

Pure functions only: no I/O and no clock. Every "now" is passed in by the caller.

Jours ouvrables (BTBCONNECT CGPS art. 1, 6.2, 7): every day except Sundays and
French public holidays (metropolitan list from the `holidays` package, country
"FR" with no subdivision). Saturdays count. The day of the event itself never
counts, and a deadline ends at 23:59:59.999999 Paris time of its last day.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo


PARIS: ZoneInfo = ZoneInfo("Europe/Paris")

_SUNDAY = 6  # date.weekday() value
_ONE_DAY = timedelta(days=1)


# --- Paris time -------------------------------------------------------------

# The business dates the engine takes (README): wide enough for any contract, and far inside
# what `datetime` can carry across time zones (year 1 or 9999 with an offset overflows).
EARLIEST, LATEST = date(2000, 1, 1), date(2100, 12, 31)


def out_of_range(day: date) -> str | None:
    """Why the day is refused, or None."""
    if EARLIEST <= day <= LATEST:
        return None
    return f"{day.isoformat()} is out of range: dates lie between {EARLIEST} and {LATEST}"



@lru_cache(maxsize=1 << 17)
def paris_date(moment: datetime) -> date:
    """The Europe/Paris calendar date of an aware datetime."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"naive datetime has no time zone: {moment!r}")
    return moment.astimezone(PARIS).date()


def start_of_day(day: date) -> datetime:
    """00:00 Europe/Paris on `day` (aware). Paris DST never skips midnight."""
    return datetime.combine(day, time.min, tzinfo=PARIS)


def end_of_day(day: date) -> datetime:
    """23:59:59.999999 Europe/Paris on `day` (aware)."""
    return datetime.combine(day, time.max, tzinfo=PARIS)


# --- Jours ouvrables --------------------------------------------------------


@lru_cache(maxsize=None)
def _public_holidays(year: int) -> frozenset[date]:
    """French metropolitan public holidays of one year, built once per year."""
    import holidays  # here: reads that need no business days do without its import

    return frozenset(holidays.country_holidays("FR", years=year).keys())


def is_jour_ouvrable(day: date) -> bool:
    """True unless `day` is a Sunday or a French public holiday."""
    return day.weekday() != _SUNDAY and day not in _public_holidays(day.year)


def add_jours_ouvrables(day: date, count: int) -> date:
    """The `count`-th jour ouvrable strictly after `day`; `day` itself if count == 0."""
    if count < 0:
        raise ValueError(f"count must be >= 0, got {count}")
    current = day
    remaining = count
    while remaining:
        current += _ONE_DAY
        if is_jour_ouvrable(current):
            remaining -= 1
    return current


@lru_cache(maxsize=1 << 16)
def deadline_after(moment: datetime, jours_ouvrables: int) -> datetime:
    """End (Paris time) of the n-th jour ouvrable after the Paris date of `moment`."""
    return end_of_day(add_jours_ouvrables(paris_date(moment), jours_ouvrables))


# --- Months -----------------------------------------------------------------


def _days_in_month(year: int, month: int) -> int:
    if month == 12:
        return 31
    return (date(year, month + 1, 1) - _ONE_DAY).day


def month_end(day: date) -> date:
    """Last day of the calendar month containing `day`."""
    return day.replace(day=_days_in_month(day.year, day.month))


def add_months_clamped(day: date, months: int, anchor_day: int | None = None) -> date:
    """Monthly anniversary: day-of-month `anchor_day` (default `day.day`), `months`
    months after `day`'s month, clamped to that month's last day.

    add_months_clamped(date(2026, 1, 31), 1) == date(2026, 2, 28)
    add_months_clamped(date(2026, 2, 28), 1, anchor_day=31) == date(2026, 3, 31)
    """
    anchor = day.day if anchor_day is None else anchor_day
    if not 1 <= anchor <= 31:
        raise ValueError(f"anchor_day must be in 1..31, got {anchor}")
    year, month_index = divmod(day.year * 12 + (day.month - 1) + months, 12)
    month = month_index + 1
    return date(year, month, min(anchor, _days_in_month(year, month)))
