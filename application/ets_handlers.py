"""L'Étincelle du Savoir facts: load → one call → save (contract: "L'Étincelle du Savoir")."""

from __future__ import annotations

from typing import Any

from application import ets_facts as f
from application.context import Context
from application.personal_data import registration_from_fact
from domain.calendar import paris_date
from domain.clients import Client
from domain.errors import SessionStateError, TermsError
from domain.sessions import Attendance, TutoringSession
from domain.terms import EtincelleTerms
from domain.urssaf_account import UrssafAccount

CLIENT_HINT = "ingest its client.registered first"
SESSION_HINT = "ingest its session.booked first"
URSSAF_HINT = "ingest its urssaf.client_registered first"


def ets_terms(ctx: Context, reference: str | None, at) -> EtincelleTerms:
    terms = ctx.catalog.get_for("etincelle", reference) if reference else ctx.catalog.in_force("etincelle", paris_date(at))
    if not isinstance(terms, EtincelleTerms):
        raise TermsError(f"terms version {terms.reference!r} is not an Étincelle version")
    return terms


def ets_client(client_id: str, ctx: Context, what: str) -> Client:
    client = ctx.named(Client, client_id, "client", CLIENT_HINT)
    client.check_provider("etincelle", what)
    return client


def session(fact: Any, ctx: Context) -> TutoringSession:
    return ctx.named(TutoringSession, fact.session_id, "session", SESSION_HINT)


def session_booked(fact: f.SessionBooked, ctx: Context) -> list[Any]:
    ets_client(fact.client_id, ctx, "a tutoring session")
    ctx.require_new(TutoringSession, fact.session_id, "session")
    return [TutoringSession.book(fact.session_id, fact.client_id, fact.starts_at, fact.duration_minutes,
                                 fact.place, fact.level, fact.hourly_rate, ctx.stamp)]


def session_confirmed(fact: f.SessionConfirmed, ctx: Context) -> list[Any]:
    s = session(fact, ctx)
    # CGV art. 1, 3: the version in force at confirmation governs the session, unless named.
    s.confirm(fact.hourly_rate or s.hourly_rate, ets_terms(ctx, fact.terms, fact.at), ctx.stamp)
    return [s]


def session_cancelled(fact: f.SessionCancelled, ctx: Context) -> list[Any]:
    s = session(fact, ctx)
    terms = ets_terms(ctx, s.terms, fact.at) if s.confirmed_as_of(fact.at) else None
    s.cancel(fact.by, fact.force_majeure, fact.proof, terms, ctx.stamp)
    return [s]


def session_held(fact: f.SessionHeld, ctx: Context) -> list[Any]:
    s = session(fact, ctx)
    client = ctx.get(Client, s.client_id, "client", CLIENT_HINT)
    attendance = Attendance(fact.at, fact.student_late_minutes, fact.provider_late_minutes, fact.parking_fee,
                            fact.makeup_minutes)
    s.check_hold(attendance, ctx.stamp)
    client.settle_makeup(s.session_id, fact.provider_late_minutes, fact.makeup_minutes, ctx.stamp)
    s.hold(attendance, ctx.stamp)
    return [s, client]


def student_absent(fact: f.SessionStudentAbsent, ctx: Context) -> list[Any]:
    s = session(fact, ctx)
    s.mark_absent(ctx.stamp)
    return [s]


def urssaf_answer(answer: str):
    def handle(fact: Any, ctx: Context) -> list[Any]:
        s = session(fact, ctx)
        account = ctx.get(UrssafAccount, s.client_id, "URSSAF registration of client", URSSAF_HINT)
        terms = ets_terms(ctx, s.terms, fact.at)
        check_request_covers(s, fact, terms)
        s.check_urssaf_answer(answer, ctx.stamp)
        account.record_answer(s.session_id, s.starts_at, answer, ctx.stamp, terms)
        s.record_urssaf_answer(answer, ctx.stamp)
        return [s, account]
    return handle


def check_request_covers(s: TutoringSession, fact: Any, terms: EtincelleTerms) -> None:
    """An answer concerns the request covering the session: sent after an eligible session held
    (as of the answer) while the client's avance immédiate applied (CGV art. 8 bis 8.2; the
    account judges the last part)."""
    held_at_home = s.held_as_of(fact.at) and s.place in terms.sap.eligible_places
    if not held_at_home or fact.at < s.starts_at:
        raise SessionStateError(
            f"no URSSAF request covers session {s.session_id!r} at {fact.at.isoformat()}: only an eligible "
            "session held at home while the avance immédiate applies is sent to URSSAF, after it took place"
        )


def urssaf_client_registered(fact: f.UrssafClientRegistered, ctx: Context) -> list[Any]:
    client = ets_client(fact.client_id, ctx, "the URSSAF avance immédiate")
    terms = ets_terms(ctx, None, fact.at)
    # CGV art. 8.5, 12: personal data is stored only sealed with the client's own key.
    fields = fact.model_dump(exclude={"key", "type", "at", "client_id"}, exclude_none=True)
    registration = registration_from_fact(fields, on=paris_date(fact.at), minimum_age=terms.minimum_client_age)
    missing = registration.missing_for_api()
    if ctx.exists(UrssafAccount, fact.client_id):
        account = urssaf_account(fact.client_id, ctx)
        account.complete_registration(ctx.vault.seal(client.client_id, registration.sealable()), missing, ctx.stamp)
        return [account]
    sealed = ctx.vault.seal(client.client_id, registration.sealable())
    return [UrssafAccount.register(client.client_id, sealed, ctx.stamp, missing)]


def urssaf_account(client_id: str, ctx: Context) -> UrssafAccount:
    return ctx.named(UrssafAccount, client_id, "URSSAF registration of client", URSSAF_HINT)


def urssaf_client_renounced(fact: f.UrssafClientRenounced, ctx: Context) -> list[Any]:
    account = urssaf_account(fact.client_id, ctx)
    account.renounce(ctx.stamp, ets_terms(ctx, None, fact.at))
    return [account]


def urssaf_account_activated(fact: f.UrssafAccountActivated, ctx: Context) -> list[Any]:
    account = urssaf_account(fact.client_id, ctx)
    account.activate(ctx.stamp)
    return [account]


def urssaf_account_unblocked(fact: f.UrssafAccountUnblocked, ctx: Context) -> list[Any]:
    account = urssaf_account(fact.client_id, ctx)
    account.unblock(ctx.stamp, ets_terms(ctx, None, fact.at))
    return [account]


HANDLERS = {
    "session.booked": session_booked,
    "session.confirmed": session_confirmed,
    "session.cancelled": session_cancelled,
    "session.held": session_held,
    "session.student_absent": student_absent,
    "urssaf.client_registered": urssaf_client_registered,
    "urssaf.account_activated": urssaf_account_activated,
    "urssaf.client_renounced": urssaf_client_renounced,
    "urssaf.request_validated": urssaf_answer("validated"),
    "urssaf.request_contested": urssaf_answer("contested"),
    "urssaf.debit_failed": urssaf_answer("debit_failed"),
    "urssaf.account_unblocked": urssaf_account_unblocked,
}
