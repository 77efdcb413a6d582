"""Facts that need no aggregate of their own beyond their record: idempotency and payments."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import ClassVar
from uuid import UUID

from domain.base import BillingAggregate, Stamp
from domain.ids import aggregate_id


class FactRecord(BillingAggregate):
    """One per idempotency key: saved with the fact's events, so a key is taken only once."""

    class FactAccepted(BillingAggregate.Created):
        recorded_by: ClassVar[str] = "fact"
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
    def accept(cls, type: str, digest: str, events: list, stamp: Stamp) -> FactRecord:  # noqa: A002
        return cls._create_at(cls.FactAccepted, stamp, id=cls.id_for(stamp.fact), key=stamp.fact, type=type,
                              digest=digest, events=events)


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
    def id_for(key: str) -> UUID:
        return aggregate_id("payment", key)

    @classmethod
    def record_payment(
        cls, kind: str, client_id: str, amount: Decimal, method: str | None, invoice: str | None, stamp: Stamp,
    ) -> Payment:
        return cls._create_at(cls.PaymentRecorded, stamp, id=cls.id_for(stamp.fact), key=stamp.fact, kind=kind,
                              client_id=client_id, amount=amount, method=method, invoice=invoice)
