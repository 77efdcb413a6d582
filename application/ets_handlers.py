"""L'Étincelle du Savoir facts: load → one call → save (contract: "L'Étincelle du Savoir")."""

from __future__ import annotations

from typing import Any

from application import ets_facts as f
from application.context import Context
from application.personal_data import registration_from_fact
from domain.calendar import paris_date
from domain.clients import Client
from domain.errors import AlreadyExists, SessionStateError, TermsError
from domain.sessions import Attendance, TutoringSession
from domain.terms import EtincelleTerms
from domain.urssaf_account import UrssafAccount, avance_immediate_applies

CLIENT_HINT = "ingest its client.registered first"
SESSION_HINT = "ingest its session.booked first"
URSSAF_HINT = "ingest its urssaf.client_registered first"


def ets_terms(ctx: Context, reference: str | None, at) -> EtincelleTerms:
    terms = ctx.catalog.get_for("etincelle", reference) if reference else ctx.catalog.in_force("etincelle", paris_date(at))
    if not isinstance(terms, EtincelleTerms):
        raise TermsError(f"terms version {terms.reference!r} is not an Étincelle version")
    return terms


def ets_client(client_id: str, ctx: Context, what: str) -> Client:
    client = ctx.get(Client, client_id, "client", CLIENT_HINT)
    client.check_provider("etincelle", what)
    return client


def session(fact: Any, ctx: Context) -> TutoringSession:
    return ctx.get(TutoringSession, fact.session_id, "session", SESSION_HINT)


def session_booked(fact: f.SessionBooked, ctx: Context) -> list[Any]:
    ets_client(fact.client_id, ctx, "a tutoring session")
    ctx.require_new(TutoringSession, fact.session_id, "session")
    return [TutoringSession.book(fact.session_id, fact.client_id, fact.starts_at, fact.duration_minutes,
                                 fact.place, fact.level, fact.hourly_rate, fact.at, ctx.recorded_at)]


def session_confirmed(fact: f.SessionConfirmed, ctx: Context) -> list[Any]:
    s = session(fact, ctx)
    # CGV art. 1, 3: the version in force at confirmation governs the session.
    s.confirm(fact.hourly_rate or s.hourly_rate, ets_terms(ctx, None, fact.at), fact.at, ctx.recorded_at)
    return [s]


def session_cancelled(fact: f.SessionCancelled, ctx: Context) -> list[Any]:
    s = session(fact, ctx)
    s.cancel(fact.by, fact.force_majeure, fact.proof, ets_terms(ctx, s.terms, fact.at), fact.at, ctx.recorded_at)
    return [s]


def session_held(fact: f.SessionHeld, ctx: Context) -> list[Any]:
    s = session(fact, ctx)
    client = ctx.get(Client, s.client_id, "client", CLIENT_HINT)
    attendance = Attendance(fact.at, fact.student_late_minutes, fact.provider_late_minutes, fact.parking_fee,
                            fact.makeup_minutes)
    s.check_hold(attendance)
    client.settle_makeup(s.session_id, fact.provider_late_minutes, fact.makeup_minutes, fact.at, ctx.recorded_at)
    s.hold(attendance, ctx.recorded_at)
    return [s, client]


def student_absent(fact: f.SessionStudentAbsent, ctx: Context) -> list[Any]:
    s = session(fact, ctx)
    s.mark_absent(fact.at, ctx.recorded_at)
    return [s]


def urssaf_answer(answer: str):
    def handle(fact: Any, ctx: Context) -> list[Any]:
        s = session(fact, ctx)
        account = ctx.get(UrssafAccount, s.client_id, "URSSAF registration of client", URSSAF_HINT)
        check_request_covers(s, account, fact, ctx)
        s.record_urssaf_answer(answer, fact.at, ctx.recorded_at)
        if answer != "debit_failed":
            return [s]
        account.record_debit_failure(s.session_id, fact.at, ctx.recorded_at)
        return [s, account]
    return handle


def check_request_covers(s: TutoringSession, account: UrssafAccount, fact: Any, ctx: Context) -> None:
    """An answer concerns the request covering the session: sent after an eligible session held
    while the client's avance immédiate applied (CGV art. 8 bis 8.2)."""
    terms = ets_terms(ctx, s.terms, fact.at)
    held_at_home = s.attendance is not None and s.place in terms.sap.eligible_places
    if not held_at_home or fact.at < s.starts_at or not avance_immediate_applies(account, s.starts_at, terms):
        raise SessionStateError(
            f"no URSSAF request covers session {s.session_id!r} at {fact.at.isoformat()}: only an eligible "
            "session held at home while the avance immédiate applies is sent to URSSAF, after it took place"
        )


def urssaf_client_registered(fact: f.UrssafClientRegistered, ctx: Context) -> list[Any]:
    client = ets_client(fact.client_id, ctx, "the URSSAF avance immédiate")
    if ctx.exists(UrssafAccount, fact.client_id):
        raise AlreadyExists(f"client {fact.client_id!r} is already registered with URSSAF")
    terms = ets_terms(ctx, None, fact.at)
    # CGV art. 8.5, 12: personal data is stored only sealed with the client's own key.
    registration = registration_from_fact(fact.model_dump(exclude={"key", "type", "at", "client_id"}),
                                          on=paris_date(fact.at), minimum_age=terms.minimum_client_age)
    sealed = ctx.vault.seal(client.client_id, registration.sealable())
    return [UrssafAccount.register(client.client_id, sealed, fact.at, ctx.recorded_at)]


def urssaf_client_renounced(fact: f.UrssafClientRenounced, ctx: Context) -> list[Any]:
    account = ctx.get(UrssafAccount, fact.client_id, "URSSAF registration of client", URSSAF_HINT)
    account.renounce(fact.at, ctx.recorded_at)
    return [account]


def urssaf_account_unblocked(fact: f.UrssafAccountUnblocked, ctx: Context) -> list[Any]:
    account = ctx.get(UrssafAccount, fact.client_id, "URSSAF registration of client", URSSAF_HINT)
    account.unblock(fact.at, ctx.recorded_at, ets_terms(ctx, None, fact.at))
    return [account]


HANDLERS = {
    "session.booked": session_booked,
    "session.confirmed": session_confirmed,
    "session.cancelled": session_cancelled,
    "session.held": session_held,
    "session.student_absent": student_absent,
    "urssaf.client_registered": urssaf_client_registered,
    "urssaf.client_renounced": urssaf_client_renounced,
    "urssaf.request_validated": urssaf_answer("validated"),
    "urssaf.request_contested": urssaf_answer("contested"),
    "urssaf.debit_failed": urssaf_answer("debit_failed"),
    "urssaf.account_unblocked": urssaf_account_unblocked,
}
