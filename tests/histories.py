"""Random but valid-looking BTBCONNECT histories, as contract facts, for property tests."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

from hypothesis import strategies as st

ORIGIN = date(2026, 4, 10)
PLANS = ["START", "GROW", "DEV", "SCALE"]


def moment(day: date, hour: int = 10) -> str:
    return datetime(day.year, day.month, day.day, hour, tzinfo=timezone(timedelta(hours=2))).isoformat()


subscriptions = st.lists(st.fixed_dictionaries({
    "plan": st.sampled_from(PLANS),
    "start": st.integers(0, 120),
    "prepaid": st.booleans(),
    "cancel_after": st.none() | st.integers(0, 200),
    "option_after": st.none() | st.integers(0, 100),
    "appointments": st.lists(st.tuples(st.integers(0, 200), st.sampled_from(["honoured", "contested", "cancelled", "scheduled"])), max_size=12),
}), min_size=1, max_size=4)


def facts_for(subs: list[dict], pack: bool) -> list[dict]:
    facts: list[dict] = [{"key": "c", "type": "client.registered", "at": moment(ORIGIN, 8), "client_id": "C",
                          "provider": "btbconnect", "name": "Client"}]
    if pack:
        facts.append({"key": "p", "type": "starter_pack.ordered", "at": moment(ORIGIN), "pack_id": "P", "client_id": "C"})
    for i, sub in enumerate(subs):
        facts += subscription_facts(f"S{i}", sub)
    return facts


def subscription_facts(sid: str, sub: dict) -> list[dict]:
    start = ORIGIN + timedelta(days=sub["start"])
    facts = [{"key": sid, "type": "subscription.started", "at": moment(start, 9), "subscription_id": sid,
              "client_id": "C", "plan": sub["plan"], "monthly_fee": "490.00", "prepaid_quarterly": sub["prepaid"]}]
    if sub["option_after"] is not None:
        facts.append({"key": f"{sid}-o", "type": "subscription.option_activated",
                      "at": moment(start + timedelta(days=sub["option_after"])), "subscription_id": sid,
                      "option": "multicanal", "monthly_fee_ht": "199.99"})
    for j, (offset, fate) in enumerate(sub["appointments"]):
        facts += appointment_facts(f"{sid}-A{j}", sid, start + timedelta(days=offset), fate)
    if sub["cancel_after"] is not None:
        facts.append({"key": f"{sid}-x", "type": "subscription.cancellation_notified",
                      "at": moment(start + timedelta(days=sub["cancel_after"]), 12), "subscription_id": sid})
    return facts


def appointment_facts(aid: str, sid: str, day: date, fate: str) -> list[dict]:
    facts = [{"key": aid, "type": "appointment.scheduled", "at": moment(day, 8), "appointment_id": aid,
              "client_id": "C", "starts_at": moment(day), "subscription_id": sid}]
    if fate in ("honoured", "contested"):
        facts.append({"key": f"{aid}-h", "type": "appointment.honoured", "at": moment(day, 11), "appointment_id": aid})
    if fate == "contested":
        facts.append({"key": f"{aid}-a", "type": "appointment.anomaly_declared", "at": moment(day + timedelta(days=2)),
                      "appointment_id": aid, "reason": "hors cible"})
    if fate == "cancelled":
        facts.append({"key": f"{aid}-x", "type": "appointment.cancelled", "at": moment(day, 7), "appointment_id": aid})
    return facts
