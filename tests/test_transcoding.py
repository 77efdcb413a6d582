"""The store's transcoding: money and business dates come back exactly as they were recorded."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from application.app import BillingApp

TRANSCODER = BillingApp(env={"PERSISTENCE_MODULE": "eventsourcing.popo"}).mapper.transcoder

amounts = st.decimals(allow_nan=False, allow_infinity=False, places=2, min_value=-10**9, max_value=10**9)
moments = st.datetimes(timezones=st.sampled_from([timezone.utc, timezone(timedelta(hours=2))]))


@given(amount=amounts, day=st.dates(), moment=moments)
def test_decimals_dates_and_moments_round_trip_exactly(amount: Decimal, day: date, moment: datetime) -> None:
    payload = {"amount": amount, "day": day, "at": moment, "lines": [{"total": amount}]}
    back = TRANSCODER.decode(TRANSCODER.encode(payload))
    assert back == payload
    assert str(back["amount"]) == str(amount)  # the exponent too: 590.00 stays 590.00
    assert type(back["day"]) is date and back["at"].utcoffset() == moment.utcoffset()
