"""What a fact handler works with: the store, the terms, and the recorded time."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol, TypeVar

from eventsourcing.application import AggregateNotFoundError

from application.app import BillingApp
from application.unit_of_work import UnitOfWork
from domain.errors import AlreadyExists, NotFound, TermsError
from domain.terms import BtbTerms
from domain.terms_catalog import TermsCatalog

A = TypeVar("A")


class Sealer(Protocol):
    """Encrypts personal data with the client's own key (see infrastructure/vault.py)."""

    def seal(self, client_id: str, data: dict) -> str: ...

    def keyed_digest(self, client_id: str, data: dict) -> str: ...


@dataclass
class Context:
    app: BillingApp
    catalog: TermsCatalog
    recorded_at: datetime
    vault: Sealer | None = None
    batch: UnitOfWork | None = None

    def get(self, cls: type[A], business_id: str, what: str, hint: str) -> A:
        """Loads an aggregate by its business id; "not found" says which fact to send first."""
        try:
            if self.batch is not None:
                return self.batch.get(cls.id_for(business_id))  # type: ignore[attr-defined]
            return self.app.repository.get(cls.id_for(business_id))  # type: ignore[attr-defined]
        except AggregateNotFoundError:
            raise NotFound(f"no {what} {business_id!r} is recorded; {hint}") from None

    def exists(self, cls: Any, business_id: str) -> bool:
        if self.batch is not None:
            return self.batch.contains(cls.id_for(business_id))
        return cls.id_for(business_id) in self.app.repository

    def require_new(self, cls: Any, business_id: str, what: str) -> None:
        if self.exists(cls, business_id):
            raise AlreadyExists(f"{what} {business_id!r} is already recorded; use a new id")

    def btb_terms(self, reference: str) -> BtbTerms:
        terms = self.catalog.get_for("btbconnect", reference)
        if not isinstance(terms, BtbTerms):
            raise TermsError(f"terms version {reference!r} is not a BTBCONNECT version")
        return terms
