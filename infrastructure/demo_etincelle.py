"""The demo's L'Étincelle du Savoir history: four adult clients taking weekly tutoring in 2026,
as contract facts.

Terms CGV-2025-09-02 are in force since 2025-09-02, so they govern every session. The clients:

- Claire Martin, invoiced after each session, registered with URSSAF: one request validated
  explicitly, one remote session, a late provider and the make-up time given the week after,
  then a failed URSSAF debit: her avance immédiate is blocked and her April sessions are billed
  in full until URSSAF unblocks her account in May.
- Julien Bernard, invoiced monthly, registered with URSSAF: a paid parking fee in March, then he
  renounces the avance immédiate on 2 October; his later sessions are billed in full.
- Sophie Petit, invoiced monthly, remote sessions only (never eligible): one cancellation in
  time (not billed), one less than 72 hours before the start (billed).
- Thomas Lefebvre, invoiced after each session, paid in cash: a late student, a session held at
  the library, an absent student, and a force-majeure cancellation with proof, rescheduled.

Sessions are weekly, except on public holidays and during the summer break, booked and confirmed
five days ahead, then held (or cancelled, or missed). What each client owes directly (everything
URSSAF does not take on) is paid by card, transfer or cash after each month; what is still owed
at the end of December stays open. Built by plain loops over fixed data: every run yields the
same facts under the same keys. Times are Paris wall-clock times (+01:00 in winter, +02:00 in
summer, as Europe/Paris says on that day).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from zoneinfo import ZoneInfo

from domain.calendar import is_jour_ouvrable

PARIS = ZoneInfo("Europe/Paris")
TERMS = "CGV-2025-09-02"
TERMS_IN_FORCE = date(2025, 9, 2)
FIRST_DAY = date(2026, 1, 5)
LAST_DAY = date(2026, 12, 31)
LAST_SESSION_DAY = date(2026, 12, 18)  # Christmas holidays from the 19th
SUMMER_BREAK = (date(2026, 7, 4), date(2026, 8, 31))  # school summer holidays: no lessons
BOOKING_LEAD = timedelta(days=5)  # a session is booked, and confirmed in writing, 5 days ahead
# The deemed URSSAF timeline (INTERPRETATION.md): a request is sent at the end of the invoice's
# issue day, validated 48 hours later, and the client's share debited two days after that.
DEBIT_AFTER_ISSUE = timedelta(days=4)
MON, TUE, WED, THU, FRI, SAT = range(6)


@dataclass(frozen=True)
class Twist:
    """What set one session apart from a plain session held as booked."""

    place: str | None = None
    cancelled: str | None = None  # "in_time" (≥ 72 h before), "late" (< 72 h) or "force_majeure"
    rescheduled_to: datetime | None = None  # a force-majeure session made up later
    absent: bool = False
    student_late: int = 0
    provider_late: int = 0
    makeup: int = 0
    parking: str | None = None
    urssaf: str | None = None  # the client's answer to the request: "validated", or "debit_failed"


@dataclass(frozen=True)
class UrssafFile:
    """Registration with URSSAF for the avance immédiate (fake but well-formed personal data)."""

    registered: date
    birth_name: str
    usage_name: str | None
    birth_date: str
    birth_place: str
    address: str
    email: str
    iban: str
    unblocked: date | None = None
    renounced: date | None = None


@dataclass(frozen=True)
class Pupil:
    """An adult client and the weekly slot of the lessons they ordered."""

    client_id: str
    name: str
    invoicing: str
    registered: date
    weekday: int
    starts: time
    duration: int
    level: str
    place: str
    rate: str
    method: str  # how the client pays what it owes directly
    urssaf: UrssafFile | None = None
    twists: dict[date, Twist] = field(default_factory=dict)


@dataclass(frozen=True)
class Session:
    session_id: str
    pupil: Pupil
    starts_at: datetime
    booked_on: date
    twist: Twist

    @property
    def day(self) -> date:
        return self.starts_at.date()

    @property
    def ends_at(self) -> datetime:
        return self.starts_at + timedelta(minutes=self.pupil.duration)

    @property
    def place(self) -> str:
        return self.twist.place or self.pupil.place


def at(day: date, hour: int, minute: int = 0) -> datetime:
    """A Paris wall-clock moment; its offset is the one Europe/Paris has on that day."""
    return datetime.combine(day, time(hour, minute), tzinfo=PARIS)


PUPILS = [
    Pupil(
        "demo-ets-martin", "Claire Martin", "per_session", date(2026, 1, 6), WED, time(17, 30), 90,
        "lycee", "home", "40.00", "transfer",
        UrssafFile(date(2026, 1, 7), "DUVAL", "MARTIN", "1984-06-12", "Grenoble (38)",
                   "12 rue des Alpes, 38000 Grenoble", "claire.martin@example.fr",
                   "FR7630006000011234567890189", unblocked=date(2026, 5, 4)),
        {
            date(2026, 1, 21): Twist(urssaf="validated"),
            date(2026, 2, 11): Twist(place="remote"),
            date(2026, 3, 11): Twist(provider_late=20),
            date(2026, 3, 18): Twist(makeup=20),
            date(2026, 4, 1): Twist(urssaf="debit_failed"),
        },
    ),
    Pupil(
        "demo-ets-bernard", "Julien Bernard", "monthly", date(2026, 1, 5), MON, time(18, 0), 120,
        "superieur", "home", "45.00", "card",
        UrssafFile(date(2026, 1, 6), "BERNARD", None, "1979-11-03", "Lyon (69)",
                   "4 avenue Jean Jaurès, 38100 Grenoble", "julien.bernard@example.fr",
                   "FR7610278075000002041760166", renounced=date(2026, 10, 2)),
        {date(2026, 3, 16): Twist(parking="4.50")},
    ),
    Pupil(
        "demo-ets-petit", "Sophie Petit", "monthly", date(2026, 1, 8), THU, time(18, 30), 60,
        "college", "remote", "35.00", "card",
        twists={date(2026, 3, 5): Twist(cancelled="in_time"), date(2026, 5, 21): Twist(cancelled="late")},
    ),
    Pupil(
        "demo-ets-lefebvre", "Thomas Lefebvre", "per_session", date(2026, 1, 9), SAT, time(10, 0), 60,
        "lycee", "home", "40.00", "cash",
        twists={
            date(2026, 2, 7): Twist(student_late=10),
            date(2026, 3, 21): Twist(place="elsewhere"),
            date(2026, 6, 6): Twist(absent=True),
            date(2026, 10, 3): Twist(cancelled="force_majeure", rescheduled_to=at(date(2026, 10, 7), 14)),
        },
    ),
]


# --- sessions ---------------------------------------------------------------------------------


def lesson_days(pupil: Pupil) -> list[date]:
    """The pupil's weekday from a week after registration to mid-December, skipping public
    holidays and the summer break."""
    days = []
    day = pupil.registered + timedelta(days=BOOKING_LEAD.days + 1)
    while day <= LAST_SESSION_DAY:
        if (day.weekday() == pupil.weekday and is_jour_ouvrable(day)
                and not SUMMER_BREAK[0] <= day <= SUMMER_BREAK[1]):
            days.append(day)
        day += timedelta(days=1)
    return days


def pupil_sessions(pupil: Pupil) -> list[Session]:
    days = lesson_days(pupil)
    unknown = set(pupil.twists) - set(days)
    if unknown:
        raise ValueError(f"demo twists of {pupil.client_id} fall on no lesson day: {sorted(unknown)}")
    sessions = []
    for n, day in enumerate(days, start=1):
        twist = pupil.twists.get(day, Twist())
        session_id = f"{pupil.client_id}-s{n:02d}"
        sessions.append(Session(session_id, pupil, at(day, pupil.starts.hour, pupil.starts.minute),
                                day - BOOKING_LEAD, twist))
        if twist.rescheduled_to is not None:
            # Booked again on the day of the cancellation (CGV art. 7: the lesson is postponed).
            sessions.append(Session(f"{session_id}-report", pupil, twist.rescheduled_to, day, Twist()))
    return sessions


def all_sessions() -> list[Session]:
    return [s for pupil in PUPILS for s in pupil_sessions(pupil)]


# --- facts ------------------------------------------------------------------------------------


def fact(key: str, fact_type: str, moment: datetime, **fields: Any) -> dict[str, Any]:
    return {"key": key, "type": fact_type, "at": moment.isoformat(), **fields}


def client_facts(pupil: Pupil) -> list[dict[str, Any]]:
    facts = [fact(f"{pupil.client_id}-registered", "client.registered", at(pupil.registered, 10),
                  client_id=pupil.client_id, provider="etincelle", name=pupil.name, adult=True,
                  invoicing=pupil.invoicing)]
    u = pupil.urssaf
    if u is None:
        return facts
    usage = {"usage_name": u.usage_name} if u.usage_name else {}
    facts.append(fact(f"{pupil.client_id}-urssaf-registered", "urssaf.client_registered", at(u.registered, 10, 30),
                      client_id=pupil.client_id, birth_name=u.birth_name, **usage, birth_date=u.birth_date,
                      birth_place=u.birth_place, address=u.address, email=u.email, iban=u.iban))
    if u.unblocked:
        facts.append(fact(f"{pupil.client_id}-urssaf-unblocked", "urssaf.account_unblocked", at(u.unblocked, 9),
                          client_id=pupil.client_id))
    if u.renounced:
        facts.append(fact(f"{pupil.client_id}-urssaf-renounced", "urssaf.client_renounced", at(u.renounced, 14),
                          client_id=pupil.client_id))
    return facts


def session_facts(s: Session) -> list[dict[str, Any]]:
    p, t = s.pupil, s.twist
    facts = [
        fact(f"{s.session_id}-booked", "session.booked", at(s.booked_on, 12), session_id=s.session_id,
             client_id=p.client_id, starts_at=s.starts_at.isoformat(), duration_minutes=p.duration,
             place=s.place, level=p.level, hourly_rate=p.rate),
        fact(f"{s.session_id}-confirmed", "session.confirmed", at(s.booked_on, 18), session_id=s.session_id),
    ]
    if t.cancelled:
        facts.append(cancellation_fact(s))
    elif t.absent:
        facts.append(fact(f"{s.session_id}-absent", "session.student_absent", s.starts_at + timedelta(minutes=20),
                          session_id=s.session_id))
    else:
        details = {name: value for name, value in (
            ("student_late_minutes", t.student_late), ("provider_late_minutes", t.provider_late),
            ("parking_fee", t.parking), ("makeup_minutes", t.makeup)) if value}
        facts.append(fact(f"{s.session_id}-held", "session.held", s.ends_at, session_id=s.session_id, **details))
    if t.urssaf == "validated":
        # Validated online the evening after the invoice (sent at the end of the session day).
        facts.append(fact(f"{s.session_id}-urssaf-validated", "urssaf.request_validated",
                          at(s.day + timedelta(days=1), 19, 5), session_id=s.session_id))
    elif t.urssaf == "debit_failed":
        facts.append(fact(f"{s.session_id}-urssaf-debit-failed", "urssaf.debit_failed",
                          at(s.day + DEBIT_AFTER_ISSUE, 11), session_id=s.session_id))
    return facts


def cancellation_fact(s: Session) -> dict[str, Any]:
    kind = s.twist.cancelled
    if kind == "in_time":  # four days ahead: at least 72 hours before the start
        return fact(f"{s.session_id}-cancelled", "session.cancelled", at(s.day - timedelta(days=4), 9),
                    session_id=s.session_id, by="client")
    if kind == "late":  # the evening before: less than 72 hours before the start
        return fact(f"{s.session_id}-cancelled", "session.cancelled", at(s.day - timedelta(days=1), 20),
                    session_id=s.session_id, by="client")
    # Force majeure (the student in hospital), notified two hours before, with a certificate.
    return fact(f"{s.session_id}-cancelled", "session.cancelled", s.starts_at - timedelta(hours=2),
                session_id=s.session_id, by="client", force_majeure=True, proof=True)


# --- what each client owes directly, and pays -------------------------------------------------


def cents(amount: Decimal) -> Decimal:
    return amount.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def month_end(day: date) -> date:
    following = (day.replace(day=28) + timedelta(days=4)).replace(day=1)
    return following - timedelta(days=1)


def invoice_day(s: Session) -> date:
    """CGV art. 8: after each session, or at month end, as agreed with the client."""
    return month_end(s.day) if s.pupil.invoicing == "monthly" else s.day


def avance_applies(pupil: Pupil, day: date) -> bool:
    """Registered with URSSAF, not renounced, not blocked by the failed debit, on that day."""
    u = pupil.urssaf
    if u is None or day < u.registered or (u.renounced and u.renounced <= day):
        return False
    failures = [s.day + DEBIT_AFTER_ISSUE for s in pupil_sessions(pupil) if s.twist.urssaf == "debit_failed"]
    return not any(failed <= day and (u.unblocked is None or day < u.unblocked) for failed in failures)


def direct_dues(pupil: Pupil) -> list[tuple[datetime, Decimal]]:
    """(owed from, amount) of everything the client pays itself: lines not eligible for the
    avance immédiate (absence, late cancellation, remote or elsewhere, parking), eligible lines
    billed in full, and the request whose debit failed."""
    dues = []
    for s in pupil_sessions(pupil):
        t = s.twist
        if t.cancelled in ("in_time", "force_majeure"):
            continue
        price = cents(Decimal(pupil.rate) * pupil.duration / 60)
        owed = at(invoice_day(s), 0)
        eligible = not t.cancelled and not t.absent and s.place == "home"
        if not eligible or not avance_applies(pupil, invoice_day(s)):
            dues.append((owed, price))
        elif t.urssaf == "debit_failed":
            dues.append((at(s.day + DEBIT_AFTER_ISSUE, 11), price))
        if t.parking:
            dues.append((owed, Decimal(t.parking)))
    return dues


def pay_moments(pupil: Pupil) -> list[datetime]:
    """Cash at the end of the month's last lesson held; card or transfer on the 5th after the month."""
    if pupil.method == "cash":
        held = [s for s in pupil_sessions(pupil) if not s.twist.cancelled and not s.twist.absent]
        last = {}
        for s in held:
            last[(s.day.year, s.day.month)] = s.ends_at
        return sorted(last.values())
    return [at(date(2026, month, 5), 9) for month in range(2, 13)]


