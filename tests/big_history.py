"""A large, deterministic BTBCONNECT history as contract facts, for load and crash tests.

`big_history(clients, seed)` gives, for each of `clients` clients, one subscription (plans
START/GROW/DEV/SCALE, some prepaid by quarter, some with the Multicanal option, some cancelled)
and a few appointments a month (scheduled, most honoured, some contested within 2 days), from
2026-04-10 (terms CGPS20260208-2 are in force from 2026-04-08) to 2027-03-31. Every fact is
valid: `billing ingest` records all of them, in the order given (chronological by `at`).
"""

from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from stdnum import luhn

PARIS = ZoneInfo("Europe/Paris")
FIRST_DAY = date(2026, 4, 10)
LAST_DAY = date(2027, 3, 31)
FEES = {"START": "390.00", "GROW": "590.00", "DEV": "790.00", "SCALE": "990.00"}
PLANS = list(FEES)
REASONS = ["prospect non qualifié", "hors cible", "rendez-vous non tenu par le prospect", "doublon"]



def siren_of(base: int) -> str:
    """A valid SIREN: 8 digits and their Luhn check digit."""
    return f"{base:08d}{luhn.calc_check_digit(f'{base:08d}')}"

def stamp(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=PARIS)


def text(moment: datetime) -> str:
    """ISO 8601 with the Paris offset of that moment (+02:00 in summer, +01:00 in winter)."""
    return moment.astimezone(PARIS).isoformat()


def big_history(clients: int, seed: int = 7) -> list[dict]:
    rng = random.Random(seed)
    timed: list[tuple[datetime, int, dict]] = []
    for number in range(1, clients + 1):
        for moment, fact in client_facts(rng, number):
            # The counter keeps the generation order between facts of the same instant.
            timed.append((moment, len(timed), fact))
    timed.sort(key=lambda item: (item[0], item[1]))
    return [fact for _, _, fact in timed]


def client_facts(rng: random.Random, number: int) -> list[tuple[datetime, dict]]:
    client_id = f"C{number:05d}"
    sub_id = f"S{number:05d}"
    start_day = FIRST_DAY + timedelta(days=rng.randint(0, 60))
    started = stamp(start_day, 9)
    plan = rng.choice(PLANS)
    facts: list[tuple[datetime, dict]] = [
        (stamp(start_day, 8), {
            "key": f"{client_id}-reg", "type": "client.registered", "at": text(stamp(start_day, 8)),
            "client_id": client_id, "provider": "btbconnect", "name": f"Cabinet {number}",
            **({"siren": siren_of(10_000_000 + number)} if rng.random() < 0.5 else {}),
        }),
        (started, {
            "key": f"{sub_id}-start", "type": "subscription.started", "at": text(started),
            "subscription_id": sub_id, "client_id": client_id, "plan": plan, "monthly_fee": FEES[plan],
            "prepaid_quarterly": rng.random() < 0.25,
        }),
    ]
    # A cancelled subscription runs at least until 15 days after the notice: appointments are
    # only placed before the notice, so they are always covered.
    last_day = LAST_DAY
    notice: datetime | None = None
    if rng.random() < 0.2:
        notice_day = start_day + timedelta(days=rng.randint(60, 220))
        if notice_day < LAST_DAY:
            notice = stamp(notice_day, 12)
            last_day = notice_day - timedelta(days=1)
    if rng.random() < 0.3:
        option_day = start_day + timedelta(days=rng.randint(0, 60))
        if option_day <= last_day:
            option_at = stamp(option_day, 9, 30)
            facts.append((option_at, {
                "key": f"{sub_id}-multicanal", "type": "subscription.option_activated",
                "at": text(option_at), "subscription_id": sub_id, "option": "multicanal",
                "monthly_fee_ht": "250.00",
            }))
    facts += appointment_facts(rng, client_id, sub_id, started, start_day + timedelta(days=1), last_day)
    if notice is not None:
        facts.append((notice, {
            "key": f"{sub_id}-cancel", "type": "subscription.cancellation_notified", "at": text(notice),
            "subscription_id": sub_id,
        }))
    return facts


def appointment_facts(
    rng: random.Random, client_id: str, sub_id: str, started: datetime, first: date, last: date,
) -> list[tuple[datetime, dict]]:
    """A few appointments each month on working days between `first` and `last`."""
    facts: list[tuple[datetime, dict]] = []
    count = 0
    month = date(first.year, first.month, 1)
    while month <= last:
        next_month = date(month.year + month.month // 12, month.month % 12 + 1, 1)
        days = [month + timedelta(days=d) for d in range((next_month - month).days)]
        days = [d for d in days if first <= d <= last and d.weekday() < 5]
        for day in sorted(rng.sample(days, min(len(days), rng.randint(1, 3)))):
            count += 1
            appt_id = f"{sub_id}-A{count:03d}"
            starts = stamp(day, rng.randint(9, 17))
            scheduled = max(starts - timedelta(days=rng.randint(1, 5), hours=2), started + timedelta(minutes=30))
            facts.append((scheduled, {
                "key": f"{appt_id}-s", "type": "appointment.scheduled", "at": text(scheduled),
                "appointment_id": appt_id, "client_id": client_id, "starts_at": text(starts),
                "subscription_id": sub_id,
            }))
            if rng.random() < 0.85:
                honoured = starts + timedelta(hours=1)
                facts.append((honoured, {
                    "key": f"{appt_id}-h", "type": "appointment.honoured", "at": text(honoured),
                    "appointment_id": appt_id,
                }))
                if rng.random() < 0.12:
                    declared = honoured + timedelta(minutes=rng.randint(30, 47 * 60))
                    facts.append((declared, {
                        "key": f"{appt_id}-x", "type": "appointment.anomaly_declared", "at": text(declared),
                        "appointment_id": appt_id, "reason": rng.choice(REASONS),
                    }))
        month = next_month
    return facts
