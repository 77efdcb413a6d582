from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import holidays
import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain import calendar as cal
from domain.calendar import (
    PARIS,
    add_jours_ouvrables,
    add_months_clamped,
    deadline_after,
    end_of_day,
    is_jour_ouvrable,
    month_end,
    paris_date,
    start_of_day,
)

# Independent oracle: one holidays object spanning the whole tested range (plus slack
# for results that run into 2101), built here rather than through the module's cache.
_ORACLE_HOLIDAYS = holidays.France(years=range(1999, 2103))

dates_2000_2100 = st.dates(min_value=date(2000, 1, 1), max_value=date(2100, 12, 31))
counts = st.integers(min_value=0, max_value=120)
positive_counts = st.integers(min_value=1, max_value=120)


def _oracle_is_ouvrable(day: date) -> bool:
    return day.weekday() != 6 and day not in _ORACLE_HOLIDAYS


# --- The CGPS example ------------------------------------------------------


def test_appointment_13_may_2026_deadline_is_end_of_20_may() -> None:
    appointment = datetime(2026, 5, 13, 10, 0, tzinfo=PARIS)
    assert add_jours_ouvrables(date(2026, 5, 13), 5) == date(2026, 5, 20)
    deadline = deadline_after(appointment, 5)
    assert deadline == datetime(2026, 5, 20, 23, 59, 59, 999999, tzinfo=PARIS)
    assert datetime(2026, 5, 20, 23, 59, tzinfo=PARIS) <= deadline
    assert datetime(2026, 5, 21, 0, 0, tzinfo=PARIS) > deadline
    assert start_of_day(date(2026, 5, 21)) > deadline


def test_appointment_13_may_2026_counted_days() -> None:
    counted = [add_jours_ouvrables(date(2026, 5, 13), n) for n in range(1, 6)]
    assert counted == [
        date(2026, 5, 15),  # Fri (Thu 14 is Ascension)
        date(2026, 5, 16),  # Sat counts
        date(2026, 5, 18),  # Mon (Sun 17 skipped)
        date(2026, 5, 19),
        date(2026, 5, 20),
    ]


def test_deadline_uses_paris_date_of_utc_moment() -> None:
    # 22:30 UTC on 12 May is 00:30 on 13 May in Paris (CEST, UTC+2).
    moment = datetime(2026, 5, 12, 22, 30, tzinfo=timezone.utc)
    assert deadline_after(moment, 5) == end_of_day(date(2026, 5, 20))


def test_deadline_zero_days_is_end_of_same_paris_day() -> None:
    moment = datetime(2026, 5, 13, 8, 0, tzinfo=PARIS)
    assert deadline_after(moment, 0) == end_of_day(date(2026, 5, 13))


# --- Holidays, Saturdays, Sundays ------------------------------------------

HOLIDAYS_2026 = [
    date(2026, 1, 1),
    date(2026, 4, 6),  # Easter Monday
    date(2026, 5, 1),
    date(2026, 5, 8),
    date(2026, 5, 14),  # Ascension
    date(2026, 5, 25),  # Whit Monday: in the `holidays` FR list
    date(2026, 7, 14),
    date(2026, 8, 15),  # a Saturday in 2026
    date(2026, 11, 1),  # a Sunday in 2026
    date(2026, 11, 11),
    date(2026, 12, 25),
]


@pytest.mark.parametrize("holiday", HOLIDAYS_2026, ids=str)
def test_2026_public_holidays_are_not_jours_ouvrables(holiday: date) -> None:
    assert not is_jour_ouvrable(holiday)


@pytest.mark.parametrize("holiday", HOLIDAYS_2026, ids=str)
def test_2026_public_holidays_are_skipped(holiday: date) -> None:
    before = holiday - timedelta(days=1)
    assert add_jours_ouvrables(before, 1) != holiday
    assert add_jours_ouvrables(before, 1) > holiday


def test_2026_holiday_list_matches_package() -> None:
    # Guards the parametrised list above against drifting from the package.
    package = set(holidays.France(years=2026))
    assert package == set(HOLIDAYS_2026)
    assert date(2026, 8, 15).weekday() == 5
    assert date(2026, 11, 1).weekday() == 6


def test_whit_monday_2026_then_tuesday() -> None:
    # Sat 23 counts, Sun 24 and Whit Monday 25 are skipped.
    assert add_jours_ouvrables(date(2026, 5, 22), 1) == date(2026, 5, 23)
    assert add_jours_ouvrables(date(2026, 5, 22), 2) == date(2026, 5, 26)


