"""The life of a payment request to URSSAF (CGV art. 8 bis 8.2), as of any moment.

It follows the deemed timeline of INTERPRETATION.md: sent when the invoice is issued, validated
by the client within 48 hours or tacitly when they run out, the client's share debited two days
after validation and the whole amount paid to the provider — unless the client contests it, the
debit fails, URSSAF refuses or cancels the request; then the client owes the amount directly.
What URSSAF's statuses said (validated, paid on a date, cancelled, recovered) replaces the
deemed moments once observed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from domain.calendar import end_of_day, paris_date, start_of_day
from domain.sessions import TutoringSession
from domain.terms import EtincelleTerms
from domain.urssaf_requests import CANCELLED, RECOVERED, VALIDATED, UrssafRequest, earliest


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
    cancelled_at: datetime | None = None  # statuses 110, 111, 112
    recovered_at: datetime | None = None  # status 120: URSSAF recovered the debt from the client
    paid_at: datetime | None = None  # status 70 (infoVirement.dateVirement)
    paid: Decimal | None = None  # infoVirement.mntVirement

    @property
    def debit_at(self) -> datetime | None:
        """URSSAF debits the client's share, and pays the provider, two days after validation
        (or when URSSAF said it paid)."""
        if self.paid_at is not None:
            return self.paid_at
        if self.validated_at is None:
            return None
        return start_of_day(paris_date(self.validated_at) + timedelta(days=self.debit_delay_days))

    @property
    def falls_back_at(self) -> datetime | None:
        """When the client came to owe the amount directly, if it did."""
        return self.refused_at or self.contested_at or self.failed_at or self.cancelled_at

    def moments(self) -> tuple[datetime, ...]:
        """Every moment at which the request's status or payments can change."""
        return tuple(m for m in (self.sent_at, self.deadline, self.validated_at, self.contested_at, self.failed_at,
                                 self.refused_at, self.cancelled_at, self.recovered_at, self.paid_at, self.debit_at)
                     if m is not None)

    def recovered(self, as_of: datetime) -> bool:
        return self.recovered_at is not None and self.recovered_at <= as_of

    def urssaf_pays(self, as_of: datetime) -> tuple[datetime, Decimal] | None:
        """When URSSAF paid the provider, and how much, if it did by `as_of`."""
        if self.recovered(as_of):
            return self.recovered_at, self.amount
        fallback = self.falls_back_at
        debit = self.debit_at
        if (fallback is not None and fallback <= as_of) or debit is None or debit > as_of:
            return None
        return debit, self.paid if self.paid is not None else self.amount

    def status(self, as_of: datetime) -> str:
        if self.recovered(as_of):
            return "recovered"
        for moment, name in ((self.refused_at, "refused"), (self.contested_at, "contested"),
                             (self.failed_at, "debit_failed"), (self.cancelled_at, "cancelled")):
            if moment is not None and moment <= as_of:
                return name
        if self.validated_at is None or self.validated_at > as_of:
            return "awaiting_validation"
        return "paid" if self.debit_at <= as_of else "validated"


def request_timeline(
    number: str, info: dict, issued_on: date, sessions: list[TutoringSession], request: UrssafRequest | None,
    terms: EtincelleTerms,
) -> RequestTimeline:
    sent_at = end_of_day(issued_on)
    deadline = sent_at + timedelta(hours=terms.avance_immediate.validation_hours)
    observed = request.first_observed if request is not None else (lambda *codes: None)
    validated = earliest([*(s.urssaf_validated_at for s in sessions), observed(VALIDATED)])
    contested = earliest(s.urssaf_contested_at for s in sessions)
    if contested is not None and (contested > deadline or (validated and validated < contested)):
        contested = None
    if contested is None:
        validated = max(validated, sent_at) if validated and validated <= deadline else deadline
    else:
        validated = None
    failed = earliest(s.urssaf_debit_failed_at for s in sessions) if validated else None
    refused_at = request.sent_at if request is not None and request.refused else None
    paid_at = request.paid_at if request is not None else None  # infoVirement only: never deemed
    return RequestTimeline(number, info["amount"], info["urssaf_share"], sent_at, deadline, validated,
                           max(contested, sent_at) if contested else None, failed, refused_at,
                           terms.avance_immediate.debit_delay_days, cancelled_at=observed(*CANCELLED),
                           recovered_at=observed(RECOVERED), paid_at=paid_at,
                           paid=request.paid if request is not None else None)
