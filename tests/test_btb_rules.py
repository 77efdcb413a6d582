"""BTBCONNECT billing rules (CGPS20260208-2 read with INTERPRETATION.md), on domain objects.

Every expected value below is worked out by hand from the terms; the comments show the sums.
"""

from __future__ import annotations

import calendar as stdcal
from datetime import date, datetime, time, timedelta, timezone
from decimal import Decimal
from zoneinfo import ZoneInfo

import holidays
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from domain.appointments import Appointment
from domain.base import Stamp
from domain.btb_billing import BtbBook, btb_drafts
from domain.clients import Client
from domain.errors import (
    AnomalyWindowClosed,
    BillingError,
    BreachNoticeRunning,
    StarterPackAlreadyOrdered,
    StarterPackExhausted,
)
from domain.starter_packs import StarterPack
from domain.subscriptions import Subscription
from infrastructure.terms_files import load_catalog

PARIS = ZoneInfo("Europe/Paris")
REF = "CGPS20260208-2"
CATALOG = load_catalog()
TERMS = CATALOG.get(REF)
MENTION_261C = "TVA non applicable – article 261 C du Code général des impôts"
RECORDED = datetime(2030, 1, 1, tzinfo=timezone.utc)

# INTERPRETATION.md, BTBCONNECT "Plans": included appointments / price of an extra one.
PLANS = {
    "START": (2, Decimal("169.00")),
    "GROW": (3, Decimal("159.00")),
    "DEV": (4, Decimal("149.00")),
    "SCALE": (5, Decimal("129.00")),
}


# --- helpers ------------------------------------------------------------------------------


def paris(y: int, m: int, d: int, h: int = 10, mi: int = 0) -> datetime:
    return datetime(y, m, d, h, mi, tzinfo=PARIS)


def new_client(client_id: str = "c1") -> Client:
    return Client.register(client_id, "btbconnect", "Agence Test", {}, Stamp(paris(2026, 4, 10), RECORDED))


def new_sub(
    start: datetime, plan: str = "GROW", fee: str = "590.00", prepaid: bool = False,
    sid: str = "s1", client_id: str = "c1",
) -> Subscription:
    return Subscription.start(
        subscription_id=sid, client_id=client_id, plan=plan, monthly_fee=Decimal(fee),
        prepaid_quarterly=prepaid, terms=REF, stamp=Stamp(start, RECORDED),
    )


def new_appt(
    aid: str, starts_at: datetime, sid: str | None = "s1", pack_id: str | None = None,
    honoured: bool = True, client_id: str = "c1",
) -> Appointment:
    appt = Appointment.schedule(aid, client_id, starts_at, sid, pack_id,
                                Stamp(starts_at - timedelta(days=3), RECORDED))
    if honoured:
        appt.honour(Stamp(starts_at + timedelta(hours=1), RECORDED))
    return appt


def drafts_for(subs=(), appts=(), pack=None, up_to=date(2030, 1, 1), client=None):
    book = BtbBook(client or new_client(), pack, list(subs), list(appts))
    return btb_drafts(book, CATALOG.get, up_to)


def fee_invoices(drafts):
    """Invoices that carry a subscription fee line, by issue (due) date."""
    return [d for d in drafts if any(l.code == "subscription_fee" for l in d.lines)]


def lines_of(drafts, code):
    return [l for d in drafts for l in d.lines if l.code == code]


def extras_invoices(drafts):
    return [d for d in drafts if any(l.code == "extra_appointments" for l in d.lines)]


def extras_quantity(drafts) -> Decimal:
    return sum((l.quantity for l in lines_of(drafts, "extra_appointments")), Decimal(0))


def events_of(aggregate, cls):
    return [e for e in aggregate.collect_events() if isinstance(e, cls)]


# --- the shipped terms are the ones these tests reason about ------------------------------


def test_shipped_terms_hold_the_interpretation_parameters() -> None:
    for plan, (included, price) in PLANS.items():
        assert TERMS.plans[plan].included == included
        assert TERMS.plans[plan].extra_price == price
    assert TERMS.commitment.minimum_periods == 3 and TERMS.commitment.notice_days == 15
    assert TERMS.multicanal.minimum_periods == 3 and TERMS.multicanal.notice_days == 15
    assert TERMS.validation.anomaly_window_jours_ouvrables == 5
    assert TERMS.starter_pack.appointments == 10
    assert TERMS.starter_pack.price_ttc == Decimal("1790.00")
    assert TERMS.breach.remedy_days == 15


# --- periods (art. 1 "date anniversaire", 4.2) ---------------------------------------------


def test_periods_from_31_january_clamp_to_month_end() -> None:
    sub = new_sub(paris(2027, 1, 31))
    invoices = fee_invoices(drafts_for([sub], up_to=date(2027, 4, 30)))
    # 31 Jan 2027 → 28 Feb (2027 is not a leap year) → 31 Mar → 30 Apr.
    assert [d.due_on for d in invoices] == [
        date(2027, 1, 31), date(2027, 2, 28), date(2027, 3, 31), date(2027, 4, 30),
    ]


def test_each_fee_invoice_covers_the_coming_period() -> None:
    sub = new_sub(paris(2027, 1, 31))
    invoices = fee_invoices(drafts_for([sub], up_to=date(2027, 4, 30)))
    expected = [  # (first day, last day) of the period the invoice bills
        ("31/01/2027", "27/02/2027"),
        ("28/02/2027", "30/03/2027"),
        ("31/03/2027", "29/04/2027"),
        ("30/04/2027", "30/05/2027"),
    ]
    for invoice, (first, last) in zip(invoices, expected, strict=True):
        (fee,) = [l for l in invoice.lines if l.code == "subscription_fee"]
        assert first in fee.description and last in fee.description
        assert fee.description.index(first) < fee.description.index(last)


def test_periods_from_31_may_2026() -> None:
    sub = new_sub(paris(2026, 5, 31))
    invoices = fee_invoices(drafts_for([sub], up_to=date(2026, 8, 31)))
    assert [d.due_on for d in invoices] == [
        date(2026, 5, 31), date(2026, 6, 30), date(2026, 7, 31), date(2026, 8, 31),
    ]
    (fee,) = invoices[1].lines
    assert "30/06/2026" in fee.description and "30/07/2026" in fee.description


