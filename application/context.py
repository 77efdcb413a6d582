"""What a fact handler works with: the store, the terms, and the recorded time."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Protocol, TypeVar
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError

from application.app import BillingApp
from application.idempotency import record_ids
from application.unit_of_work import UnitOfWork
from domain.appointments import Appointment
from domain.base import Stamp
from domain.clients import Client
from domain.errors import AlreadyExists, NotFound, TermsError
from domain.issuing import DocumentCancellation, IssuedDocument
from domain.sessions import TutoringSession
from domain.starter_packs import StarterPack
from domain.subscriptions import Subscription
from domain.terms import BtbTerms
from domain.terms_catalog import TermsCatalog
from domain.urssaf_account import UrssafAccount

A = TypeVar("A")

# The aggregates a fact's fields may name (what handlers load or require new), so a batch can
# read them all at once before judging its facts. Extra ids cost nothing but a row in a query.
NAMED_BY: dict[str, tuple[Any, ...]] = {
    "client_id": (Client, UrssafAccount),
    "subscription_id": (Subscription,),
    "pack_id": (StarterPack,),
    "appointment_id": (Appointment,),
    "session_id": (TutoringSession,),
    "invoice": (IssuedDocument, DocumentCancellation),
}


@lru_cache(maxsize=1 << 16)
def id_of(cls: Any, business_id: str) -> UUID:
    """`cls.id_for(business_id)`, remembered: a batch asks for the same ids several times."""
    return cls.id_for(business_id)


def named_ids(raw: dict) -> list[UUID]:
    """The ids of the fact's record and of the aggregates its fields name (raw, unvalidated)."""
    ids = record_ids(raw)
    for name, classes in NAMED_BY.items():
        value = raw.get(name)
        if isinstance(value, str):
            ids += [id_of(cls, value) for cls in classes]
    return ids


class Sealer(Protocol):
    """Encrypts personal data with the client's own key (see infrastructure/vault.py)."""

    def seal(self, client_id: str, data: dict) -> str: ...

    def keyed_digest(self, client_id: str, data: dict) -> str: ...

    def open(self, client_id: str, token: str) -> dict | None: ...


@dataclass
class Context:
    app: BillingApp
    catalog: TermsCatalog
    stamp: Stamp  # the fact being judged: its business time, recorded time and key
    kind: str  # its type
    vault: Sealer | None = None
    batch: UnitOfWork | None = None

    def named(self, cls: type[A], business_id: str, what: str, hint: str) -> A:
        """What the fact names: it must exist as of the fact's business time."""
        aggregate = self.get(cls, business_id, what, hint)
        aggregate.check_not_before_origin(self.stamp.at, self.kind, f"{what} {business_id!r}")
        return aggregate

    def get(self, cls: type[A], business_id: str, what: str, hint: str) -> A:
        """Loads an aggregate by its business id; "not found" says which fact to send first."""
        try:
            if self.batch is not None:
                return self.batch.get(id_of(cls, business_id))
            return self.app.repository.get(id_of(cls, business_id))
        except AggregateNotFoundError:
            raise NotFound(f"no {what} {business_id!r} is recorded; {hint}") from None

    def exists(self, cls: Any, business_id: str) -> bool:
        if self.batch is not None:
            return self.batch.contains(id_of(cls, business_id))
        return id_of(cls, business_id) in self.app.repository

    def require_new(self, cls: Any, business_id: str, what: str) -> None:
        if self.exists(cls, business_id):
            raise AlreadyExists(f"{what} {business_id!r} is already recorded; use a new id")

    def btb_terms(self, reference: str) -> BtbTerms:
        terms = self.catalog.get_for("btbconnect", reference)
        if not isinstance(terms, BtbTerms):
            raise TermsError(f"terms version {reference!r} is not a BTBCONNECT version")
        return terms
