"""A deterministic synthetic year of facts for both providers, chronological by business time.

`Size` says how many BTBCONNECT subscriptions (one client each, ~10 appointments over their
life) and how many L'Étincelle clients (~25 sessions each); `facts(size, seed)` is the same list
for the same arguments. Every fact is valid: the engine records all of them.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

PARIS = ZoneInfo("Europe/Paris")
FIRST = date(2026, 4, 8)   # CGPS20260208-2 in force; CGV-2025-09-02 already is
LAST = date(2027, 3, 31)
FEES = {"START": "390.00", "GROW": "590.00", "DEV": "790.00", "SCALE": "990.00"}
REASONS = ("hors cible", "doublon", "prospect non qualifié")


@dataclass(frozen=True)
class Size:
    subscriptions: int
    etincelle_clients: int
    appointments_per_subscription: int = 10
    sessions_per_client: int = 25

    @classmethod
    def scaled(cls, scale: float) -> Size:
        return cls(max(1, round(10_000 * scale)), max(1, round(2_000 * scale)))


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=PARIS)


def iso(moment: datetime) -> str:
    return moment.astimezone(PARIS).isoformat()


def month_ends() -> list[date]:
    ends, month = [], date(FIRST.year, FIRST.month, 1)
    while month <= LAST:
        following = date(month.year + month.month // 12, month.month % 12 + 1, 1)
        ends.append(following - timedelta(days=1))
        month = following
    return ends


def working_days(first: date, last: date) -> list[date]:
    return [first + timedelta(days=n) for n in range((last - first).days + 1)
            if (first + timedelta(days=n)).weekday() < 5]


def facts(size: Size, seed: int) -> list[dict]:
    rng = random.Random(seed)
    timed: list[tuple[datetime, int, dict]] = []
    for n in range(1, size.subscriptions + 1):
        for moment, fact in btb_subscription(rng, n, size.appointments_per_subscription):
            timed.append((moment, len(timed), fact))
    for n in range(1, size.etincelle_clients + 1):
        for moment, fact in ets_client(rng, n, size.sessions_per_client):
            timed.append((moment, len(timed), fact))
    timed.sort(key=lambda item: item[:2])
    return [fact for _, _, fact in timed]


def fact(key: str, type_: str, moment: datetime, **fields: object) -> tuple[datetime, dict]:
    return moment, {"key": key, "type": type_, "at": iso(moment), **fields}


def btb_subscription(rng: random.Random, n: int, appointments: int) -> list[tuple[datetime, dict]]:
    cid, sid = f"B{n:06d}", f"BS{n:06d}"
    start = FIRST + timedelta(days=rng.randint(0, 45))
    plan = rng.choice(list(FEES))
    out = [fact(f"{cid}-reg", "client.registered", at(start, 8), client_id=cid, provider="btbconnect",
                name=f"Cabinet {n}"),
           fact(f"{sid}-start", "subscription.started", at(start, 9), subscription_id=sid, client_id=cid,
                plan=plan, monthly_fee=FEES[plan], prepaid_quarterly=rng.random() < 0.25)]
    last = LAST
    if rng.random() < 0.15:  # cancelled: appointments only before the notice
        notice = start + timedelta(days=rng.randint(90, 300))
        if notice < LAST:
            last = notice - timedelta(days=1)
            out.append(fact(f"{sid}-cancel", "subscription.cancellation_notified", at(notice, 12),
                            subscription_id=sid))
    if rng.random() < 0.3:
        out.append(fact(f"{sid}-multicanal", "subscription.option_activated", at(start, 9, 30),
                        subscription_id=sid, option="multicanal", monthly_fee_ht="250.00"))
    days = working_days(start + timedelta(days=1), last)
    count = min(len(days), max(1, round(appointments * rng.uniform(0.5, 1.5) * len(days) / 225)))
    for k, day in enumerate(sorted(rng.sample(days, count)), start=1):
        aid = f"{sid}-A{k:03d}"
        starts = at(day, rng.randint(9, 17))
        scheduled = max(starts - timedelta(days=rng.randint(1, 6)), at(start, 10))
        out.append(fact(f"{aid}-s", "appointment.scheduled", scheduled, appointment_id=aid, client_id=cid,
                        starts_at=iso(starts), subscription_id=sid))
        if rng.random() < 0.85:
            honoured = starts + timedelta(hours=1)
            out.append(fact(f"{aid}-h", "appointment.honoured", honoured, appointment_id=aid))
            if rng.random() < 0.1:
                out.append(fact(f"{aid}-x", "appointment.anomaly_declared", honoured + timedelta(hours=20),
                                appointment_id=aid, reason=rng.choice(REASONS)))
    return out


def ets_client(rng: random.Random, n: int, sessions: int) -> list[tuple[datetime, dict]]:
    cid = f"E{n:05d}"
    start = FIRST + timedelta(days=rng.randint(0, 30))
    per_session = rng.random() < 0.5
    out = [fact(f"{cid}-reg", "client.registered", at(start, 8), client_id=cid, provider="etincelle",
                name=f"Famille {n}", adult=True, invoicing="per_session" if per_session else "monthly")]
    if per_session and rng.random() < 0.2:  # avance immédiate: sealed personal data, URSSAF requests
        out.append(fact(f"{cid}-urssaf", "urssaf.client_registered", at(start, 8, 30), client_id=cid,
                        birth_name=f"Nom{n}", birth_date="1980-01-01", birth_place="Lyon",
                        address=f"{n} rue de la Paix, 69001 Lyon", email=f"famille{n}@example.fr",
                        iban="FR7630006000011234567890189"))
    days = working_days(start + timedelta(days=14), LAST)
    count = min(len(days), max(1, round(sessions * rng.uniform(0.6, 1.4) * len(days) / 240)))
    rate = rng.choice(("40.00", "45.00", "50.00"))
    for k, day in enumerate(sorted(rng.sample(days, count)), start=1):
        out += ets_session(rng, cid, f"{cid}-S{k:03d}", at(day, rng.randint(14, 19)), rate)
    return out


def ets_session(rng: random.Random, cid: str, sid: str, starts: datetime, rate: str) -> list[tuple[datetime, dict]]:
    minutes = rng.choice((60, 60, 90, 120))
    place = rng.choices(("home", "remote", "elsewhere"), (70, 25, 5))[0]
    booked = starts - timedelta(days=rng.randint(5, 12))
    out = [fact(f"{sid}-b", "session.booked", booked, session_id=sid, client_id=cid, starts_at=iso(starts),
                duration_minutes=minutes, place=place, level=rng.choice(("college", "lycee")), hourly_rate=rate),
           fact(f"{sid}-c", "session.confirmed", booked + timedelta(hours=1), session_id=sid)]
    roll = rng.random()
    if roll < 0.88:
        extra = {"parking_fee": "4.00"} if place == "elsewhere" else {}
        out.append(fact(f"{sid}-h", "session.held", starts + timedelta(minutes=minutes), session_id=sid, **extra))
    elif roll < 0.95:
        out.append(fact(f"{sid}-x", "session.cancelled", starts - timedelta(hours=rng.randint(2, 100)),
                        session_id=sid, by="client"))
    elif roll < 0.98:
        out.append(fact(f"{sid}-a", "session.student_absent", starts + timedelta(minutes=20), session_id=sid))
    return out


def late_honoured(facts: list[dict], count: int) -> list[dict]:
    """Facts that come late: `count` appointments of as many clients, scheduled and never said
    honoured, are said honoured (at their start plus an hour) after the year was billed."""
    honoured = {f["appointment_id"] for f in facts if f["type"] == "appointment.honoured"}
    late, clients = [], set()
    for f in facts:
        if f["type"] == "appointment.scheduled" and f["appointment_id"] not in honoured and \
                f["client_id"] not in clients and len(late) < count:
            clients.add(f["client_id"])
            moment = datetime.fromisoformat(f["starts_at"]) + timedelta(hours=1)
            late.append(fact(f"{f['appointment_id']}-late-h", "appointment.honoured", moment,
                             appointment_id=f["appointment_id"])[1])
    return late