def test_clamped_day_returns_to_the_anniversary_day() -> None:
    # 30 Jan 2028 (leap year) → 29 Feb → 30 Mar, not 29 Mar.
    sub = new_sub(paris(2028, 1, 30))
    invoices = fee_invoices(drafts_for([sub], up_to=date(2028, 3, 31)))
    assert [d.due_on for d in invoices] == [date(2028, 1, 30), date(2028, 2, 29), date(2028, 3, 30)]


def test_periods_from_29_february() -> None:
    # 29 Feb 2028 → 29 Mar → 29 Apr …; in 2029, 28 Feb then 29 Mar again.
    sub = new_sub(paris(2028, 2, 29))
    dues = [d.due_on for d in fee_invoices(drafts_for([sub], up_to=date(2029, 3, 31)))]
    assert dues[:3] == [date(2028, 2, 29), date(2028, 3, 29), date(2028, 4, 29)]
    assert dues[-2:] == [date(2029, 2, 28), date(2029, 3, 29)]
    assert len(dues) == 14


def test_every_invoice_states_the_late_payment_terms() -> None:
    # INTERPRETATION.md "Late payment": ECB rate + 10 points and the flat 40 € fee.
    sub = new_sub(paris(2026, 5, 4))
    sub.activate_option("multicanal", Decimal("250.00"), Stamp(paris(2026, 5, 20), RECORDED), TERMS)
    pack = StarterPack.order("p1", "c1", REF, Stamp(paris(2026, 4, 20), RECORDED))
    appts = [new_appt(f"a{d}", paris(2026, 5, d)) for d in (5, 6, 7, 11)]
    drafts = drafts_for([sub], appts, pack=pack, up_to=date(2026, 7, 31))
    assert {l.code for d in drafts for l in d.lines} >= {
        "starter_pack", "subscription_fee", "multicanal", "extra_appointments"}
    for d in drafts:
        assert any("10 points" in n and "40" in n for n in d.notes), d.notes


def test_start_date_is_the_paris_date() -> None:
    # 22:30 UTC on 30 Apr 2026 is 00:30 on 1 May in Paris: échéances on the 1st.
    sub = new_sub(datetime(2026, 4, 30, 22, 30, tzinfo=timezone.utc))
    invoices = fee_invoices(drafts_for([sub], up_to=date(2026, 6, 30)))
    assert [d.due_on for d in invoices] == [date(2026, 5, 1), date(2026, 6, 1)]


def test_fee_line_is_exempt_with_the_261c_mention_and_due_on_issue() -> None:
    sub = new_sub(paris(2026, 5, 4))
    (invoice,) = fee_invoices(drafts_for([sub], up_to=date(2026, 5, 4)))
    assert invoice.due_on == date(2026, 5, 4)
    assert invoice.payment_days == 0
    assert invoice.terms == REF
    (fee,) = invoice.lines
    assert fee.quantity == 1
    assert fee.unit_price == Decimal("590.00")
    assert fee.total_ht == Decimal("590.00")
    assert fee.vat_rate == 0 and fee.vat == 0
    assert fee.total_ttc == Decimal("590.00")
    assert fee.mention == MENTION_261C
    assert invoice.total_ttc == Decimal("590.00")


def test_no_fee_invoice_after_up_to() -> None:
    sub = new_sub(paris(2026, 5, 4))
    assert len(fee_invoices(drafts_for([sub], up_to=date(2026, 6, 3)))) == 1
    assert len(fee_invoices(drafts_for([sub], up_to=date(2026, 6, 4)))) == 2


# --- commitment and notice (art. 4.2) ------------------------------------------------------
# Subscription from 4 May 2026: échéances 4 May (0), 4 Jun (1), 4 Jul (2), 4 Aug (3),
# 4 Sep (4), 4 Oct (5), 4 Nov (6). The third period ends at échéance 3, 4 Aug.


def _cancel(notified_at: datetime) -> tuple[Subscription, date]:
    sub = new_sub(paris(2026, 5, 4))
    sub.collect_events()
    sub.notify_cancellation(Stamp(notified_at, RECORDED), TERMS)
    (event,) = events_of(sub, Subscription.CancellationNotified)
    return sub, event.ends_on


@pytest.mark.parametrize(
    ("notified_at", "ends_on"),
    [
        # 4 Sep − 20 Aug = 15 days: in time for 4 Sep.
        (paris(2026, 8, 20, 9), date(2026, 9, 4)),
        (paris(2026, 8, 20, 23, 59), date(2026, 9, 4)),
        # 14 days before 4 Sep: too late, the next échéance.
        (paris(2026, 8, 21, 0, 0), date(2026, 10, 4)),
        # 22:30 UTC on 20 Aug is 00:30 on 21 Aug in Paris (CEST).
        (datetime(2026, 8, 20, 22, 30, tzinfo=timezone.utc), date(2026, 10, 4)),
        (datetime(2026, 8, 20, 21, 30, tzinfo=timezone.utc), date(2026, 9, 4)),
        # 4 Aug − 20 Jul = 15 days: ends at échéance 3, the earliest possible end.
        (paris(2026, 7, 20), date(2026, 8, 4)),
        (paris(2026, 7, 21), date(2026, 9, 4)),
        # In the first or second period: never before the end of the third period.
        (paris(2026, 5, 4, 12), date(2026, 8, 4)),
        (paris(2026, 5, 10), date(2026, 8, 4)),
        (paris(2026, 6, 25), date(2026, 8, 4)),
        # On an échéance day itself: that échéance is 0 days away, the next one 31 days.
        (paris(2026, 8, 4), date(2026, 9, 4)),
        # 4 Nov − 20 Oct = 15 days; 21 Oct → 4 Dec.
        (paris(2026, 10, 20), date(2026, 11, 4)),
        (paris(2026, 10, 21), date(2026, 12, 4)),
    ],
)
def test_cancellation_end_date(notified_at: datetime, ends_on: date) -> None:
    sub, recorded_end = _cancel(notified_at)
    assert recorded_end == ends_on
    assert sub.ends_on(TERMS) == ends_on


