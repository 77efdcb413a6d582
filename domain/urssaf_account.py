"""A client's URSSAF avance immédiate account (CGV art. 8 bis): registered, blocked by failed
debits, unblocked, renounced, and the answers URSSAF gave about its requests. Registration data
is held only sealed (encrypted per client). Each fact is judged as of its business time: an
answer needs the avance immédiate to have applied when its session started, and a renunciation
or a failed debit dated before a recorded answer must leave that answer possible."""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar
from uuid import UUID

from domain.base import BillingAggregate, Stamp
from domain.errors import AlreadyExists, UrssafStateError
from domain.ids import aggregate_id
from domain.terms import EtincelleTerms
from domain.timeline import Mark, first_of, judge, moment, place, refuse_after, up_to

RENOUNCED, UNBLOCKED = "urssaf.client_renounced", "urssaf.account_unblocked"
REGISTERED, ACTIVATED = "urssaf.client_registered", "urssaf.account_activated"
FAILED, ANSWERED = "urssaf.debit_failed", "urssaf.request_answered"
ANSWER_TYPES = {"validated": "urssaf.request_validated", "contested": "urssaf.request_contested"}


class UrssafAccount(BillingAggregate):
    class UrssafClientRegistered(BillingAggregate.Created):
        recorded_by: ClassVar[str] = REGISTERED
        client_id: str
        sealed_registration: str
        # Names (never values) of what URSSAF's POST /particulier needs and the registration
        # lacks; None in registrations recorded before it was kept.
        missing_for_api: list[str] | None = None

    class RegistrationCompleted(BillingAggregate.Event):
        """A later urssaf.client_registered, before URSSAF knew the client, gave what was missing."""
        recorded_by: ClassVar[str] = REGISTERED
        sealed_registration: str
        missing_for_api: list[str]

        def apply(self, account: UrssafAccount) -> None:
            account.sealed_registration = self.sealed_registration
            account.missing_for_api = list(self.missing_for_api)

    class ClientEnrolled(BillingAggregate.Event):
        """URSSAF registered the client (POST /particulier) and gave its id (idClient)."""
        urssaf_client_id: str

        def apply(self, account: UrssafAccount) -> None:
            account.urssaf_client_id = self.urssaf_client_id
            account.enrolment_error = None

    class EnrolmentRefused(BillingAggregate.Event):
        error: str

        def apply(self, account: UrssafAccount) -> None:
            account.enrolment_error = self.error

    class AccountActivated(BillingAggregate.Event):
        recorded_by: ClassVar[str] = ACTIVATED

        def apply(self, account: UrssafAccount) -> None:
            first = account.activated_at
            account.activated_at = self.at if first is None else min(first, self.at)

    class AvanceImmediateRenounced(BillingAggregate.Event):
        recorded_by: ClassVar[str] = RENOUNCED

        def apply(self, account: UrssafAccount) -> None:
            account.renounced_at = self.at
            place(account.marks, self.mark())

    class DebitFailureRecorded(BillingAggregate.Event):
        recorded_by: ClassVar[str] = FAILED
        session_id: str
        starts_at: datetime | None = None  # absent from failures recorded before it was kept

        def apply(self, account: UrssafAccount) -> None:
            account.failures.append(self.at)
            place(account.marks, self.mark((self.session_id, self.starts_at)))

    class AccountUnblocked(BillingAggregate.Event):
        recorded_by: ClassVar[str] = UNBLOCKED

        def apply(self, account: UrssafAccount) -> None:
            account.unblocked_at.append(self.at)
            place(account.marks, self.mark())

    class RequestAnswered(BillingAggregate.Event):
        recorded_by: ClassVar[str] = ANSWERED
        session_id: str
        starts_at: datetime
        answer: str

        def apply(self, account: UrssafAccount) -> None:
            place(account.marks, Mark(self.at, ANSWER_TYPES[self.answer], self.fact,
                                      (self.session_id, self.starts_at)))

    def __init__(self, client_id: str, sealed_registration: str, at: datetime,
                 missing_for_api: list[str] | None = None):
        self.client_id = client_id
        self.sealed_registration = sealed_registration
        self.missing_for_api = missing_for_api
        self.urssaf_client_id: str | None = None
        self.enrolment_error: str | None = None
        self.activated_at: datetime | None = None
        self.registered_at = at
        self.renounced_at: datetime | None = None
        self.unblocked_at: list[datetime] = []
        self.failures: list[datetime] = []
        self.marks: list[Mark] = []

    @staticmethod
    def id_for(client_id: str) -> UUID:
        return aggregate_id("urssaf_account", client_id)

    @classmethod
    def register(cls, client_id: str, sealed: str, stamp: Stamp, missing_for_api: list[str]) -> UrssafAccount:
        return cls._create_at(cls.UrssafClientRegistered, stamp, id=cls.id_for(client_id), client_id=client_id,
                              sealed_registration=sealed, missing_for_api=missing_for_api)

    @property
    def complete_for_api(self) -> bool:
        return self.missing_for_api == []

    def complete_registration(self, sealed: str, missing_for_api: list[str], stamp: Stamp) -> None:
        """A registration again, to give what POST /particulier needs, while URSSAF does not know the client."""
        if self.urssaf_client_id is not None or self.complete_for_api:
            raise AlreadyExists(f"client {self.client_id!r} is already registered with URSSAF; changes to the "
                                "registration go through URSSAF (the client's account)")
        if missing_for_api:
            raise AlreadyExists(f"client {self.client_id!r} is already registered with URSSAF; a new registration "
                                f"replaces it only with all that URSSAF's API needs (missing: {', '.join(missing_for_api)})")
        self.record(self.RegistrationCompleted, stamp, sealed_registration=sealed, missing_for_api=missing_for_api)

    def activate(self, stamp: Stamp) -> None:
        """The client activated the account URSSAF opened: requests may be sent from then on."""
        self.check_not_before_origin(stamp.at, ACTIVATED, f"the URSSAF registration of client {self.client_id!r}")
        self.record(self.AccountActivated, stamp)

    def enrol(self, urssaf_client_id: str, stamp: Stamp) -> None:
        self.record(self.ClientEnrolled, stamp, urssaf_client_id=urssaf_client_id)

    def refuse_enrolment(self, error: str, stamp: Stamp) -> None:
        self.record(self.EnrolmentRefused, stamp, error=error)

    def ready_for_requests(self, at: datetime) -> bool:
        """URSSAF knows the client and the client activated the account (API Tiers de prestation)."""
        return self.urssaf_client_id is not None and self.activated_at is not None and self.activated_at <= at

    def _check(self, mark: Mark, earlier: list[Mark], terms: EtincelleTerms) -> None:
        refuse_after(mark, earlier, {RENOUNCED: (RENOUNCED,)}, f"client {self.client_id!r}", UrssafStateError,
                     {RENOUNCED: "already renounced the avance immédiate"})
        if mark.kind == UNBLOCKED:
            self._check_unblock(mark, earlier, terms)
        if isinstance(mark.data, tuple) and mark.data[1] is not None:
            self._check_request_applied(mark, earlier, terms)

    def _check_unblock(self, mark: Mark, earlier: list[Mark], terms: EtincelleTerms) -> None:
        # An unblock while not blocked changes nothing (the failed debit may still be on its way);
        # after the second failure the block is for good (CGV art. 8.3).
        if marks_state(earlier, mark.at, terms) == "blocked_for_good":
            failures = sum(1 for m in earlier if m.kind == FAILED)
            raise UrssafStateError(
                f"client {self.client_id!r} is blocked for good after {failures} failed debits "
                f"({terms.avance_immediate.article}); bill the client the classic way"
            )

    def _check_request_applied(self, mark: Mark, earlier: list[Mark], terms: EtincelleTerms) -> None:
        session_id, starts_at = mark.data
        if not applies(self.registered_at, up_to(earlier, starts_at), starts_at, terms):
            raise UrssafStateError(
                f"no URSSAF request covers session {session_id!r}: the avance immédiate of client "
                f"{self.client_id!r} did not apply when it started ({moment(starts_at)}); this "
                f"{mark.kind} at {moment(mark.at)} cannot concern it"
            )

    def _judge(self, mark: Mark, terms: EtincelleTerms) -> None:
        judge(self.marks, mark, lambda m, earlier: self._check(m, earlier, terms))

    def renounce(self, stamp: Stamp, terms: EtincelleTerms) -> None:
        self._judge(stamp.mark(RENOUNCED), terms)
        self.record(self.AvanceImmediateRenounced, stamp)

    def record_answer(self, session_id: str, starts_at: datetime, answer: str, stamp: Stamp,
                      terms: EtincelleTerms) -> None:
        """URSSAF's answer about the request covering that session; a failed debit blocks the
        avance immédiate, a second one for good (CGV art. 8.3)."""
        kind = FAILED if answer == "debit_failed" else ANSWER_TYPES[answer]
        self._judge(stamp.mark(kind, (session_id, starts_at)), terms)
        if answer == "debit_failed":
            self.record(self.DebitFailureRecorded, stamp, session_id=session_id, starts_at=starts_at)
        else:
            self.record(self.RequestAnswered, stamp, session_id=session_id, starts_at=starts_at, answer=answer)

    def unblock(self, stamp: Stamp, terms: EtincelleTerms) -> None:
        self._judge(stamp.mark(UNBLOCKED), terms)
        self.record(self.AccountUnblocked, stamp)


