"""Payment requests to URSSAF (CGV art. 8 bis 8.2): one per invoice with avance immédiate.

The request's life follows the deemed timeline of INTERPRETATION.md: sent when the invoice is
issued, validated by the client within 48 hours or tacitly when they run out, the client's
share debited two days after validation and the whole amount paid to the provider — unless the
client contests it, the debit fails, or URSSAF refuses the request; then the client owes the
amount directly.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from uuid import UUID

from domain.base import BillingAggregate, Stamp
from domain.calendar import end_of_day, paris_date, start_of_day
from domain.ids import aggregate_id
from domain.sessions import TutoringSession
from domain.terms import EtincelleTerms


class UrssafRequest(BillingAggregate):
    """What URSSAF's API answered about the request of one invoice."""

    class PaymentRequestSent(BillingAggregate.Created):
        invoice_number: str
        request_id: str | None
        error: str | None

    class StatusObserved(BillingAggregate.Event):
        code: int

        def apply(self, request: UrssafRequest) -> None:
            request.last_code = self.code

    def __init__(self, invoice_number: str, request_id: str | None, error: str | None, at: datetime):
        self.invoice_number = invoice_number
        self.request_id = request_id
        self.error = error
        self.sent_at = at
        self.last_code: int | None = None

    @staticmethod
    def id_for(invoice_number: str) -> UUID:
        return aggregate_id("urssaf_request", invoice_number)

    @classmethod
    def sent(cls, invoice_number: str, request_id: str | None, error: str | None, at: datetime,
             recorded_at: datetime) -> UrssafRequest:
        return cls._create_at(cls.PaymentRequestSent, Stamp(at, recorded_at), id=cls.id_for(invoice_number),
                              invoice_number=invoice_number, request_id=request_id, error=error)

    def observe(self, code: int, at: datetime, recorded_at: datetime) -> None:
        """Records a new status; a step back in the normal progression (10 → 70) is ignored."""
        backwards = self.last_code is not None and code < self.last_code <= 70
        if code != self.last_code and not backwards:
            self.record(self.StatusObserved, Stamp(at, recorded_at), code=code)


@dataclass(frozen=True)
class RequestTimeline:
    number: str
    amount: Decimal
    urssaf_share: Decimal
    sent_at: datetime
    deadline: datetime
    validated_at: datetime | None
    contested_at: datetime | None
    failed_at: datetime | None
    refused_at: datetime | None
    debit_delay_days: int

    @property
    def debit_at(self) -> datetime | None:
        """URSSAF debits the client's share, and pays the provider, two days after validation."""
        if self.validated_at is None:
            return None
        return start_of_day(paris_date(self.validated_at) + timedelta(days=self.debit_delay_days))

    @property
    def falls_back_at(self) -> datetime | None:
        """When the client came to owe the amount directly, if it did."""
        return self.refused_at or self.contested_at or self.failed_at

    def status(self, as_of: datetime) -> str:
        for moment, name in ((self.refused_at, "refused"), (self.contested_at, "contested"),
                             (self.failed_at, "debit_failed")):
            if moment is not None and moment <= as_of:
                return name
        if self.validated_at is None or self.validated_at > as_of:
            return "awaiting_validation"
        return "paid" if self.debit_at <= as_of else "validated"


def request_timeline(
    number: str, info: dict, issued_on, sessions: list[TutoringSession], refused: UrssafRequest | None,
    terms: EtincelleTerms,
) -> RequestTimeline:
    sent_at = end_of_day(issued_on)
    deadline = sent_at + timedelta(hours=terms.avance_immediate.validation_hours)
    validated = _first(s.urssaf_validated_at for s in sessions)
    contested = _first(s.urssaf_contested_at for s in sessions)
    if contested is not None and (contested > deadline or (validated and validated < contested)):
        contested = None
    if contested is None:
        validated = max(validated, sent_at) if validated and validated <= deadline else deadline
    else:
        validated = None
    failed = _first(s.urssaf_debit_failed_at for s in sessions) if validated else None
    refused_at = refused.sent_at if refused is not None and refused.error else None
    return RequestTimeline(number, info["amount"], info["urssaf_share"], sent_at, deadline, validated,
                           max(contested, sent_at) if contested else None, failed, refused_at,
                           terms.avance_immediate.debit_delay_days)


def _first(moments) -> datetime | None:
    present = [m for m in moments if m is not None]
    return min(present) if present else None