def test_cancellation_in_first_period_bills_exactly_three_periods() -> None:
    sub, _ = _cancel(paris(2026, 5, 10))
    invoices = fee_invoices(drafts_for([sub], up_to=date(2027, 1, 1)))
    assert [d.due_on for d in invoices] == [date(2026, 5, 4), date(2026, 6, 4), date(2026, 7, 4)]


def test_cancellation_in_time_stops_fees_at_that_echeance() -> None:
    sub, _ = _cancel(paris(2026, 8, 20))
    invoices = fee_invoices(drafts_for([sub], up_to=date(2027, 1, 1)))
    assert [d.due_on for d in invoices] == [
        date(2026, 5, 4), date(2026, 6, 4), date(2026, 7, 4), date(2026, 8, 4),
    ]


def test_late_cancellation_bills_one_more_period() -> None:
    sub, _ = _cancel(paris(2026, 8, 21))
    invoices = fee_invoices(drafts_for([sub], up_to=date(2027, 1, 1)))
    assert invoices[-1].due_on == date(2026, 9, 4)
    assert len(invoices) == 5


def test_fees_run_on_without_cancellation() -> None:
    sub = new_sub(paris(2026, 5, 4))
    invoices = fee_invoices(drafts_for([sub], up_to=date(2027, 5, 4)))
    assert len(invoices) == 13  # tacit monthly renewal: 4 May 2026 .. 4 May 2027


def test_second_cancellation_refused() -> None:
    sub, _ = _cancel(paris(2026, 5, 10))
    with pytest.raises(BillingError):
        sub.notify_cancellation(Stamp(paris(2026, 6, 10), RECORDED), TERMS)


# --- prepaid quarterly (art. 4.3) ----------------------------------------------------------


def test_prepaid_quarter_one_invoice_per_three_periods() -> None:
    sub = new_sub(paris(2026, 5, 4), prepaid=True)
    invoices = fee_invoices(drafts_for([sub], up_to=date(2026, 11, 30)))
    assert [d.due_on for d in invoices] == [date(2026, 5, 4), date(2026, 8, 4), date(2026, 11, 4)]


def test_prepaid_quarter_lines_and_discount() -> None:
    sub = new_sub(paris(2026, 5, 4), prepaid=True)
    (invoice,) = drafts_for([sub], up_to=date(2026, 7, 31))
    fee = [l for l in invoice.lines if l.code == "subscription_fee"]
    discount = [l for l in invoice.lines if l.code == "prepayment_discount"]
    assert len(fee) == 1 and len(discount) == 1 and len(invoice.lines) == 2
    (fee,), (discount,) = fee, discount
    # 3 × 590.00 = 1770.00; 10 % of it = 177.00; 1770.00 − 177.00 = 1593.00.
    assert fee.quantity == 3
    assert fee.unit_price == Decimal("590.00")
    assert fee.total_ht == Decimal("1770.00") and fee.total_ttc == Decimal("1770.00")
    assert discount.total_ht == Decimal("-177.00") and discount.total_ttc == Decimal("-177.00")
    for line in (fee, discount):
        assert line.vat == 0 and line.vat_rate == 0
        assert line.mention == MENTION_261C
    assert invoice.total_ttc == Decimal("1593.00")
    assert invoice.total_vat == 0
    # The fee line covers the three periods: 4 May to 3 Aug 2026.
    assert "04/05/2026" in fee.description and "03/08/2026" in fee.description


def test_prepaid_discount_rounds_half_up() -> None:
    # 3 × 590.15 = 1770.45; 10 % = 177.045 → 177.05 half-up (177.04 half-even).
    sub = new_sub(paris(2026, 5, 4), fee="590.15", prepaid=True)
    (invoice,) = drafts_for([sub], up_to=date(2026, 5, 4))
    assert [l.total_ttc for l in invoice.lines] == [Decimal("1770.45"), Decimal("-177.05")]
    assert invoice.total_ttc == Decimal("1593.40")


def test_prepaid_discount_applies_to_the_fee_only() -> None:
    sub = new_sub(paris(2026, 5, 4), prepaid=True)
    sub.activate_option("multicanal", Decimal("250.00"), Stamp(paris(2026, 5, 4, 12), RECORDED), TERMS)
    invoices = drafts_for([sub], up_to=date(2026, 7, 31))
    first = invoices[0]
    assert first.due_on == date(2026, 5, 4)
    (discount,) = [l for l in first.lines if l.code == "prepayment_discount"]
    assert discount.total_ttc == Decimal("-177.00")  # not 10 % of the option too
    (option,) = [l for l in first.lines if l.code == "multicanal"]
    assert option.total_ttc == Decimal("300.00")
    # 1770.00 − 177.00 + 300.00
    assert first.total_ttc == Decimal("1893.00")
    # The option stays monthly: 4 Jun and 4 Jul bill it alone, with no fee.
    others = [d for d in invoices if d.due_on in (date(2026, 6, 4), date(2026, 7, 4))]
    assert len(others) == 2
    for d in others:
        assert [l.code for l in d.lines] == ["multicanal"]


# --- Multicanal option (art. 5) ------------------------------------------------------------


def _with_option(activated_at: datetime, fee_ht: str = "250.00") -> Subscription:
    sub = new_sub(paris(2026, 5, 4))
    sub.activate_option("multicanal", Decimal(fee_ht), Stamp(activated_at, RECORDED), TERMS)
    return sub


def _option_dates(drafts) -> list[date]:
    return [d.due_on for d in drafts if any(l.code == "multicanal" for l in d.lines)]


def test_multicanal_line_is_taxed_at_20_percent() -> None:
    sub = _with_option(paris(2026, 5, 20))
    drafts = drafts_for([sub], up_to=date(2026, 6, 4))
    (invoice,) = [d for d in drafts if d.due_on == date(2026, 6, 4)]
    (option,) = [l for l in invoice.lines if l.code == "multicanal"]
    (fee,) = [l for l in invoice.lines if l.code == "subscription_fee"]
    assert option.quantity == 1
    assert option.unit_price == Decimal("250.00")
    assert option.total_ht == Decimal("250.00")
    assert option.vat_rate == 20
    assert option.vat == Decimal("50.00")
    assert option.total_ttc == Decimal("300.00")
    assert option.mention is None
    assert fee.mention == MENTION_261C
    # 590.00 exempt + 250.00 HT / 50.00 VAT
    assert invoice.total_ht == Decimal("840.00")
    assert invoice.total_vat == Decimal("50.00")
    assert invoice.total_ttc == Decimal("890.00")


