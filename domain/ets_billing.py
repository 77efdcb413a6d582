"""L'Étincelle du Savoir billing (CGV art. 3, 5, 6, 8, 8 bis): the documents a client's sessions
call for, under given terms. A pure function of (facts, terms, date)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from domain.calendar import PARIS, end_of_day, month_end, paris_date
from domain.clients import Client
from domain.documents import Draft, Line
from domain.money import ZERO, percent_of, to_cents
from domain.sessions import TutoringSession, is_late
from domain.terms import EtincelleTerms
from domain.urssaf_account import UrssafAccount, avance_immediate_applies

TermsFor = Callable[[str], EtincelleTerms]
PROVIDER = "etincelle"
PLACES = {"home": "à domicile", "remote": "à distance", "elsewhere": "hors domicile"}


@dataclass
class EtsBook:
    client: Client
    sessions: list[TutoringSession] = field(default_factory=list)
    account: UrssafAccount | None = None


def outcome(session: TutoringSession, terms: EtincelleTerms) -> str | None:
    """What the session is billed as: 'session', 'absence', 'late_cancellation', or None."""
    if session.confirmed_at is None:
        return None
    c = session.cancellation
    if c is not None:
        free = (c.at < session.confirmed_at or c.by == "provider" or not is_late(session, c, terms)
                or (c.force_majeure and c.proof))
        return None if free else "late_cancellation"
    if session.attendance is not None:
        return "session"
    return "absence" if session.absent_at is not None else None


def service_date(session: TutoringSession) -> date:
    return paris_date(session.starts_at)


def ets_drafts(book: EtsBook, terms_for: TermsFor, up_to: date, after: date | None = None) -> list[Draft]:
    """The drafts due by `up_to`; with `after`, only those due after it."""
    groups: dict[tuple[str, date], list[TutoringSession]] = defaultdict(list)
    # A session's invoice falls due by the end of its month, at the latest (CGV art. 8).
    sessions = [s for s in book.sessions if after is None or month_end(service_date(s)) > after]
    for session in sorted(sessions, key=lambda s: (s.starts_at, s.session_id)):
        if session.terms and outcome(session, terms_for(session.terms)):
            groups[group_of(book, session)].append(session)
    return [draft_for(book, key, due, sessions, terms_for) for (key, due), sessions in groups.items()
            if due <= up_to and (after is None or due > after)]


def group_of(book: EtsBook, session: TutoringSession) -> tuple[str, date]:
    """CGV art. 8: an invoice after each session, or one at month end, as agreed."""
    day = service_date(session)
    if book.client.details.get("invoicing") == "monthly":
        return f"ets:month:{book.client.client_id}:{day:%Y-%m}", month_end(day)
    return f"ets:session:{session.session_id}", day


def draft_for(book: EtsBook, key: str, due: date, sessions: list[TutoringSession], terms_for: TermsFor) -> Draft:
    terms = terms_for(max(s.terms for s in sessions))
    lines = [line for s in sessions for line in session_lines(s, terms_for(s.terms))]
    details = avance_immediate(book, lines, due, terms)
    notes = [terms.late_payment.printed_mention]
    if details:
        notes.append(avance_note(details["avance_immediate"]))
    return Draft(key, "invoice", PROVIDER, book.client.client_id, due, terms.reference, tuple(lines),
                 tuple(notes), terms.payment_due_days, details)


def session_lines(session: TutoringSession, terms: EtincelleTerms) -> list[Line]:
    code = outcome(session, terms)
    hours = (Decimal(session.duration_minutes) / 60).quantize(Decimal("0.0001")).normalize()
    eligible = code == "session" and session.place in terms.sap.eligible_places
    article = {"session": terms.articles.session, "absence": terms.articles.absence,
               "late_cancellation": terms.articles.late_cancellation}[code]
    total = to_cents(session.hourly_rate * session.duration_minutes / 60)
    lines = [Line(code, describe(session, code), hours, session.hourly_rate, total, ZERO, ZERO, total,
                  terms.vat_mention, article, (f"session:{session.session_id}",), eligible,
                  hours if eligible else ZERO)]
    parking = session.attendance.parking_fee if session.attendance else None
    if parking:
        lines.append(Line("parking", f"Stationnement – cours du {service_date(session):%d/%m/%Y}",
                          Decimal(1), parking, parking, ZERO, ZERO, parking, terms.vat_mention,
                          terms.articles.parking, (f"session:{session.session_id}",)))
    return lines


def describe(session: TutoringSession, code: str) -> str:
    what = {"session": "Cours particulier", "absence": "Cours non effectué, élève absent",
            "late_cancellation": "Cours annulé moins de 72 h avant"}[code]
    text = (f"{what} ({session.level}) – {session.starts_at.astimezone(PARIS):%d/%m/%Y %H:%M}, "
            f"{session.duration_minutes} min, {PLACES[session.place]}")
    late = session.attendance.provider_late_minutes if session.attendance else 0
    return text + (f" – retard du prestataire : {late} min à rattraper" if late else "")


def avance_immediate(book: EtsBook, lines: list[Line], due: date, terms: EtincelleTerms) -> dict:
    """CGV art. 8 bis: the eligible lines are asked of URSSAF, which advances the credit share."""
    eligible = sum((line.total_ttc for line in lines if line.eligible), ZERO)
    if not eligible or not avance_immediate_applies(book.account, end_of_day(due), terms):
        return {}
    share = percent_of(eligible, terms.avance_immediate.credit_percent)
    hours = sum((line.hours for line in lines if line.eligible), ZERO)
    return {"avance_immediate": {"amount": eligible, "urssaf_share": share, "client_share": eligible - share,
                                 "hours": hours, "credit_percent": terms.avance_immediate.credit_percent}}


def avance_note(info: dict) -> str:
    return (f"Avance immédiate : {info['amount']:.2f} € demandés à l'URSSAF, dont {info['urssaf_share']:.2f} € "
            f"de crédit d'impôt avancé ({info['credit_percent']} %) et {info['client_share']:.2f} € à votre "
            "charge, prélevés par l'URSSAF.")
