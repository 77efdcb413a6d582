"""An in-process URSSAF that follows the deemed timeline of INTERPRETATION.md: a request is
integrated when sent, validated tacitly 48 hours later, debited and paid two days after that.
It knows nothing of the client's own answers; those reach the engine as facts."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from application.urssaf_port import Enrolment, PaymentRequest, RequestStatus, Submission
from domain.calendar import PARIS, end_of_day, paris_date, start_of_day


class UrssafSimulator:
    """Stateless between runs: a request id carries the day it was sent. Every registered client
    is taken as known to URSSAF and active."""

    registers_clients = False

    def __init__(self, now: datetime, validation_hours: int = 48, debit_delay_days: int = 2):
        self.now = now
        self.validation = timedelta(hours=validation_hours)
        self.debit_delay = timedelta(days=debit_delay_days)

    def register(self, client_id: str, registration: Mapping[str, Any]) -> Enrolment:
        return Enrolment(client_id, urssaf_client_id=f"SIM-{client_id}")

    def submit(self, requests: list[PaymentRequest]) -> list[Submission]:
        return [Submission(r.invoice_number,
                           request_id=f"SIM-{r.issued_on or paris_date(self.now):%Y%m%d}-{r.invoice_number}")
                for r in requests]

    def statuses(self, request_ids: list[str]) -> list[RequestStatus]:
        return [self._status(request_id) for request_id in request_ids]

    def _status(self, request_id: str) -> RequestStatus:
        _, day, number = request_id.split("-", 2)
        sent = end_of_day(datetime.strptime(day, "%Y%m%d").replace(tzinfo=PARIS).date())
        validated = sent + self.validation
        paid = start_of_day(paris_date(validated) + self.debit_delay)
        if self.now >= paid:
            return RequestStatus(request_id, number, 70, paid)
        if self.now >= validated:
            return RequestStatus(request_id, number, 30, validated)
        return RequestStatus(request_id, number, 10, sent)