def test_multicanal_vat_rounds_on_the_line() -> None:
    # 99.99 × 20 % = 19.998 → 20.00; TTC 119.99.
    sub = _with_option(paris(2026, 5, 4, 12), fee_ht="99.99")
    options = lines_of(drafts_for([sub], up_to=date(2026, 6, 4)), "multicanal")
    assert len(options) == 2  # activated on échéance 0 (4 May), then 4 Jun
    for option in options:
        assert option.vat == Decimal("20.00") and option.total_ttc == Decimal("119.99")


def test_multicanal_billed_from_first_echeance_after_activation() -> None:
    sub = _with_option(paris(2026, 5, 20))
    drafts = drafts_for([sub], up_to=date(2026, 8, 4))
    assert _option_dates(drafts) == [date(2026, 6, 4), date(2026, 7, 4), date(2026, 8, 4)]
    (may,) = [d for d in drafts if d.due_on == date(2026, 5, 4)]
    assert [l.code for l in may.lines] == ["subscription_fee"]


def test_multicanal_activated_on_an_echeance_is_billed_on_it() -> None:
    sub = _with_option(paris(2026, 6, 4, 8))
    assert _option_dates(drafts_for([sub], up_to=date(2026, 7, 4))) == [
        date(2026, 6, 4), date(2026, 7, 4),
    ]


def test_multicanal_has_its_own_three_period_minimum() -> None:
    # Billed from 4 Jun (period 1): its third period ends on 4 Sep.
    sub = _with_option(paris(2026, 5, 20))
    sub.collect_events()
    sub.notify_option_cancellation("multicanal", Stamp(paris(2026, 6, 10), RECORDED), TERMS)
    (event,) = events_of(sub, Subscription.OptionCancellationNotified)
    assert event.ends_on == date(2026, 9, 4)
    drafts = drafts_for([sub], up_to=date(2026, 12, 31))
    assert _option_dates(drafts) == [date(2026, 6, 4), date(2026, 7, 4), date(2026, 8, 4)]
    # The subscription itself goes on.
    assert date(2026, 9, 4) in [d.due_on for d in fee_invoices(drafts)]
    assert date(2026, 12, 4) in [d.due_on for d in fee_invoices(drafts)]


@pytest.mark.parametrize(
    ("notified_at", "ends_on"),
    [
        # 4 Oct − 19 Sep = 15 days; 20 Sep is 14 days before (September has 30 days).
        (paris(2026, 9, 19), date(2026, 10, 4)),
        (paris(2026, 9, 20), date(2026, 11, 4)),
        # Within the minimum: 4 Sep at the earliest; 20 Aug is 15 days before it.
        (paris(2026, 8, 20), date(2026, 9, 4)),
        (paris(2026, 8, 21), date(2026, 10, 4)),
    ],
)
def test_multicanal_fifteen_day_notice(notified_at: datetime, ends_on: date) -> None:
    sub = _with_option(paris(2026, 5, 20))
    sub.collect_events()
    sub.notify_option_cancellation("multicanal", Stamp(notified_at, RECORDED), TERMS)
    (event,) = events_of(sub, Subscription.OptionCancellationNotified)
    assert event.ends_on == ends_on
    dates = _option_dates(drafts_for([sub], up_to=date(2027, 3, 1)))
    assert dates[-1] == _prev_echeance(ends_on)
    assert ends_on not in dates


def _prev_echeance(day: date) -> date:
    """The échéance before `day`, for a subscription anchored on the 4th."""
    return date(day.year - 1, 12, 4) if day.month == 1 else date(day.year, day.month - 1, 4)


def test_multicanal_minimum_counts_from_activation_not_subscription() -> None:
    # Activated on 20 Sep 2026: billed from 4 Oct; minimum to 4 Jan 2027 even though the
    # subscription's own minimum has long passed.
    sub = _with_option(paris(2026, 9, 20))
    sub.notify_option_cancellation("multicanal", Stamp(paris(2026, 9, 21), RECORDED), TERMS)
    dates = _option_dates(drafts_for([sub], up_to=date(2027, 6, 1)))
    assert dates == [date(2026, 10, 4), date(2026, 11, 4), date(2026, 12, 4)]


# --- Starter Pack (art. 3) -----------------------------------------------------------------


def test_starter_pack_invoice() -> None:
    client = new_client()
    pack = StarterPack.order("p1", "c1", REF, Stamp(paris(2026, 5, 6, 15), RECORDED))
    (invoice,) = drafts_for(pack=pack, client=client, up_to=date(2026, 5, 6))
    assert invoice.due_on == date(2026, 5, 6)
    (line,) = invoice.lines
    assert line.code == "starter_pack"
    # 1790.00 / 1.2 = 1491.666… → 1491.67 HT; VAT = 1790.00 − 1491.67 = 298.33.
    assert line.total_ht == Decimal("1491.67")
    assert line.vat == Decimal("298.33")
    assert line.total_ttc == Decimal("1790.00")
    assert line.vat_rate == 20
    assert line.mention != MENTION_261C
    assert invoice.total_ht == Decimal("1491.67")
    assert invoice.total_vat == Decimal("298.33")
    assert invoice.total_ttc == Decimal("1790.00")


def test_starter_pack_issued_on_the_paris_order_date() -> None:
    # 23:30 UTC on 5 May is 01:30 on 6 May in Paris.
    pack = StarterPack.order("p1", "c1", REF, Stamp(datetime(2026, 5, 5, 23, 30, tzinfo=timezone.utc), RECORDED))
    assert drafts_for(pack=pack, up_to=date(2026, 5, 5)) == []
    (invoice,) = drafts_for(pack=pack, up_to=date(2026, 5, 6))
    assert invoice.due_on == date(2026, 5, 6)


