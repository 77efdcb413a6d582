"""BTBCONNECT billing: the documents a client's recorded facts call for, under given terms.

A pure function of (facts, terms, date): issuing, replay and audit all call it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import lru_cache

from domain.appointments import Appointment
from domain.btb_extras import extras_drafts
from domain.calendar import paris_date
from domain.clients import Client
from domain.documents import Draft, Line, exempt_line, taxed_line, taxed_line_from_ttc
from domain.money import percent_of
from domain.periods import echeance, period_index
from domain.starter_packs import StarterPack
from domain.subscriptions import Subscription, option_ends_on, option_first_period
from domain.terms import BtbTerms

TermsFor = Callable[[str], BtbTerms]
PROVIDER = "btbconnect"


@dataclass
class BtbBook:
    """Everything recorded about one BTBCONNECT client."""

    client: Client
    pack: StarterPack | None = None
    subscriptions: list[Subscription] = field(default_factory=list)
    appointments: list[Appointment] = field(default_factory=list)


def btb_drafts(book: BtbBook, terms_for: TermsFor, up_to: date, after: date | None = None) -> list[Draft]:
    """The drafts due by `up_to`; with `after`, only those due after it (the others are not
    computed: a caller that knows them already billed)."""
    drafts = []
    if book.pack is not None:
        drafts.extend(pack_drafts(book.pack, terms_for(book.pack.terms), up_to, after))
    for sub in book.subscriptions:
        terms = terms_for(sub.terms)
        drafts.extend(fee_drafts(sub, terms, up_to, after))
        appointments = [a for a in book.appointments if a.subscription_id == sub.subscription_id]
        drafts.extend(extras_drafts(sub, appointments, terms, up_to, after))
    return sorted(drafts, key=lambda d: (d.due_on, d.key))


def pack_drafts(pack: StarterPack, terms: BtbTerms, up_to: date, after: date | None = None) -> list[Draft]:
    ordered_on = paris_date(pack.ordered_at)
    if ordered_on > up_to or (after is not None and ordered_on <= after):
        return []
    line = taxed_line_from_ttc(
        "starter_pack", f"Starter Pack – {terms.starter_pack.appointments} rendez-vous qualifiés",
        terms.starter_pack.price_ttc, terms.vat.standard_rate_on(ordered_on),
        terms.articles.starter_pack, (f"starter_pack:{pack.pack_id}",),
    )
    return [_draft(f"btb:pack:{pack.pack_id}", pack.client_id, ordered_on, terms, [line])]


def fee_drafts(sub: Subscription, terms: BtbTerms, up_to: date, after: date | None = None) -> list[Draft]:
    ends_on = sub.ends_on(terms)
    drafts = []
    k = 0 if after is None else max(0, period_index(sub.start_date, after) + 1)
    while (due := echeance(sub.start_date, k)) <= up_to and (ends_on is None or due < ends_on):
        # CGPS art. 9: no fee for a period that starts while the subscription is suspended.
        lines = [] if sub.suspended_on(due) else fee_lines(sub, k, terms) + option_lines(sub, k, terms)
        if lines:
            drafts.append(_draft(f"btb:fee:{sub.subscription_id}:{k}", sub.client_id, due, terms, lines))
        k += 1
    return drafts


def fee_lines(sub: Subscription, k: int, terms: BtbTerms) -> list[Line]:
    """One fee line a period, or for a prepaid quarter one line for three periods and the
    10 % discount on the fee only (CGPS art. 4.3)."""
    block = terms.prepayment.periods if sub.prepaid_quarterly else 1
    if k % block:
        return []
    source = (f"subscription:{sub.subscription_id}",)
    what = f"Abonnement {sub.plan} – {_span(sub, k, k + block)}"
    fee = exempt_line("subscription_fee", what, block, sub.monthly_fee, terms.vat.exempt_mention,
                      terms.articles.subscription_fee, source)
    if block == 1:
        return [fee]
    discount = -percent_of(fee.total_ht, terms.prepayment.discount_percent)
    label = f"Remise {terms.prepayment.discount_percent} % pour paiement de {block} mois d'avance"
    return [fee, exempt_line("prepayment_discount", label, 1, discount, terms.vat.exempt_mention,
                             terms.prepayment.article, source)]


def option_lines(sub: Subscription, k: int, terms: BtbTerms) -> list[Line]:
    due = echeance(sub.start_date, k)
    lines = []
    for span in sub.options:
        ends = None
        if span.cancellation_notified_at is not None:
            ends = option_ends_on(sub, span, paris_date(span.cancellation_notified_at), terms)
        if k >= option_first_period(sub, span) and (ends is None or due < ends):
            lines.append(taxed_line(
                span.option, f"Option Multicanal – {_span(sub, k, k + 1)}", 1, span.monthly_fee_ht,
                terms.vat.standard_rate_on(due), terms.articles.multicanal,
                (f"subscription:{sub.subscription_id}",),
            ))
    return lines


def _span(sub: Subscription, first: int, end: int) -> str:
    return span_text(sub.start_date, first, end)


@lru_cache(maxsize=1 << 16)
def span_text(start: date, first: int, end: int) -> str:
    last_day = echeance(start, end) - timedelta(days=1)
    return f"du {echeance(start, first):%d/%m/%Y} au {last_day:%d/%m/%Y}"


def _draft(key: str, client_id: str, due_on: date, terms: BtbTerms, lines: list[Line]) -> Draft:
    return Draft(key, "invoice", PROVIDER, client_id, due_on, terms.reference, tuple(lines),
                 (terms.late_payment.printed_mention,), terms.payment_due_days)