def test_saturday_counts_sunday_does_not() -> None:
    saturday, sunday, monday = date(2026, 6, 6), date(2026, 6, 7), date(2026, 6, 8)
    assert (saturday.weekday(), sunday.weekday()) == (5, 6)
    assert is_jour_ouvrable(saturday)
    assert not is_jour_ouvrable(sunday)
    assert add_jours_ouvrables(date(2026, 6, 5), 1) == saturday
    assert add_jours_ouvrables(saturday, 1) == monday


def test_ordinary_weekdays_are_jours_ouvrables() -> None:
    for offset in range(6):  # Mon 1 June .. Sat 6 June 2026
        assert is_jour_ouvrable(date(2026, 6, 1) + timedelta(days=offset))


def test_count_zero_returns_day_and_negative_raises() -> None:
    assert add_jours_ouvrables(date(2026, 5, 17), 0) == date(2026, 5, 17)
    with pytest.raises(ValueError):
        add_jours_ouvrables(date(2026, 5, 13), -1)


def test_holidays_built_once_per_year(monkeypatch: pytest.MonkeyPatch) -> None:
    built: list[object] = []
    real = holidays.country_holidays

    def counting(*args: object, **kwargs: object) -> object:
        built.append(kwargs.get("years"))
        return real(*args, **kwargs)

    monkeypatch.setattr(holidays, "country_holidays", counting)
    cal._public_holidays.cache_clear()
    try:
        for _ in range(3):
            day = date(2026, 1, 1)
            while day.year == 2026:
                is_jour_ouvrable(day)
                day += timedelta(days=1)
        add_jours_ouvrables(date(2026, 12, 20), 30)  # runs into 2027
        assert built == [2026, 2027]
    finally:
        cal._public_holidays.cache_clear()


# --- Time zone and DST -----------------------------------------------------


def test_end_of_day_on_spring_forward_day_is_cest() -> None:
    eod = end_of_day(date(2026, 3, 29))
    assert eod.utcoffset() == timedelta(hours=2)
    assert eod.astimezone(timezone.utc) == datetime(
        2026, 3, 29, 21, 59, 59, 999999, tzinfo=timezone.utc
    )


def test_end_of_day_on_fall_back_day_is_cet() -> None:
    eod = end_of_day(date(2026, 10, 25))
    assert eod.utcoffset() == timedelta(hours=1)
    assert eod.astimezone(timezone.utc) == datetime(
        2026, 10, 25, 22, 59, 59, 999999, tzinfo=timezone.utc
    )


def test_start_of_day_offsets_on_change_days() -> None:
    assert start_of_day(date(2026, 3, 29)).utcoffset() == timedelta(hours=1)
    assert start_of_day(date(2026, 10, 25)).utcoffset() == timedelta(hours=2)
    assert start_of_day(date(2026, 3, 29)).astimezone(timezone.utc) == datetime(
        2026, 3, 28, 23, 0, tzinfo=timezone.utc
    )


def test_end_and_start_of_day_fields() -> None:
    eod = end_of_day(date(2026, 7, 1))
    assert (eod.hour, eod.minute, eod.second, eod.microsecond) == (23, 59, 59, 999999)
    assert eod.tzinfo is PARIS
    sod = start_of_day(date(2026, 7, 1))
    assert (sod.hour, sod.minute, sod.second, sod.microsecond) == (0, 0, 0, 0)
    assert sod.tzinfo is PARIS


def test_paris_date_crosses_midnight() -> None:
    assert paris_date(datetime(2026, 3, 28, 23, 30, tzinfo=timezone.utc)) == date(2026, 3, 29)
    assert paris_date(datetime(2026, 3, 28, 22, 59, tzinfo=timezone.utc)) == date(2026, 3, 28)
    assert paris_date(datetime(2026, 7, 1, 21, 59, tzinfo=timezone.utc)) == date(2026, 7, 1)
    assert paris_date(datetime(2026, 7, 1, 22, 0, tzinfo=timezone.utc)) == date(2026, 7, 2)


def test_naive_datetime_raises() -> None:
    with pytest.raises(ValueError):
        paris_date(datetime(2026, 5, 13, 10, 0))
    with pytest.raises(ValueError):
        deadline_after(datetime(2026, 5, 13, 10, 0), 5)


@given(dates_2000_2100)
def test_start_and_end_of_day_round_trip(day: date) -> None:
    assert paris_date(start_of_day(day)) == day
    assert paris_date(end_of_day(day)) == day
    assert paris_date(end_of_day(day) + timedelta(microseconds=1)) == day + timedelta(days=1)


# --- add_jours_ouvrables properties ----------------------------------------


@given(dates_2000_2100, positive_counts)
def test_result_is_never_sunday_or_holiday(day: date, n: int) -> None:
    result = add_jours_ouvrables(day, n)
    assert result.weekday() != 6
    assert result not in _ORACLE_HOLIDAYS