def test_second_starter_pack_refused() -> None:
    client = new_client()
    client.attach_starter_pack("p1", Stamp(paris(2026, 5, 6), RECORDED))
    with pytest.raises(StarterPackAlreadyOrdered):
        client.attach_starter_pack("p2", Stamp(paris(2027, 1, 6), RECORDED))
    assert client.pack_id == "p1"


def test_starter_pack_11th_booking_refused_after_10_validated() -> None:
    pack = StarterPack.order("p1", "c1", REF, Stamp(paris(2026, 5, 4), RECORDED))
    for n in range(10):  # when booked, n appointments of the pack are validated
        pack.book(f"a{n}", [paris(2026, 5, 5)] * n, Stamp(paris(2026, 5, 5 + n), RECORDED), TERMS)
    with pytest.raises(StarterPackExhausted):
        pack.book("a10", [paris(2026, 5, 5)] * 10, Stamp(paris(2026, 6, 1), RECORDED), TERMS)
    assert len(pack.appointment_ids) == 10


def test_starter_pack_counts_only_validated_appointments() -> None:
    # Ten appointments booked and honoured; on 19 May only those of 4..12 May are validated.
    pack = StarterPack.order("p1", "c1", REF, Stamp(paris(2026, 5, 2), RECORDED))
    days = [4, 5, 6, 7, 9, 11, 12, 13, 15, 16]
    appts = []
    for n, d in enumerate(days):
        pack.book(f"a{n}", [], Stamp(paris(2026, 5, 3), RECORDED), TERMS)
        appts.append(new_appt(f"a{n}", paris(2026, 5, d), sid=None, pack_id="p1"))

    validated = [v for a in appts if (v := a.validated_at(TERMS)) is not None]

    def validated_by(moment: datetime) -> int:
        return sum(1 for v in validated if v <= moment)

    # 12 May → 13, (14 Ascension), 15, 16, (17 Sunday), 18, 19: validated end of 19 May.
    # 13 May → 20 May. So on 19 May at noon: the appointments up to 11 May (6) only.
    assert validated_by(paris(2026, 5, 19, 12)) == 6
    pack.book("a10", validated, Stamp(paris(2026, 5, 19, 12), RECORDED), TERMS)
    # 16 May (Sat) → 18, 19, 20, 21, 22: all ten validated by the end of 22 May.
    assert validated_by(paris(2026, 5, 23)) == 10
    with pytest.raises(StarterPackExhausted):
        pack.book("a11", validated, Stamp(paris(2026, 5, 23), RECORDED), TERMS)


# --- validation and the anomaly window (art. 1, 6.2, 7) -----------------------------------


def _may_13() -> Appointment:
    return new_appt("a1", paris(2026, 5, 13, 10))


def test_validated_at_end_of_fifth_jour_ouvrable() -> None:
    # 13 May 2026 → 14 Ascension skipped → 15, 16 (Sat), 18, 19, 20.
    appt = _may_13()
    assert appt.validated_at(TERMS) == datetime(2026, 5, 20, 23, 59, 59, 999999, tzinfo=PARIS)


def test_anomaly_on_last_day_accepted() -> None:
    appt = _may_13()
    appt.declare_anomaly("prospect absent", Stamp(paris(2026, 5, 20, 23, 59), RECORDED), TERMS)
    assert appt.validated_at(TERMS) is None


def test_anomaly_after_window_refused_naming_deadline() -> None:
    appt = _may_13()
    with pytest.raises(AnomalyWindowClosed) as exc:
        appt.declare_anomaly("prospect absent", Stamp(paris(2026, 5, 21, 0, 0), RECORDED), TERMS)
    assert "2026-05-20" in str(exc.value) or "20/05/2026" in str(exc.value)
    assert appt.validated_at(TERMS) is not None


def test_anomaly_window_in_paris_time() -> None:
    # 22:30 UTC on 12 May is 00:30 on 13 May in Paris: same window as a 13 May appointment.
    appt = new_appt("a1", datetime(2026, 5, 12, 22, 30, tzinfo=timezone.utc))
    assert appt.validated_at(TERMS) == datetime(2026, 5, 20, 23, 59, 59, 999999, tzinfo=PARIS)
    # 21:59 UTC on 20 May is 23:59 in Paris: in time. 22:00 UTC is 00:00 on 21 May: too late.
    late = new_appt("a2", datetime(2026, 5, 12, 22, 30, tzinfo=timezone.utc))
    with pytest.raises(AnomalyWindowClosed):
        late.declare_anomaly("x", Stamp(datetime(2026, 5, 20, 22, 0, tzinfo=timezone.utc), RECORDED), TERMS)
    appt.declare_anomaly("x", Stamp(datetime(2026, 5, 20, 21, 59, tzinfo=timezone.utc), RECORDED), TERMS)
    assert appt.validated_at(TERMS) is None


def test_window_across_a_sunday_and_month_end() -> None:
    # Thu 28 May 2026 → 29, 30 (Sat), (31 Sunday), 1 Jun, 2, 3.
    appt = new_appt("a1", paris(2026, 5, 28))
    assert appt.validated_at(TERMS) == datetime(2026, 6, 3, 23, 59, 59, 999999, tzinfo=PARIS)


def test_not_honoured_is_never_validated() -> None:
    appt = new_appt("a1", paris(2026, 5, 13), honoured=False)
    assert appt.validated_at(TERMS) is None


def _grow_may(appts_days, sub=None):
    sub = sub or new_sub(paris(2026, 5, 4))
    appts = [new_appt(f"a{n}", paris(2026, 5, d)) for n, d in enumerate(appts_days)]
    return sub, appts


def test_contested_appointment_never_billed_nor_counted() -> None:
    # Four honoured appointments in period 0; one contested in time → 3 validated ≤ 3 included.
    sub, appts = _grow_may([5, 6, 7, 11])
    appts[0].declare_anomaly("hors cible", Stamp(paris(2026, 5, 6), RECORDED), TERMS)
    assert extras_invoices(drafts_for([sub], appts, up_to=date(2026, 12, 31))) == []


