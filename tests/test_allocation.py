"""Payments applied to invoices (INTERPRETATION.md, "Payments"): domain.allocation.allocate."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from domain.allocation import Due, Settlement, allocate

PARIS = ZoneInfo("Europe/Paris")


def at(m: int, d: int, h: int = 12) -> datetime:
    return datetime(2026, m, d, h, tzinfo=PARIS)


def eur(s: str) -> Decimal:
    return Decimal(s)


A = Due("BTB-2026-00001", date(2026, 5, 4), eur("590.00"))
B = Due("BTB-2026-00002", date(2026, 6, 4), eur("590.00"))
C = Due("BTB-2026-00003", date(2026, 7, 4), eur("300.00"))


def pay(key: str, when: datetime, amount: str, invoice: str | None = None) -> Settlement:
    return Settlement(key, when, eur(amount), invoice, direct_debit=True)


def bounce(key: str, when: datetime, amount: str, invoice: str) -> Settlement:
    return Settlement(key, when, eur(amount), invoice, failed=True)


def balances(account, dues) -> dict[str, Decimal]:
    return {d.number: account.balance(d) for d in dues}


# --- named invoice first ------------------------------------------------------------------


def test_payment_naming_an_invoice_settles_it_first() -> None:
    account = allocate([A, B], [pay("p1", at(6, 10), "590.00", B.number)])
    assert balances(account, [A, B]) == {A.number: eur("590.00"), B.number: eur("0.00")}
    assert account.credit == 0


def test_surplus_of_a_named_payment_goes_to_the_oldest() -> None:
    account = allocate([A, B], [pay("p1", at(6, 10), "800.00", B.number)])
    # 590.00 to B (named), the remaining 210.00 to A.
    assert balances(account, [A, B]) == {A.number: eur("380.00"), B.number: eur("0.00")}
    assert account.credit == 0


def test_partial_named_payment() -> None:
    account = allocate([A, B], [pay("p1", at(6, 10), "100.00", B.number)])
    assert balances(account, [A, B]) == {A.number: eur("590.00"), B.number: eur("490.00")}


def test_payment_naming_an_already_paid_invoice_goes_to_the_oldest_open() -> None:
    account = allocate([A, B], [pay("p1", at(6, 10), "590.00", B.number),
                                pay("p2", at(6, 11), "590.00", B.number)])
    assert balances(account, [A, B]) == {A.number: 0, B.number: 0}
    assert account.credit == 0


# --- no invoice named: oldest first -------------------------------------------------------


def test_unnamed_payment_settles_the_oldest_first() -> None:
    account = allocate([A, B, C], [pay("p1", at(7, 10), "700.00")])
    # 590.00 to A (4 May), 110.00 to B (4 Jun), nothing to C.
    assert balances(account, [A, B, C]) == {
        A.number: eur("0.00"), B.number: eur("480.00"), C.number: eur("300.00"),
    }


def test_oldest_is_by_issue_date_not_list_order() -> None:
    account = allocate([C, B, A], [pay("p1", at(7, 10), "590.00")])
    assert balances(account, [A, B, C]) == {
        A.number: eur("0.00"), B.number: eur("590.00"), C.number: eur("300.00"),
    }


def test_overpayment_becomes_credit() -> None:
    account = allocate([A], [pay("p1", at(5, 10), "700.00")])
    assert account.balance(A) == 0
    assert account.credit == eur("110.00")


# --- payment before any invoice -----------------------------------------------------------


def test_payment_before_any_invoice_is_credit() -> None:
    account = allocate([], [pay("p1", at(4, 20), "1000.00")])
    assert account.credit == eur("1000.00")
    assert account.paid == {} or all(v == 0 for v in account.paid.values())


def test_credit_settles_the_next_invoices_as_issued() -> None:
    account = allocate([A, B], [pay("p1", at(4, 20), "1000.00")])
    # A takes 590.00 on 4 May; B takes the remaining 410.00 on 4 Jun.
    assert balances(account, [A, B]) == {A.number: eur("0.00"), B.number: eur("180.00")}
    assert account.credit == 0


def test_credit_left_after_settling_issued_invoices() -> None:
    account = allocate([A], [pay("p1", at(4, 20), "1000.00")])
    assert account.balance(A) == 0
    assert account.credit == eur("410.00")


def test_payment_settles_only_invoices_issued_by_then() -> None:
    # Paid on 10 May: only A exists. The surplus is credit, which then settles B on 4 Jun.
    account = allocate([A, B], [pay("p1", at(5, 10), "1000.00"), pay("p2", at(6, 10), "180.00")])
    assert balances(account, [A, B]) == {A.number: 0, B.number: 0}
    assert account.credit == 0


def test_credit_and_later_payment_add_up_to_credit() -> None:
    account = allocate([A], [pay("p1", at(4, 20), "300.00"), pay("p2", at(5, 10), "400.00")])
    # 300.00 credit settles 300.00 of A on 4 May; p2 pays the remaining 290.00, 110.00 left.
    assert account.balance(A) == 0
    assert account.credit == eur("110.00")


# --- failed payments ----------------------------------------------------------------------


def test_failed_payment_reopens_the_invoice() -> None:
    account = allocate([A], [pay("p1", at(5, 4), "590.00", A.number),
                             bounce("f1", at(5, 8), "590.00", A.number)])
    assert account.balance(A) == eur("590.00")
    assert account.credit == 0


def test_reopened_invoice_is_settled_by_a_later_payment() -> None:
    account = allocate([A, B], [pay("p1", at(5, 4), "590.00", A.number),
                                bounce("f1", at(5, 8), "590.00", A.number),
                                pay("p2", at(6, 10), "590.00")])
    # The later unnamed payment goes to the oldest open invoice: A again.
    assert balances(account, [A, B]) == {A.number: eur("0.00"), B.number: eur("590.00")}


def test_failure_takes_back_only_what_it_had_paid() -> None:
    account = allocate([A], [pay("p1", at(5, 4), "290.00", A.number),
                             pay("p2", at(5, 5), "300.00", A.number),
                             bounce("f1", at(5, 8), "300.00", A.number)])
    assert account.balance(A) == eur("300.00")


def test_failed_payment_takes_back_its_overflow_into_credit() -> None:
    # A debit of 700.00 on A (590.00) leaves 110.00 credit; it bounces: nothing was received.
    account = allocate([A], [pay("p1", at(5, 4), "700.00", A.number),
                             bounce("f1", at(5, 8), "700.00", A.number)])
    assert account.balance(A) == eur("590.00")
    assert account.credit == 0


def test_failed_payment_takes_back_its_overflow_onto_other_invoices() -> None:
    account = allocate([A, B], [pay("p1", at(6, 10), "1180.00", B.number),
                                bounce("f1", at(6, 15), "1180.00", B.number)])
    assert balances(account, [A, B]) == {A.number: eur("590.00"), B.number: eur("590.00")}
    assert account.credit == 0


# --- order of facts does not matter -------------------------------------------------------


def test_same_result_whatever_the_list_order() -> None:
    settlements = [pay("p1", at(4, 20), "100.00"), pay("p2", at(6, 10), "700.00", B.number),
                   pay("p3", at(5, 10), "50.00"), bounce("f1", at(6, 12), "700.00", B.number)]
    forward = allocate([A, B, C], settlements)
    backward = allocate([C, B, A], list(reversed(settlements)))
    assert forward.paid == backward.paid and forward.credit == backward.credit


amounts = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("2000.00"), places=2)
days = st.integers(min_value=0, max_value=120)
EPOCH = date(2026, 4, 1)


@st.composite
def histories(draw, with_failures: bool = True):
    n_dues = draw(st.integers(min_value=0, max_value=5))
    dues = [Due(f"BTB-2026-{i + 1:05d}", EPOCH + timedelta(days=draw(days)), draw(amounts))
            for i in range(n_dues)]
    numbers = [d.number for d in dues] + [None, "BTB-2026-99999"]
    settlements = []
    for i in range(draw(st.integers(min_value=0, max_value=8))):
        when = datetime.combine(EPOCH + timedelta(days=draw(days)),
                                datetime.min.time(), tzinfo=PARIS) + timedelta(
            minutes=draw(st.integers(min_value=0, max_value=24 * 60 - 1)))
        invoice = draw(st.sampled_from(numbers))
        failed = with_failures and invoice in [d.number for d in dues] and draw(st.booleans())
        settlements.append(Settlement(f"s{i}", when, draw(amounts), invoice, failed, direct_debit=True))
    return dues, settlements


@settings(max_examples=200)
@given(data=st.data())
def test_result_does_not_depend_on_the_order_of_the_lists(data) -> None:
    dues, settlements = data.draw(histories())
    reference = allocate(dues, settlements)
    shuffled = allocate(data.draw(st.permutations(dues)), data.draw(st.permutations(settlements)))
    assert shuffled.credit == reference.credit
    assert {d.number: shuffled.balance(d) for d in dues} == {
        d.number: reference.balance(d) for d in dues
    }


@settings(max_examples=200)
@given(data=st.data())
def test_payments_are_conserved(data) -> None:
    dues, settlements = data.draw(histories(with_failures=False))
    account = allocate(dues, settlements)
    received = sum((s.amount for s in settlements), Decimal(0))
    applied = sum((d.amount - account.balance(d) for d in dues), Decimal(0))
    assert applied + account.credit == received
    for d in dues:
        assert Decimal(0) <= account.balance(d) <= d.amount
    assert account.credit >= 0
    # Never credit while an invoice issued before the last payment is still open.
    if settlements and account.credit > 0:
        assert all(account.balance(d) == 0 for d in dues)


@settings(max_examples=200)
@given(data=st.data())
def test_unnamed_payments_fill_invoices_oldest_first(data) -> None:
    dues, settlements = data.draw(histories(with_failures=False))
    unnamed = [Settlement(s.key, s.at, s.amount, None) for s in settlements]
    account = allocate(dues, unnamed)
    ordered = sorted(dues, key=lambda d: (d.issued_on, d.number))
    # Among invoices issued by the last payment, once one is left (partly) open every
    # later-issued one is untouched.
    last_payment = max((s.at for s in unnamed), default=None)
    if last_payment is None:
        assert all(account.balance(d) == d.amount for d in dues)
        return
    seen_open = False
    for d in ordered:
        if d.issued_on > last_payment.date():
            break
        if seen_open:
            assert account.balance(d) == d.amount
        if account.balance(d) > 0:
            seen_open = True
