"""The demo's BTBCONNECT history: six insurance agents, May to October 2026, as contract facts.

Built by plain loops over fixed data, so every run yields the same facts under the same keys
(recording them twice is a no-op). Terms CGPS20260208-2 are in force from 2026-04-08; every
fact falls between FIRST_DAY and LAST_DAY.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from domain.calendar import PARIS, add_jours_ouvrables, is_jour_ouvrable

FIRST_DAY = date(2026, 5, 1)
LAST_DAY = date(2026, 10, 31)
MON, TUE, WED, THU, FRI = range(5)
LEAD_DAYS = 3  # an appointment is scheduled this many days before it takes place
ANOMALY_EVERY = 8  # every 8th appointment of a client (the 7th, 15th, …) is contested
CANCELLED = "demo-ubaye-rdv-05"  # the one appointment cancelled before it took place


@dataclass(frozen=True)
class Agent:
    client_id: str
    name: str
    siren: str
    registered: date


@dataclass(frozen=True)
class Contract:
    """A subscription (plan set) or the Starter Pack (plan None), and its appointments' weekdays."""

    contract_id: str
    client_id: str
    start: date
    weekdays: tuple[int, ...]
    hour: int
    plan: str | None = None
    fee: str = ""
    prepaid: bool = False
    multicanal: str | None = None
    cancel_on: date | None = None
    ends: date | None = None  # first day not covered (derived from the notice, CGPS art. 4.2)
    limit: int | None = None  # number of appointments (the Starter Pack's 10)


AGENTS = [
    Agent("demo-alpes", "Agence des Alpes Assurances", "901000018", date(2026, 5, 2)),
    Agent("demo-durance", "Cabinet Durance Conseil", "901000026", date(2026, 5, 9)),
    Agent("demo-ecrins", "Ecrins Assurances", "901000034", date(2026, 5, 16)),
    Agent("demo-vercors", "Vercors Courtage", "901000042", date(2026, 5, 4)),
    Agent("demo-queyras", "Mutuelle du Queyras", "901000059", date(2026, 5, 29)),
    Agent("demo-ubaye", "Agence Ubaye Prévoyance", "901000067", date(2026, 5, 30)),
]

CONTRACTS = [
    # Notified 2026-07-10, ≥ 15 days before the échéance of 2026-08-04 ending the third period.
    Contract("demo-alpes-start", "demo-alpes", date(2026, 5, 4), (MON,), 10, "START", "390.00",
             cancel_on=date(2026, 7, 10), ends=date(2026, 8, 4)),
    Contract("demo-durance-grow", "demo-durance", date(2026, 5, 11), (TUE,), 14, "GROW", "590.00",
             multicanal="250.00"),
    Contract("demo-ecrins-dev", "demo-ecrins", date(2026, 5, 18), (WED,), 9, "DEV", "790.00",
             prepaid=True),
    Contract("demo-vercors-pack", "demo-vercors", date(2026, 5, 5), (TUE, FRI), 11, limit=10),
    Contract("demo-vercors-grow", "demo-vercors", date(2026, 6, 15), (FRI,), 11, "GROW", "590.00"),
    Contract("demo-queyras-scale", "demo-queyras", date(2026, 5, 31), (TUE, THU), 15, "SCALE", "990.00"),
    Contract("demo-ubaye-dev", "demo-ubaye", date(2026, 6, 1), (THU,), 16, "DEV", "790.00"),
]

# (key, client, amount, invoice number or None, day): direct debits. Numbers follow the issue
# order (BTB-2026-00001 is the first document issued); a payment naming no invoice settles the
# client's oldest open invoices, and what is left is held as credit for the next ones.
PAYMENTS = [
    ("demo-pay-alpes-01", "demo-alpes", "390.00", "BTB-2026-00001", date(2026, 5, 6)),
    ("demo-pay-vercors-pack", "demo-vercors", "1790.00", "BTB-2026-00002", date(2026, 5, 6)),
    ("demo-pay-durance-03", "demo-durance", "890.00", "BTB-2026-00003", date(2026, 5, 13)),
    ("demo-pay-ecrins-04", "demo-ecrins", "2133.00", "BTB-2026-00004", date(2026, 5, 20)),
    ("demo-pay-queyras-05", "demo-queyras", "990.00", "BTB-2026-00005", date(2026, 6, 2)),
    ("demo-pay-ubaye-june", "demo-ubaye", "790.00", None, date(2026, 6, 3)),
    ("demo-pay-alpes-june", "demo-alpes", "390.00", None, date(2026, 6, 5)),
    ("demo-pay-durance-08", "demo-durance", "890.00", "BTB-2026-00008", date(2026, 6, 12)),
    ("demo-pay-alpes-10", "demo-alpes", "169.00", "BTB-2026-00010", date(2026, 7, 2)),
    ("demo-pay-vercors-summer", "demo-vercors", "1180.00", None, date(2026, 7, 16)),
]

def at(day: date, hour: int, minute: int = 0) -> datetime:
    """A Paris wall-clock moment (offset +02:00 in summer, +01:00 from 25 October)."""
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=PARIS)


