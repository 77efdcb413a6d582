"""Extra appointments (CGPS art. 4.1, 6.2): billed at each calendar month end.

For every period: max(0, validated so far − included) − already billed. Equivalently, the
appointments of a period beyond its quota, in the order they became validated, are billed at
the end of the month in which each became validated.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date

from domain.appointments import Appointment
from domain.calendar import month_end, paris_date
from domain.documents import Draft, Line, exempt_line
from domain.periods import echeance, period_index
from domain.subscriptions import Subscription
from domain.terms import BtbTerms


def extras_drafts(
    sub: Subscription, appointments: list[Appointment], terms: BtbTerms, up_to: date,
    after: date | None = None,
) -> list[Draft]:
    by_month: dict[date, dict[int, list[str]]] = defaultdict(lambda: defaultdict(list))
    for k, ranked in validated_by_period(sub, appointments, terms).items():
        for validated_on, appointment_id in ranked[included(sub, k, terms):]:
            by_month[month_end(validated_on)][k].append(appointment_id)
    drafts = []
    for month, periods in sorted(by_month.items()):
        if month <= up_to and (after is None or month > after):
            lines = [extras_line(sub, k, ids, terms) for k, ids in sorted(periods.items())]
            drafts.append(Draft(
                f"btb:extras:{sub.subscription_id}:{month:%Y-%m}", "invoice", "btbconnect",
                sub.client_id, month, terms.reference, tuple(lines), (terms.late_payment.printed_mention,),
                terms.payment_due_days,
            ))
    return drafts


def validated_by_period(
    sub: Subscription, appointments: list[Appointment], terms: BtbTerms,
) -> dict[int, list[tuple[date, str]]]:
    """Validated appointments per period (by their date), in the order they became validated."""
    periods: dict[int, list[tuple]] = defaultdict(list)
    for appt in appointments:
        validated_at = appt.validated_at(terms)
        if validated_at is not None:
            k = period_index(sub.start_date, paris_date(appt.starts_at))
            periods[k].append((validated_at, appt.starts_at, appt.appointment_id))
    return {
        k: [(paris_date(v), appt_id) for v, _, appt_id in sorted(rows)]
        for k, rows in periods.items()
    }


def included(sub: Subscription, k: int, terms: BtbTerms) -> int:
    """The quota of a billed period; a period the subscription does not cover includes none."""
    ends_on = sub.ends_on(terms)
    if k < 0 or (ends_on is not None and echeance(sub.start_date, k) >= ends_on):
        return 0
    return terms.plans[sub.plan].included


def extras_line(sub: Subscription, k: int, appointment_ids: list[str], terms: BtbTerms) -> Line:
    plan = terms.plans[sub.plan]
    start = echeance(sub.start_date, k)
    what = (f"Rendez-vous supplémentaires {sub.plan} – période commencée le {start:%d/%m/%Y} "
            f"({plan.included} inclus)")
    return exempt_line(
        "extra_appointments", what, len(appointment_ids), plan.extra_price,
        terms.vat.exempt_mention, terms.articles.extra_appointments,
        tuple(f"appointment:{a}" for a in appointment_ids),
    )
