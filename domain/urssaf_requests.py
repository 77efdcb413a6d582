"""Payment requests to URSSAF (CGV art. 8 bis 8.2): one per invoice with avance immédiate, with
what URSSAF's API answered about it (its id or refusal, and the statuses observed since)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from uuid import UUID

from domain.base import BillingAggregate, Stamp
from domain.ids import aggregate_id


# URSSAF's status codes (InfoDemandePaiement.statut.code) that change who owes or when it is paid.
VALIDATED, PAID, RECOVERED = 30, 70, 120
CANCELLED = (110, 111, 112)  # annulée; après impayé; après recouvrement: the client owes directly
# The status → the fact it stands for, recorded for each session the request covers.
STATUS_FACTS = {40: "urssaf.request_contested", 60: "urssaf.debit_failed", 111: "urssaf.debit_failed"}
FINAL_STATUSES = frozenset({40, PAID, *CANCELLED, RECOVERED})


class UrssafRequest(BillingAggregate):
    """What URSSAF's API answered about the request of one invoice."""

    class PaymentRequestSent(BillingAggregate.Created):
        invoice_number: str
        request_id: str | None
        error: str | None
        final: bool = True  # False: a refusal worth sending again (requests recorded before: final)

    class PaymentRequestResent(BillingAggregate.Event):
        request_id: str | None
        error: str | None
        final: bool

        def apply(self, request: UrssafRequest) -> None:
            request.request_id, request.error, request.final = self.request_id, self.error, self.final
            request.attempts += 1

    class StatusObserved(BillingAggregate.Event):
        code: int
        rejection: str | None = None  # infoRejet
        paid: Decimal | None = None  # infoVirement.mntVirement
        paid_at: datetime | None = None  # infoVirement.dateVirement

        def apply(self, request: UrssafRequest) -> None:
            request.last_code = self.code
            request.observed.setdefault(self.code, self.at)
            request.rejection = self.rejection or request.rejection
            if self.paid is not None:
                request.paid, request.paid_at = self.paid, self.paid_at or self.at

    def __init__(self, invoice_number: str, request_id: str | None, error: str | None, at: datetime,
                 final: bool = True):
        self.invoice_number = invoice_number
        self.request_id = request_id
        self.error = error
        self.final = final
        self.attempts = 1
        self.sent_at = at
        self.last_code: int | None = None
        self.observed: dict[int, datetime] = {}
        self.rejection: str | None = None
        self.paid: Decimal | None = None
        self.paid_at: datetime | None = None

    @staticmethod
    def id_for(invoice_number: str) -> UUID:
        return aggregate_id("urssaf_request", invoice_number)

    @classmethod
    def sent(cls, invoice_number: str, request_id: str | None, error: str | None, at: datetime,
             recorded_at: datetime, final: bool = True) -> UrssafRequest:
        return cls._create_at(cls.PaymentRequestSent, Stamp(at, recorded_at), id=cls.id_for(invoice_number),
                              invoice_number=invoice_number, request_id=request_id, error=error, final=final)

    @property
    def refused(self) -> bool:
        """URSSAF refused it for good: the client owes the amount directly."""
        return self.request_id is None and self.error is not None and self.final

    @property
    def to_send_again(self) -> bool:
        return self.request_id is None and not self.refused

    def resend(self, request_id: str | None, error: str | None, final: bool, at: datetime,
               recorded_at: datetime) -> None:
        self.record(self.PaymentRequestResent, Stamp(at, recorded_at), request_id=request_id, error=error,
                    final=final)

    def observe(self, code: int, at: datetime, recorded_at: datetime, rejection: str | None = None,
                paid: Decimal | None = None, paid_at: datetime | None = None) -> None:
        """Records a new status; a step back in the normal progression (10 → 70) is ignored."""
        backwards = self.last_code is not None and code < self.last_code <= PAID
        if code != self.last_code and not backwards:
            self.record(self.StatusObserved, Stamp(at, recorded_at), code=code, rejection=rejection, paid=paid,
                        paid_at=paid_at)

    def first_observed(self, *codes: int) -> datetime | None:
        return earliest(self.observed.get(code) for code in codes)


def earliest(moments) -> datetime | None:
    present = [m for m in moments if m is not None]
    return min(present) if present else None