def payment_facts(pupil: Pupil) -> list[dict[str, Any]]:
    """One payment per occasion for the direct dues owed by then and not yet paid."""
    dues = sorted(direct_dues(pupil))
    facts = []
    for moment in pay_moments(pupil):
        now_owed = [d for d in dues if d[0] <= moment]
        dues = [d for d in dues if d[0] > moment]
        if now_owed:
            amount = sum((amount for _, amount in now_owed), Decimal(0))
            facts.append(fact(f"{pupil.client_id}-pay-{moment:%Y-%m-%d}", "payment.received", moment,
                              client_id=pupil.client_id, amount=f"{amount:.2f}", method=pupil.method))
    return facts


# --- the whole history ------------------------------------------------------------------------


def ets_facts() -> list[dict[str, Any]]:
    """Every fact of the history, in business-time order (stable for facts at the same moment)."""
    facts = [f for pupil in PUPILS for f in client_facts(pupil)]
    facts += [f for s in all_sessions() for f in session_facts(s)]
    facts += [f for pupil in PUPILS for f in payment_facts(pupil)]
    return sorted(facts, key=lambda f: datetime.fromisoformat(f["at"]))


def ets_lines() -> list[str]:
    return [json.dumps(f, ensure_ascii=False) for f in ets_facts()]


def ets_clients() -> dict[str, str]:
    """Client id → name, in the order the clients appear."""
    return {pupil.client_id: pupil.name for pupil in PUPILS}


def renounced_on() -> dict[str, date]:
    """The clients who renounced the avance immédiate, and when."""
    return {p.client_id: p.urssaf.renounced for p in PUPILS if p.urssaf and p.urssaf.renounced}
