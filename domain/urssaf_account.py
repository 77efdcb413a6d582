"""A client's URSSAF avance immédiate account (CGV art. 8 bis): registered, blocked by failed
debits, unblocked, renounced. Registration data is held only sealed (encrypted per client)."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from domain.base import BillingAggregate
from domain.errors import UrssafStateError
from domain.ids import aggregate_id
from domain.terms import EtincelleTerms


class UrssafAccount(BillingAggregate):
    class UrssafClientRegistered(BillingAggregate.Created):
        client_id: str
        sealed_registration: str

    class AvanceImmediateRenounced(BillingAggregate.Event):
        def apply(self, account: UrssafAccount) -> None:
            account.renounced_at = self.at

    class DebitFailureRecorded(BillingAggregate.Event):
        session_id: str

        def apply(self, account: UrssafAccount) -> None:
            account.failures.append(self.at)

    class AccountUnblocked(BillingAggregate.Event):
        def apply(self, account: UrssafAccount) -> None:
            account.unblocked_at.append(self.at)

    def __init__(self, client_id: str, sealed_registration: str, at: datetime):
        self.client_id = client_id
        self.sealed_registration = sealed_registration
        self.registered_at = at
        self.renounced_at: datetime | None = None
        self.unblocked_at: list[datetime] = []
        self.failures: list[datetime] = []

    @staticmethod
    def id_for(client_id: str) -> UUID:
        return aggregate_id("urssaf_account", client_id)

    @classmethod
    def register(cls, client_id: str, sealed: str, at: datetime, recorded_at: datetime) -> UrssafAccount:
        return cls._create(cls.UrssafClientRegistered, id=cls.id_for(client_id), timestamp=recorded_at,
                           client_id=client_id, sealed_registration=sealed, at=at)

    def renounce(self, at: datetime, recorded_at: datetime) -> None:
        if self.renounced_at is not None:
            raise UrssafStateError(f"client {self.client_id!r} already renounced the avance immédiate")
        self.record(self.AvanceImmediateRenounced, at, recorded_at)

    def record_debit_failure(self, session_id: str, at: datetime, recorded_at: datetime) -> None:
        """CGV art. 8.3: a failed debit blocks the avance immédiate; a second one, for good."""
        self.record(self.DebitFailureRecorded, at, recorded_at, session_id=session_id)

    def unblock(self, at: datetime, recorded_at: datetime, terms: EtincelleTerms) -> None:
        state = block_state(self, at, terms)
        if state == "blocked_for_good":
            raise UrssafStateError(
                f"client {self.client_id!r} is blocked for good after {len(self.failures)} failed debits "
                f"({terms.avance_immediate.article}); bill the client the classic way"
            )
        if state != "blocked":
            raise UrssafStateError(f"client {self.client_id!r} is not blocked; nothing to unblock")
        self.record(self.AccountUnblocked, at, recorded_at)


def block_state(account: UrssafAccount, at: datetime, terms: EtincelleTerms) -> str:
    """'open', 'blocked' (until unblocked) or 'blocked_for_good' (CGV art. 8.3), at that moment."""
    past = sorted(f for f in account.failures if f <= at)
    if len(past) >= terms.avance_immediate.failures_before_permanent_block:
        return "blocked_for_good"
    unblocks = [u for u in account.unblocked_at if u <= at]
    if past and (not unblocks or max(unblocks) < past[-1]):
        return "blocked"
    return "open"


def avance_immediate_applies(account: UrssafAccount | None, at: datetime, terms: EtincelleTerms) -> bool:
    """Registered, not renounced, not blocked, at that moment."""
    if account is None or account.registered_at > at:
        return False
    if account.renounced_at is not None and account.renounced_at <= at:
        return False
    return block_state(account, at, terms) == "open"