def state_of(failures: list[datetime], unblocks: list[datetime], at: datetime, terms: EtincelleTerms) -> str:
    """'open', 'blocked' (until unblocked) or 'blocked_for_good' (CGV art. 8.3), at that moment."""
    past = sorted(f for f in failures if f <= at)
    if len(past) >= terms.avance_immediate.failures_before_permanent_block:
        return "blocked_for_good"
    later_unblocks = [u for u in unblocks if u <= at]
    if past and (not later_unblocks or max(later_unblocks) < past[-1]):
        return "blocked"
    return "open"


def marks_state(marks: list[Mark], at: datetime, terms: EtincelleTerms) -> str:
    return state_of([m.at for m in marks if m.kind == FAILED], [m.at for m in marks if m.kind == UNBLOCKED],
                    at, terms)


def applies(registered_at: datetime, marks: list[Mark], at: datetime, terms: EtincelleTerms) -> bool:
    """Registered, not renounced, not blocked, at that moment, by the facts of these marks."""
    if registered_at > at or first_of(up_to(marks, at), (RENOUNCED,)) is not None:
        return False
    return marks_state(marks, at, terms) == "open"


def block_state(account: UrssafAccount, at: datetime, terms: EtincelleTerms) -> str:
    return state_of(account.failures, account.unblocked_at, at, terms)


def avance_immediate_applies(account: UrssafAccount | None, at: datetime, terms: EtincelleTerms) -> bool:
    """Registered, not renounced, not blocked, at that moment."""
    if account is None or account.registered_at > at:
        return False
    if account.renounced_at is not None and account.renounced_at <= at:
        return False
    return block_state(account, at, terms) == "open"
