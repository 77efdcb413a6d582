"""Fact validation (CONTRACT.md, "Facts"): application.facts.parse_fact and digest."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from application.facts import digest, parse_fact
from domain.errors import InvalidFact

AT = "2026-05-04T10:00:00+02:00"

# One valid fact of every type of the contract's "Both providers" and "BTBCONNECT" tables.
VALID: list[dict] = [
    {"type": "client.registered", "client_id": "c1", "provider": "btbconnect", "name": "Agence A"},
    {"type": "client.registered", "client_id": "c2", "provider": "btbconnect", "name": "Agence B",
     "siren": "928030329"},
    {"type": "client.registered", "client_id": "c3", "provider": "etincelle", "name": "Famille C",
     "adult": True, "invoicing": "monthly"},
    {"type": "client.registered", "client_id": "c4", "provider": "etincelle", "name": "Famille D",
     "adult": True, "invoicing": "per_session"},
    {"type": "payment.received", "client_id": "c1", "amount": "590.00", "method": "direct_debit"},
    {"type": "payment.received", "client_id": "c1", "amount": "159", "method": "transfer",
     "invoice": "BTB-2026-00001"},
    {"type": "payment.received", "client_id": "c1", "amount": "12.5", "method": "card"},
    {"type": "payment.received", "client_id": "c1", "amount": "40.00", "method": "cash"},
    {"type": "payment.failed", "client_id": "c1", "amount": "590.00", "invoice": "BTB-2026-00001"},
    {"type": "starter_pack.ordered", "pack_id": "p1", "client_id": "c1"},
    {"type": "starter_pack.campaign_started", "pack_id": "p1"},
    {"type": "subscription.started", "subscription_id": "s1", "client_id": "c1", "plan": "GROW",
     "monthly_fee": "590.00"},
    {"type": "subscription.started", "subscription_id": "s2", "client_id": "c1", "plan": "START",
     "monthly_fee": "390.00", "prepaid_quarterly": True, "terms": "CGPS20260208-2"},
    {"type": "subscription.started", "subscription_id": "s3", "client_id": "c1", "plan": "DEV",
     "monthly_fee": "690.00", "prepaid_quarterly": False},
    {"type": "subscription.started", "subscription_id": "s4", "client_id": "c1", "plan": "SCALE",
     "monthly_fee": "790.00"},
    {"type": "subscription.option_activated", "subscription_id": "s1", "option": "multicanal",
     "monthly_fee_ht": "250.00"},
    {"type": "subscription.cancellation_notified", "subscription_id": "s1"},
    {"type": "subscription.option_cancellation_notified", "subscription_id": "s1",
     "option": "multicanal"},
    {"type": "subscription.formal_notice_sent", "subscription_id": "s1", "reason": "impayés"},
    {"type": "subscription.breach_remedied", "subscription_id": "s1"},
    {"type": "subscription.terminated_for_breach", "subscription_id": "s1"},
    {"type": "appointment.scheduled", "appointment_id": "a1", "client_id": "c1",
     "starts_at": "2026-05-13T10:00:00+02:00"},
    {"type": "appointment.scheduled", "appointment_id": "a2", "client_id": "c1",
     "starts_at": "2026-05-13T08:00:00Z", "subscription_id": "s1"},
    {"type": "appointment.scheduled", "appointment_id": "a3", "client_id": "c1",
     "starts_at": "2026-05-13T10:00:00+02:00", "pack_id": "p1"},
    {"type": "appointment.honoured", "appointment_id": "a1"},
    {"type": "appointment.anomaly_declared", "appointment_id": "a1", "reason": "prospect absent"},
    {"type": "appointment.cancelled", "appointment_id": "a1"},
]

CONTRACT_TYPES = {
    "client.registered", "payment.received", "payment.failed",
    "starter_pack.ordered", "starter_pack.campaign_started",
    "subscription.started", "subscription.option_activated",
    "subscription.cancellation_notified", "subscription.option_cancellation_notified",
    "subscription.formal_notice_sent", "subscription.breach_remedied",
    "subscription.terminated_for_breach",
    "appointment.scheduled", "appointment.honoured", "appointment.anomaly_declared",
    "appointment.cancelled",
}


def fact(n: int, **fields) -> dict:
    return {"key": f"k-{n}", "at": AT, **fields}


def test_the_examples_cover_every_contract_type() -> None:
    assert {f["type"] for f in VALID} == CONTRACT_TYPES


@pytest.mark.parametrize("body", VALID, ids=lambda b: b["type"])
def test_valid_fact_parses(body: dict) -> None:
    parsed = parse_fact(fact(1, **body))
    assert parsed.key == "k-1"
    assert parsed.type == body["type"]
    assert parsed.at == datetime(2026, 5, 4, 8, 0, tzinfo=timezone.utc)
    for name, value in body.items():
        got = getattr(parsed, name)
        if name in ("amount", "monthly_fee", "monthly_fee_ht"):
            assert got == Decimal(value)
        elif name == "starts_at":
            assert got.utcoffset() is not None
        else:
            assert got == value


def test_amount_is_a_decimal() -> None:
    parsed = parse_fact(fact(1, type="payment.received", client_id="c1", amount="159.00",
                             method="card"))
    assert isinstance(parsed.amount, Decimal)
    assert parsed.amount == Decimal("159.00")


def test_subscription_defaults() -> None:
    parsed = parse_fact(fact(1, type="subscription.started", subscription_id="s1", client_id="c1",
                             plan="GROW", monthly_fee="590.00"))
    assert parsed.prepaid_quarterly is False
    assert parsed.terms is None
    assert parsed.monthly_fee == Decimal("590.00")


def test_timestamps_keep_the_instant() -> None:
    parsed = parse_fact(fact(1, type="appointment.scheduled", appointment_id="a1", client_id="c1",
                             starts_at="2026-05-12T22:30:00Z"))
    assert parsed.starts_at == datetime(2026, 5, 13, 0, 30, tzinfo=timezone(timedelta(hours=2)))


def _refused(raw, *words: str) -> str:
    with pytest.raises(InvalidFact) as exc:
        parse_fact(raw)
    message = str(exc.value)
    for word in words:
        assert word in message, message
    return message


def test_unknown_type() -> None:
    _refused(fact(7, type="subscription.paused", subscription_id="s1"), "k-7",
             "subscription.paused", "type")


def test_missing_type() -> None:
    _refused({"key": "k-8", "at": AT, "subscription_id": "s1"}, "k-8", "type")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"type": "subscription.started", "subscription_id": "s1", "client_id": "c1",
          "monthly_fee": "590.00"}, "plan"),
        ({"type": "subscription.started", "subscription_id": "s1", "client_id": "c1",
          "plan": "GROW"}, "monthly_fee"),
        ({"type": "payment.received", "client_id": "c1", "amount": "10.00"}, "method"),
        ({"type": "payment.failed", "client_id": "c1", "amount": "10.00"}, "invoice"),
        ({"type": "appointment.scheduled", "appointment_id": "a1", "client_id": "c1"},
         "starts_at"),
        ({"type": "appointment.anomaly_declared", "appointment_id": "a1"}, "reason"),
        ({"type": "starter_pack.ordered", "pack_id": "p1"}, "client_id"),
        ({"type": "client.registered", "client_id": "c1", "provider": "btbconnect"}, "name"),
        ({"type": "subscription.option_activated", "subscription_id": "s1",
          "option": "multicanal"}, "monthly_fee_ht"),
    ],
)
def test_missing_field(body: dict, field: str) -> None:
    _refused(fact(2, **body), "k-2", field)


def test_missing_at() -> None:
    raw = fact(3, type="appointment.honoured", appointment_id="a1")
    del raw["at"]
    _refused(raw, "k-3", "at")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"type": "appointment.honoured", "appointment_id": "a1", "colour": "blue"}, "colour"),
        ({"type": "subscription.cancellation_notified", "subscription_id": "s1",
          "reason": "trop cher"}, "reason"),
        ({"type": "payment.failed", "client_id": "c1", "amount": "10.00", "invoice": "X",
          "method": "card"}, "method"),
    ],
)
def test_extra_field(body: dict, field: str) -> None:
    _refused(fact(4, **body), "k-4", field)


@pytest.mark.parametrize("amount", ["12,50", 12.5, 12, "12.505", "-5.00", "1e3", "", " 12.50",
                                    "12.50 €", "NaN", None, True])
def test_bad_amount(amount) -> None:
    _refused(fact(5, type="payment.received", client_id="c1", amount=amount, method="card"),
             "k-5", "amount")


@pytest.mark.parametrize("fee", ["590,00", 590.0, 590])
def test_bad_monthly_fee(fee) -> None:
    _refused(fact(5, type="subscription.started", subscription_id="s1", client_id="c1",
                  plan="GROW", monthly_fee=fee), "k-5", "monthly_fee")


@pytest.mark.parametrize("at", ["2026-05-04T10:00:00", "2026-05-04", "04/05/2026 10:00",
                                "yesterday", 1778000000])
def test_bad_or_naive_at(at) -> None:
    raw = fact(6, type="appointment.honoured", appointment_id="a1")
    raw["at"] = at
    _refused(raw, "k-6", "at")


def test_naive_starts_at() -> None:
    _refused(fact(6, type="appointment.scheduled", appointment_id="a1", client_id="c1",
                  starts_at="2026-05-13T10:00:00"), "k-6", "starts_at")


@pytest.mark.parametrize("plan", ["PRO", "grow", "", None, 3])
def test_bad_plan(plan) -> None:
    _refused(fact(9, type="subscription.started", subscription_id="s1", client_id="c1",
                  plan=plan, monthly_fee="590.00"), "k-9", "plan")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"type": "client.registered", "client_id": "c1", "provider": "acme", "name": "X"},
         "provider"),
        ({"type": "payment.received", "client_id": "c1", "amount": "1.00", "method": "cheque"},
         "method"),
        ({"type": "subscription.option_activated", "subscription_id": "s1", "option": "linkedin",
          "monthly_fee_ht": "250.00"}, "option"),
        ({"type": "subscription.started", "subscription_id": "s1", "client_id": "c1",
          "plan": "GROW", "monthly_fee": "590.00", "prepaid_quarterly": "yes"},
         "prepaid_quarterly"),
        ({"type": "client.registered", "client_id": "c1", "provider": "etincelle", "name": "X",
          "adult": "true", "invoicing": "monthly"}, "adult"),
        ({"type": "client.registered", "client_id": "c1", "provider": "etincelle", "name": "X",
          "adult": True, "invoicing": "weekly"}, "invoicing"),
        ({"type": "appointment.honoured", "appointment_id": ""}, "appointment_id"),
        ({"type": "appointment.honoured", "appointment_id": 42}, "appointment_id"),
    ],
)
def test_bad_value(body: dict, field: str) -> None:
    _refused(fact(10, **body), "k-10", field)


def test_not_an_object() -> None:
    with pytest.raises(InvalidFact):
        parse_fact(["key", "k-1"])


def test_missing_key_is_refused() -> None:
    raw = {"type": "appointment.honoured", "at": AT, "appointment_id": "a1"}
    with pytest.raises(InvalidFact) as exc:
        parse_fact(raw)
    assert "key" in str(exc.value)


# --- digest -------------------------------------------------------------------------------


def test_digest_ignores_key() -> None:
    a = fact(1, type="appointment.honoured", appointment_id="a1")
    b = dict(a, key="another-key")
    assert digest(a) == digest(b)


def test_digest_ignores_key_order() -> None:
    a = {"key": "k", "type": "payment.received", "at": AT, "client_id": "c1",
         "amount": "10.00", "method": "card"}
    b = dict(reversed(list(a.items())))
    assert list(a) != list(b)
    assert digest(a) == digest(b)


@pytest.mark.parametrize(
    "change",
    [{"amount": "10.01"}, {"at": "2026-05-04T10:00:01+02:00"}, {"method": "cash"},
     {"invoice": "BTB-2026-00001"}],
)
def test_digest_sees_content(change: dict) -> None:
    a = {"key": "k", "type": "payment.received", "at": AT, "client_id": "c1",
         "amount": "10.00", "method": "card"}
    assert digest(a) != digest({**a, **change})


@given(st.permutations(list(VALID[12].items())), st.text(min_size=1, max_size=20))
def test_digest_is_stable_under_reordering_and_rekeying(items, key) -> None:
    base = {"key": "k-0", "at": AT, **VALID[12]}
    shuffled = dict([("key", key), ("at", AT), *items])
    assert digest(shuffled) == digest(base)


def test_a_type_that_is_not_a_string_is_refused_not_a_crash() -> None:
    from application.facts import parse_fact
    from domain.errors import InvalidFact

    with pytest.raises(InvalidFact, match="unknown type"):
        parse_fact({"key": "k", "type": {"x": 1}, "at": "2026-05-01T10:00:00+02:00"})
