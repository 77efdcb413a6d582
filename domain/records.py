"""Facts that need no aggregate of their own beyond their record: idempotency and payments."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import ClassVar
from uuid import UUID

from domain.base import BillingAggregate, Stamp
from domain.ids import aggregate_id


class FactRecord(BillingAggregate):
    """One per provider and idempotency key: saved with the fact's events, so a key is taken only
    once by a provider (records from before keys were scoped have no provider)."""

    class FactAccepted(BillingAggregate.Created):
        recorded_by: ClassVar[str] = "fact"
        key: str
        type: str
        digest: str
        events: list
        provider: str | None = None
        client_id: str | None = None  # whom the fact is about (absent from records made before it was kept)

    def __init__(self, key: str, type: str, digest: str, events: list, at: datetime,  # noqa: A002
                 provider: str | None = None, client_id: str | None = None):
        self.key = key
        self.provider = provider
        self.client_id = client_id
        self.type = type
        self.digest = digest
        # "aggregate-id:version" of every event the fact caused, for explanations.
        self.events = events
        self.at = at

    @staticmethod
    def id_for(provider: str, key: str) -> UUID:
        return aggregate_id("fact", f"{provider}/{key}")

    @staticmethod
    def unscoped_id(key: str) -> UUID:
        """Where a key was recorded before keys were scoped per provider."""
        return aggregate_id("fact", key)

    @classmethod
    def accept(cls, provider: str, type: str, digest: str, events: list, stamp: Stamp,  # noqa: A002
               client_id: str | None = None) -> FactRecord:
        return cls._create_at(cls.FactAccepted, stamp, id=cls.id_for(provider, stamp.fact), key=stamp.fact,
                              type=type, digest=digest, events=events, provider=provider, client_id=client_id)


class Payment(BillingAggregate):
    """A payment received, or a direct debit that bounced (kind 'failed')."""

    class PaymentRecorded(BillingAggregate.Created):
        recorded_by: ClassVar[str] = "payment"
        key: str
        kind: str
        client_id: str
        amount: Decimal
        method: str | None
        invoice: str | None

    def __init__(
        self, key: str, kind: str, client_id: str, amount: Decimal, method: str | None,
        invoice: str | None, at: datetime,
    ):
        self.key = key
        self.kind = kind
        self.client_id = client_id
        self.amount = amount
        self.method = method
        self.invoice = invoice
        self.at = at

    @staticmethod
    def id_for(client_id: str, key: str) -> UUID:
        """Per client (so per provider): the other provider may use the same key."""
        return aggregate_id("payment", f"{client_id}/{key}")

    @classmethod
    def record_payment(
        cls, kind: str, client_id: str, amount: Decimal, method: str | None, invoice: str | None, stamp: Stamp,
    ) -> Payment:
        return cls._create_at(cls.PaymentRecorded, stamp, id=cls.id_for(client_id, stamp.fact), key=stamp.fact, kind=kind,
                              client_id=client_id, amount=amount, method=method, invoice=invoice)