def test_contested_appointment_is_not_among_the_billed_extras() -> None:
    # Five honoured, the last contested → 4 validated → 1 extra, which is not the contested one.
    sub, appts = _grow_may([5, 6, 7, 11, 12])
    appts[4].declare_anomaly("hors cible", Stamp(paris(2026, 5, 13), RECORDED), TERMS)
    (line,) = lines_of(drafts_for([sub], appts, up_to=date(2026, 12, 31)), "extra_appointments")
    assert line.quantity == 1
    assert "appointment:a4" not in line.sources


def test_cancelled_appointment_never_billed_nor_counted() -> None:
    sub, appts = _grow_may([5, 6, 7])
    cancelled = new_appt("a9", paris(2026, 5, 12), honoured=False)
    cancelled.cancel(Stamp(paris(2026, 5, 11), RECORDED))
    assert cancelled.validated_at(TERMS) is None
    assert extras_invoices(drafts_for([sub], appts + [cancelled], up_to=date(2026, 12, 31))) == []


# --- extra appointments (art. 4.1, 6.2) ----------------------------------------------------
# GROW: 3 included, 159.00 each beyond. Subscription from 4 May 2026: period 0 is
# 4 May – 3 Jun, period 1 is 4 Jun – 3 Jul.


def test_five_validated_in_a_period_bill_two_extras_at_month_end() -> None:
    # Latest: 12 May → validated end of 19 May (13, 15, 16, 18, 19). All in May.
    sub, appts = _grow_may([5, 6, 7, 11, 12])
    drafts = drafts_for([sub], appts, up_to=date(2026, 5, 31))
    (invoice,) = extras_invoices(drafts)
    assert invoice.due_on == date(2026, 5, 31)
    (line,) = invoice.lines
    assert line.code == "extra_appointments"
    assert line.quantity == 2
    assert line.unit_price == Decimal("159.00")
    assert line.total_ht == Decimal("318.00") and line.total_ttc == Decimal("318.00")
    assert line.vat == 0 and line.vat_rate == 0
    assert line.mention == MENTION_261C
    assert invoice.total_ttc == Decimal("318.00")
    assert len(line.sources) == 2


def test_extras_invoice_not_before_month_end() -> None:
    sub, appts = _grow_may([5, 6, 7, 11, 12])
    assert extras_invoices(drafts_for([sub], appts, up_to=date(2026, 5, 30))) == []


def test_extras_are_not_on_the_fee_invoice() -> None:
    sub, appts = _grow_may([5, 6, 7, 11, 12])
    for invoice in fee_invoices(drafts_for([sub], appts, up_to=date(2026, 12, 31))):
        assert all(l.code != "extra_appointments" for l in invoice.lines)


@pytest.mark.parametrize(("plan", "expected_qty"), [("START", 3), ("GROW", 2), ("DEV", 1),
                                                    ("SCALE", 0)])
def test_extras_by_plan(plan: str, expected_qty: int) -> None:
    sub = new_sub(paris(2026, 5, 4), plan=plan)
    _, appts = _grow_may([5, 6, 7, 11, 12], sub=sub)
    drafts = drafts_for([sub], appts, up_to=date(2026, 12, 31))
    total = sum((l.total_ttc for l in lines_of(drafts, "extra_appointments")), Decimal(0))
    assert total == expected_qty * PLANS[plan][1]
    assert extras_quantity(drafts) == expected_qty


def test_no_extras_invoice_within_quota() -> None:
    sub, appts = _grow_may([5, 6, 7])
    assert extras_invoices(drafts_for([sub], appts, up_to=date(2027, 1, 1))) == []


def test_quota_is_per_period_not_pooled() -> None:
    # 2 in period 0 and 4 in period 1: 1 extra (period 1), even though 6 ≤ 2 × 3.
    sub = new_sub(paris(2026, 5, 4))
    appts = [new_appt(f"a{n}", paris(2026, 5, d)) for n, d in enumerate([5, 6])]
    appts += [new_appt(f"b{n}", paris(2026, 6, d)) for n, d in enumerate([8, 9, 10, 11])]
    drafts = drafts_for([sub], appts, up_to=date(2026, 12, 31))
    assert extras_quantity(drafts) == 1
    (invoice,) = extras_invoices(drafts)
    assert invoice.due_on == date(2026, 6, 30)


def test_appointment_validated_in_june_billed_on_june_invoice() -> None:
    # Period 0: three validated in May (quota reached), a fourth on 28 May validated 3 June.
    sub, appts = _grow_may([5, 6, 7, 28])
    may_end = drafts_for([sub], appts, up_to=date(2026, 5, 31))
    assert extras_invoices(may_end) == []
    drafts = drafts_for([sub], appts, up_to=date(2026, 6, 30))
    (invoice,) = extras_invoices(drafts)
    assert invoice.due_on == date(2026, 6, 30)
    (line,) = invoice.lines
    assert line.quantity == 1 and line.total_ttc == Decimal("159.00")
    assert "04/05/2026" in line.description  # billed for period 0, where it is dated


@pytest.mark.parametrize(
    ("day", "billed_on"),
    [
        # Wed 24 Jun → 25, 26, 27 (Sat), (28 Sunday), 29, 30: validated on the month's last day.
        (24, date(2026, 6, 30)),
        # Thu 25 Jun → 26, 27, 29, 30, 1 Jul: validated in July.
        (25, date(2026, 7, 31)),
    ],
)
def test_validated_on_the_last_day_of_the_month(day: int, billed_on: date) -> None:
    sub = new_sub(paris(2026, 6, 4))  # period 0: 4 Jun – 3 Jul
    appts = [new_appt(f"a{d}", paris(2026, 6, d)) for d in (8, 9, 10)]
    appts.append(new_appt("last", paris(2026, 6, day)))
    (invoice,) = extras_invoices(drafts_for([sub], appts, up_to=date(2026, 12, 31)))
    assert invoice.due_on == billed_on
    assert invoice.total_ttc == Decimal("159.00")