@given(dates_2000_2100, positive_counts)
def test_result_strictly_after_start(day: date, n: int) -> None:
    assert add_jours_ouvrables(day, n) > day


@given(dates_2000_2100, dates_2000_2100, counts)
def test_monotonic_in_start_date(a: date, b: date, n: int) -> None:
    d1, d2 = sorted((a, b))
    assert add_jours_ouvrables(d1, n) <= add_jours_ouvrables(d2, n)


@given(dates_2000_2100, counts)
def test_strictly_increasing_in_count(day: date, n: int) -> None:
    assert add_jours_ouvrables(day, n) < add_jours_ouvrables(day, n + 1)


@given(dates_2000_2100, counts, counts)
def test_composition(day: date, a: int, b: int) -> None:
    assert add_jours_ouvrables(day, a + b) == add_jours_ouvrables(add_jours_ouvrables(day, a), b)


@given(dates_2000_2100, counts)
def test_counts_exactly_n_jours_ouvrables(day: date, n: int) -> None:
    result = add_jours_ouvrables(day, n)
    span = (result - day).days
    after_start = [day + timedelta(days=i) for i in range(1, span + 1)]
    assert sum(_oracle_is_ouvrable(d) for d in after_start) == n
    if n >= 1:
        assert _oracle_is_ouvrable(result)


@given(dates_2000_2100)
def test_is_jour_ouvrable_matches_oracle(day: date) -> None:
    assert is_jour_ouvrable(day) == _oracle_is_ouvrable(day)


# --- Months ----------------------------------------------------------------


def test_add_months_clamped_examples() -> None:
    assert add_months_clamped(date(2026, 1, 31), 1) == date(2026, 2, 28)
    assert add_months_clamped(date(2026, 1, 31), 2) == date(2026, 3, 31)
    assert add_months_clamped(date(2026, 1, 31), 3) == date(2026, 4, 30)
    assert add_months_clamped(date(2028, 1, 31), 1) == date(2028, 2, 29)
    assert add_months_clamped(date(2026, 11, 15), 2) == date(2027, 1, 15)
    assert add_months_clamped(date(2026, 3, 31), -1) == date(2026, 2, 28)
    assert add_months_clamped(date(2026, 5, 13), 0) == date(2026, 5, 13)


def test_anchor_restores_day_after_short_month() -> None:
    feb = add_months_clamped(date(2026, 1, 31), 1)
    assert feb == date(2026, 2, 28)
    assert add_months_clamped(feb, 1) == date(2026, 3, 28)  # without the anchor
    assert add_months_clamped(feb, 1, anchor_day=31) == date(2026, 3, 31)
    assert add_months_clamped(date(2026, 4, 30), 1, anchor_day=31) == date(2026, 5, 31)
    assert add_months_clamped(date(2026, 3, 31), 0, anchor_day=30) == date(2026, 3, 30)


def test_invalid_anchor_raises() -> None:
    with pytest.raises(ValueError):
        add_months_clamped(date(2026, 1, 1), 1, anchor_day=0)
    with pytest.raises(ValueError):
        add_months_clamped(date(2026, 1, 1), 1, anchor_day=32)


def test_month_end() -> None:
    assert month_end(date(2026, 2, 10)) == date(2026, 2, 28)
    assert month_end(date(2024, 2, 1)) == date(2024, 2, 29)
    assert month_end(date(2100, 2, 1)) == date(2100, 2, 28)
    assert month_end(date(2000, 2, 1)) == date(2000, 2, 29)
    assert month_end(date(2026, 4, 30)) == date(2026, 4, 30)
    assert month_end(date(2026, 12, 1)) == date(2026, 12, 31)


@given(dates_2000_2100)
def test_month_end_is_last_day(day: date) -> None:
    end = month_end(day)
    assert (end.year, end.month) == (day.year, day.month)
    assert end >= day
    assert (end + timedelta(days=1)).day == 1


@given(
    dates_2000_2100,
    st.integers(min_value=-240, max_value=240),
    st.one_of(st.none(), st.integers(min_value=1, max_value=31)),
)
def test_add_months_clamped_lands_in_right_month(
    day: date, months: int, anchor: int | None
) -> None:
    result = add_months_clamped(day, months, anchor)
    expected_index = day.year * 12 + day.month - 1 + months
    assert (result.year, result.month - 1) == divmod(expected_index, 12)
    assert result <= month_end(result)
    wanted = day.day if anchor is None else anchor
    assert result.day == min(wanted, month_end(result).day)
    if wanted <= month_end(result).day:
        assert result.day == wanted