def fact(key: str, fact_type: str, moment: datetime, **fields: Any) -> dict[str, Any]:
    return {"key": key, "type": fact_type, "at": moment.isoformat(), **fields}


def agent_facts(agent: Agent) -> list[dict[str, Any]]:
    return [fact(f"{agent.client_id}-registered", "client.registered", at(agent.registered, 17),
                 client_id=agent.client_id, provider="btbconnect", name=agent.name, siren=agent.siren)]


def pack_facts(c: Contract) -> list[dict[str, Any]]:
    return [
        fact(f"{c.contract_id}-ordered", "starter_pack.ordered", at(c.start, 8, 30),
             pack_id=c.contract_id, client_id=c.client_id),
        fact(f"{c.contract_id}-campaign", "starter_pack.campaign_started", at(c.start + timedelta(days=1), 8),
             pack_id=c.contract_id),
    ]


def subscription_facts(c: Contract) -> list[dict[str, Any]]:
    facts = [fact(f"{c.contract_id}-started", "subscription.started", at(c.start, 8, 30),
                  subscription_id=c.contract_id, client_id=c.client_id, plan=c.plan,
                  monthly_fee=c.fee, prepaid_quarterly=c.prepaid)]
    if c.multicanal:
        facts.append(fact(f"{c.contract_id}-multicanal", "subscription.option_activated", at(c.start, 8, 45),
                          subscription_id=c.contract_id, option="multicanal", monthly_fee_ht=c.multicanal))
    if c.cancel_on:
        facts.append(fact(f"{c.contract_id}-cancelled", "subscription.cancellation_notified",
                          at(c.cancel_on, 16), subscription_id=c.contract_id))
    return facts


def appointment_days(c: Contract) -> list[date]:
    """The contract's weekdays from LEAD_DAYS after its start, skipping public holidays."""
    days: list[date] = []
    day = c.start + timedelta(days=LEAD_DAYS)
    while day <= LAST_DAY and (c.ends is None or day < c.ends) and (c.limit is None or len(days) < c.limit):
        if day.weekday() in c.weekdays and is_jour_ouvrable(day):
            days.append(day)
        day += timedelta(days=1)
    return days


def appointment_facts(c: Contract, n: int, day: date) -> list[dict[str, Any]]:
    appt_id = f"{c.client_id}-rdv-{n:02d}"
    contract = {"pack_id" if c.plan is None else "subscription_id": c.contract_id}
    scheduled = fact(f"{appt_id}-scheduled", "appointment.scheduled", at(day - timedelta(days=LEAD_DAYS), 9),
                     appointment_id=appt_id, client_id=c.client_id,
                     starts_at=at(day, c.hour).isoformat(), **contract)
    return [scheduled, *outcome_facts(c, appt_id, n, day)]


def outcome_facts(c: Contract, appt_id: str, n: int, day: date) -> list[dict[str, Any]]:
    """Cancelled the day before, or honoured on the day, then perhaps contested within the window."""
    if appt_id == CANCELLED:
        return [fact(f"{appt_id}-cancelled", "appointment.cancelled", at(day - timedelta(days=1), 17),
                     appointment_id=appt_id)]
    honoured = fact(f"{appt_id}-honoured", "appointment.honoured", at(day, c.hour + 1), appointment_id=appt_id)
    contest_on = add_jours_ouvrables(day, 2)
    if n % ANOMALY_EVERY != ANOMALY_EVERY - 1 or contest_on > LAST_DAY:
        return [honoured]
    return [honoured, fact(f"{appt_id}-anomaly", "appointment.anomaly_declared", at(contest_on, 11),
                           appointment_id=appt_id, reason="Prospect hors cible : pas de besoin assurantiel")]


def contract_facts(c: Contract, first_number: int) -> list[dict[str, Any]]:
    facts = pack_facts(c) if c.plan is None else subscription_facts(c)
    for n, day in enumerate(appointment_days(c), start=first_number):
        facts.extend(appointment_facts(c, n, day))
    return facts


def payment_facts() -> list[dict[str, Any]]:
    facts = []
    for key, client_id, amount, invoice, day in PAYMENTS:
        named = {"invoice": invoice} if invoice else {}
        facts.append(fact(key, "payment.received", at(day, 7), client_id=client_id, amount=amount,
                          method="direct_debit", **named))
    return facts


def demo_facts() -> list[dict[str, Any]]:
    """Every fact of the history, in business-time order (stable for facts at the same moment)."""
    facts = [f for agent in AGENTS for f in agent_facts(agent)]
    numbers: dict[str, int] = {}
    for c in CONTRACTS:
        facts.extend(contract_facts(c, numbers.get(c.client_id, 1)))
        numbers[c.client_id] = numbers.get(c.client_id, 1) + len(appointment_days(c))
    facts.extend(payment_facts())
    return sorted(facts, key=lambda f: datetime.fromisoformat(f["at"]))


def demo_lines() -> list[str]:
    return [json.dumps(f, ensure_ascii=False) for f in demo_facts()]


def demo_clients() -> dict[str, str]:
    """Client id → name, in the order the agents appear."""
    return {agent.client_id: agent.name for agent in AGENTS}