def test_pack_appointments_are_not_subscription_extras() -> None:
    # A client with a pack and a subscription: pack appointments neither use the plan's
    # quota nor are billed as extras.
    client = new_client()
    pack = StarterPack.order("p1", "c1", REF, Stamp(paris(2026, 4, 20), RECORDED))
    sub = new_sub(paris(2026, 5, 4))
    appts = [new_appt(f"p{d}", paris(2026, 5, d), sid=None, pack_id="p1") for d in (5, 6, 7, 11)]
    appts += [new_appt(f"s{d}", paris(2026, 5, d)) for d in (12, 13, 15)]
    drafts = drafts_for([sub], appts, pack=pack, client=client, up_to=date(2026, 12, 31))
    assert extras_invoices(drafts) == []
    assert len(lines_of(drafts, "starter_pack")) == 1


def test_appointment_period_uses_the_paris_date() -> None:
    # 23:30 UTC on 3 Jun is 01:30 on 4 Jun in Paris: period 1, not period 0.
    sub, appts = _grow_may([5, 6, 7])
    appts.append(new_appt("late", datetime(2026, 6, 3, 23, 30, tzinfo=timezone.utc)))
    assert extras_invoices(drafts_for([sub], appts, up_to=date(2026, 12, 31))) == []


def test_cumulative_extras_over_two_months_no_double_billing() -> None:
    sub = new_sub(paris(2026, 5, 4))
    # Period 0: 5, 6, 7, 11 May validated in May (11 May → 18 May) → May: 4 − 3 = 1.
    appts = [new_appt(f"p0-{d}", paris(2026, 5, d)) for d in (5, 6, 7, 11)]
    # Period 0, validated in June: 28 May (→ 3 Jun) and 2 Jun (→ 3, 4, 5, 6, 8 Jun).
    appts += [new_appt("p0-28", paris(2026, 5, 28)), new_appt("p0-j2", paris(2026, 6, 2))]
    # Period 1: 8..12 Jun, validated by 18 Jun (12 → 13, 15, 16, 17, 18) → 5 − 3 = 2.
    appts += [new_appt(f"p1-{d}", paris(2026, 6, d)) for d in (8, 9, 10, 11, 12)]

    drafts = drafts_for([sub], appts, up_to=date(2026, 9, 30))
    invoices = extras_invoices(drafts)
    assert [d.due_on for d in invoices] == [date(2026, 5, 31), date(2026, 6, 30)]
    may, june = invoices
    (may_line,) = may.lines
    assert may_line.quantity == 1 and "04/05/2026" in may_line.description
    assert may.total_ttc == Decimal("159.00")
    # June: period 0 has 6 validated − 3 = 3, 1 already billed → 2; period 1 → 2.
    by_period = {("04/05/2026" in l.description): l.quantity for l in june.lines}
    assert len(june.lines) == 2
    assert by_period == {True: 2, False: 2}
    assert june.total_ttc == Decimal("636.00")
    # Every appointment is billed at most once.
    sources = [s for d in invoices for l in d.lines for s in l.sources]
    assert len(sources) == len(set(sources)) == 5


# --- breach (art. 9) -----------------------------------------------------------------------


def _noticed(sent: datetime = paris(2026, 6, 1, 10)) -> Subscription:
    sub = new_sub(paris(2026, 5, 4))
    sub.send_formal_notice("impayés", Stamp(sent, RECORDED), TERMS)
    return sub


def test_termination_without_notice_refused() -> None:
    sub = new_sub(paris(2026, 5, 4))
    with pytest.raises(BillingError):
        sub.terminate_for_breach(Stamp(paris(2026, 7, 1), RECORDED), TERMS)


@pytest.mark.parametrize("at", [paris(2026, 6, 2), paris(2026, 6, 16, 12), paris(2026, 6, 16, 23, 59)])
def test_termination_within_fifteen_days_refused(at: datetime) -> None:
    # Notice on 1 Jun: the 15 days are 2..16 Jun.
    sub = _noticed()
    with pytest.raises(BreachNoticeRunning):
        sub.terminate_for_breach(Stamp(at, RECORDED), TERMS)
    assert sub.terminated_at is None


def test_termination_after_fifteen_days_accepted() -> None:
    sub = _noticed()
    sub.terminate_for_breach(Stamp(paris(2026, 6, 17, 0, 0), RECORDED), TERMS)
    assert sub.terminated_at is not None
    invoices = fee_invoices(drafts_for([sub], up_to=date(2027, 1, 1)))
    assert [d.due_on for d in invoices] == [date(2026, 5, 4), date(2026, 6, 4)]


def test_termination_on_an_echeance_issues_no_fee_for_it() -> None:
    sub = _noticed()
    sub.terminate_for_breach(Stamp(paris(2026, 7, 4, 9), RECORDED), TERMS)
    invoices = fee_invoices(drafts_for([sub], up_to=date(2027, 1, 1)))
    assert [d.due_on for d in invoices] == [date(2026, 5, 4), date(2026, 6, 4)]


def test_termination_refused_after_remedy() -> None:
    sub = _noticed()
    sub.remedy_breach(Stamp(paris(2026, 6, 5), RECORDED), TERMS)
    with pytest.raises(BillingError):
        sub.terminate_for_breach(Stamp(paris(2026, 6, 20), RECORDED), TERMS)
    assert sub.terminated_at is None
    assert len(fee_invoices(drafts_for([sub], up_to=date(2026, 12, 31)))) == 8


def test_new_notice_after_remedy_runs_its_own_fifteen_days() -> None:
    sub = _noticed()
    sub.remedy_breach(Stamp(paris(2026, 6, 5), RECORDED), TERMS)
    sub.send_formal_notice("impayés à nouveau", Stamp(paris(2026, 6, 21), RECORDED), TERMS)
    with pytest.raises(BreachNoticeRunning):
        sub.terminate_for_breach(Stamp(paris(2026, 7, 6, 23), RECORDED), TERMS)  # 22 Jun..6 Jul
    sub.terminate_for_breach(Stamp(paris(2026, 7, 7, 8), RECORDED), TERMS)
    invoices = fee_invoices(drafts_for([sub], up_to=date(2027, 1, 1)))
    assert [d.due_on for d in invoices] == [date(2026, 5, 4), date(2026, 6, 4), date(2026, 7, 4)]


