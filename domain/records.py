"""Facts that need no aggregate of their own beyond their record: idempotency and payments."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from uuid import UUID

from domain.base import BillingAggregate
from domain.ids import aggregate_id


class FactRecord(BillingAggregate):
    """One per idempotency key: saved with the fact's events, so a key is taken only once."""

    class FactAccepted(BillingAggregate.Created):
        key: str
        type: str
        digest: str
        events: list

    def __init__(self, key: str, type: str, digest: str, events: list, at: datetime):  # noqa: A002
        self.key = key
        self.type = type
        self.digest = digest
        # "aggregate-id:version" of every event the fact caused, for explanations.
        self.events = events
        self.at = at

    @staticmethod
    def id_for(key: str) -> UUID:
        return aggregate_id("fact", key)

    @classmethod
    def accept(
        cls, key: str, type: str, digest: str, events: list, at: datetime, recorded_at: datetime,  # noqa: A002
    ) -> FactRecord:
        return cls._create(cls.FactAccepted, id=cls.id_for(key), timestamp=recorded_at,
                           key=key, type=type, digest=digest, events=events, at=at)


class Payment(BillingAggregate):
    """A payment received, or a direct debit that bounced (kind 'failed')."""

    class PaymentRecorded(BillingAggregate.Created):
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
    def id_for(key: str) -> UUID:
        return aggregate_id("payment", key)

    @classmethod
    def record_payment(
        cls, key: str, kind: str, client_id: str, amount: Decimal, method: str | None,
        invoice: str | None, at: datetime, recorded_at: datetime,
    ) -> Payment:
        return cls._create(cls.PaymentRecorded, id=cls.id_for(key), timestamp=recorded_at, key=key,
                           kind=kind, client_id=client_id, amount=amount, method=method,
                           invoice=invoice, at=at)