def test_termination_cuts_a_pending_cancellation_short() -> None:
    sub = _noticed()
    sub.notify_cancellation(Stamp(paris(2026, 6, 2), RECORDED), TERMS)  # would end 4 Aug
    sub.terminate_for_breach(Stamp(paris(2026, 6, 20), RECORDED), TERMS)
    invoices = fee_invoices(drafts_for([sub], up_to=date(2027, 1, 1)))
    assert [d.due_on for d in invoices] == [date(2026, 5, 4), date(2026, 6, 4)]


# --- properties ----------------------------------------------------------------------------

_FR_HOLIDAYS = holidays.France(years=range(2026, 2030))


def _echeance(start: date, k: int) -> date:
    months = start.year * 12 + start.month - 1 + k
    year, month = divmod(months, 12)
    month += 1
    return date(year, month, min(start.day, stdcal.monthrange(year, month)[1]))


def _period(start: date, day: date) -> int:
    k = 0
    while _echeance(start, k + 1) <= day:
        k += 1
    return k


def _validated_on(day: date) -> date:
    """The 5th jour ouvrable after `day` (Sundays and French holidays skipped)."""
    n = 0
    while n < 5:
        day += timedelta(days=1)
        if day.weekday() != 6 and day not in _FR_HOLIDAYS:
            n += 1
    return day


def _month_ends(first: date, last: date) -> list[date]:
    out = []
    y, m = first.year, first.month
    while True:
        end = date(y, m, stdcal.monthrange(y, m)[1])
        if end > last:
            return out
        out.append(end)
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)


appointment_specs = st.lists(
    st.tuples(
        st.integers(min_value=0, max_value=150),                       # days after the start
        st.integers(min_value=8, max_value=19),                        # hour, Paris
        st.sampled_from(["honoured", "honoured", "honoured", "contested", "cancelled", "none"]),
    ),
    max_size=25,
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    plan=st.sampled_from(sorted(PLANS)),
    start=st.dates(min_value=date(2026, 4, 8), max_value=date(2028, 6, 30)),
    specs=appointment_specs,
)
def test_extras_total_matches_per_period_overage(plan, start, specs) -> None:
    sub = new_sub(datetime.combine(start, time(9), tzinfo=PARIS), plan=plan)
    appts = []
    validated: list[tuple[int, date]] = []  # (period, validated on)
    for n, (offset, hour, status) in enumerate(specs):
        day = start + timedelta(days=offset)
        starts_at = datetime.combine(day, time(hour), tzinfo=PARIS)
        appt = new_appt(f"a{n}", starts_at, honoured=status in ("honoured", "contested"))
        if status == "contested":
            appt.declare_anomaly("contesté", Stamp(starts_at + timedelta(hours=2), RECORDED), TERMS)
        elif status == "cancelled":
            appt.cancel(Stamp(starts_at - timedelta(days=1), RECORDED))
        elif status == "honoured":
            validated.append((_period(start, day), _validated_on(day)))
        appts.append(appt)

    up_to = start + timedelta(days=240)
    drafts = drafts_for([sub], appts, up_to=up_to)
    included, price = PLANS[plan]

    per_period: dict[int, int] = {}
    for k, _ in validated:
        per_period[k] = per_period.get(k, 0) + 1
    expected = sum(max(0, n - included) for n in per_period.values())

    lines = lines_of(drafts, "extra_appointments")
    assert extras_quantity(drafts) == expected
    assert sum((l.total_ttc for l in lines), Decimal(0)) == expected * price
    assert all(l.unit_price == price and l.quantity > 0 for l in lines)

    # At every month end, what was billed so far is the overage of what was validated so far.
    invoices = extras_invoices(drafts)
    for d in invoices:
        assert d.due_on == date(d.due_on.year, d.due_on.month,
                                stdcal.monthrange(d.due_on.year, d.due_on.month)[1])
    for month_end in _month_ends(start, up_to):
        so_far: dict[int, int] = {}
        for k, v in validated:
            if v <= month_end:
                so_far[k] = so_far.get(k, 0) + 1
        owed = sum(max(0, n - included) for n in so_far.values())
        billed = extras_quantity([d for d in invoices if d.due_on <= month_end])
        assert billed == owed, month_end


money = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("5000.00"), places=2)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    plan=st.sampled_from(sorted(PLANS)),
    fee=money,
    prepaid=st.booleans(),
    option_fee=st.none() | money,
    option_offset=st.integers(min_value=0, max_value=60),
    with_pack=st.booleans(),
    offsets=st.lists(st.integers(min_value=0, max_value=120), max_size=15),
)
def test_document_totals_are_sums_of_lines(
    plan, fee, prepaid, option_fee, option_offset, with_pack, offsets,
) -> None:
    start = paris(2026, 5, 4, 9)
    sub = new_sub(start, plan=plan, fee=str(fee), prepaid=prepaid)
    if option_fee is not None:
        sub.activate_option("multicanal", option_fee, Stamp(start + timedelta(days=option_offset), RECORDED),
                            TERMS)
    appts = [new_appt(f"a{n}", start + timedelta(days=o, hours=1)) for n, o in enumerate(offsets)]
    pack = StarterPack.order("p1", "c1", REF, Stamp(paris(2026, 4, 20), RECORDED)) if with_pack else None
    drafts = drafts_for([sub], appts, pack=pack, up_to=date(2026, 12, 31))
    assert drafts
    for d in drafts:
        assert d.lines
        assert d.total_ttc == sum((l.total_ttc for l in d.lines), Decimal(0))
        assert d.total_ht == sum((l.total_ht for l in d.lines), Decimal(0))
        assert d.total_vat == sum((l.vat for l in d.lines), Decimal(0))
        assert d.total_ht + d.total_vat == d.total_ttc
        for l in d.lines:
            assert l.total_ht + l.vat == l.total_ttc
            for amount in (l.total_ht, l.vat, l.total_ttc):
                assert amount == amount.quantize(Decimal("0.01"))
            if l.code in ("subscription_fee", "prepayment_discount", "extra_appointments"):
                assert l.vat == 0 and l.mention == MENTION_261C
            else:
                assert l.vat_rate == 20 and l.mention is None
    # Invoice keys are unique: nothing would be issued twice.
    assert len({d.key for d in drafts}) == len(drafts)
