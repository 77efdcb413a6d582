"""Talks to URSSAF for the invoices with avance immédiate (CGV art. 8 bis 8.2): registers the
clients, sends the requests of newly issued invoices (again, while URSSAF's refusal was not
final), records URSSAF's answers, and turns the statuses that change who owes the money
(refused, debit failed) into facts of the usual kind."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime

import structlog

from application.ingest import IngestService
from application.urssaf_enrolment import UrssafEnrolment, opened_registration
from application.unit_of_work import save_together
from application.urssaf_port import PaymentRequest, RequestLine, RequestStatus, Submission, UrssafGateway
from domain.calendar import paris_date
from domain.errors import BillingError
from domain.issuing import IssuedDocument
from domain.sessions import TutoringSession
from domain.urssaf_account import UrssafAccount
from domain.urssaf_requests import FINAL_STATUSES, STATUS_FACTS, UrssafRequest
from application.ledger import Ledger

log = structlog.get_logger("billing.urssaf")


class UrssafSync:
    def __init__(self, ingest: IngestService, gateway: UrssafGateway, clock: Callable[[], datetime]):
        self.ingest = ingest
        self.app = ingest.app
        self.gateway = gateway
        self.clock = clock

    def enrol_clients(self, ledger: Ledger, at: datetime) -> int:
        if not self.gateway.registers_clients:
            return 0
        return UrssafEnrolment(self.app, self.ingest.vault, self.gateway, self.clock).enrol(ledger, at)

    def send_pending(self, ledger: Ledger, at: datetime) -> int:
        pending = [doc for doc in to_send(ledger) if self._may_send(ledger, doc.client_id, at)]
        if not pending:
            return 0
        answers = self.gateway.submit([self._request(ledger, doc) for doc in pending])
        save_together(self.app, [self._recorded(ledger, answer, at) for answer in answers])
        for answer in answers:
            log.info("urssaf_request_sent", invoice=answer.invoice_number, request_id=answer.request_id,
                     error=answer.error, final=answer.final)
        return len(answers)

    def _may_send(self, ledger: Ledger, client_id: str, at: datetime) -> bool:
        """With the real API, once URSSAF knows the client and the client activated the account."""
        account = ledger.aggregates.get(UrssafAccount.id_for(client_id))
        return not self.gateway.registers_clients or (account is not None and account.ready_for_requests(at))

    def _request(self, ledger: Ledger, doc: IssuedDocument) -> PaymentRequest:
        account = ledger.aggregates.get(UrssafAccount.id_for(doc.client_id))
        data = opened_registration(self.ingest.vault, account) if account is not None else None
        birth = date.fromisoformat(str(data["birth_date"])) if data and data.get("birth_date") else None
        urssaf_id = account.urssaf_client_id if account is not None and self.gateway.registers_clients else None
        return payment_request(ledger, doc, birth, urssaf_id)

    def _recorded(self, ledger: Ledger, answer: Submission, at: datetime) -> UrssafRequest:
        """The request with URSSAF's answer, to be saved with the others of the same submission."""
        request_id = UrssafRequest.id_for(answer.invoice_number)
        if request_id in ledger.aggregates:
            request = self.app.repository.get(request_id)
            request.resend(answer.request_id, answer.error, answer.final, at, self.clock())
            return request
        return UrssafRequest.sent(answer.invoice_number, answer.request_id, answer.error, at, self.clock(),
                                  final=answer.final)

    def poll(self, ledger: Ledger, at: datetime) -> int:
        open_requests = {r.request_id: r for r in ledger.of_type(UrssafRequest)
                         if r.request_id and r.last_code not in FINAL_STATUSES}
        if not open_requests:
            return 0
        statuses = {s.invoice_number: s for s in self.gateway.statuses(sorted(open_requests))}.values()
        observed = [self._observed(status, status.changed_at or at) for status in statuses]
        save_together(self.app, observed)  # one transaction for the whole poll, then its facts
        for request, status in zip(observed, statuses):
            self._facts_for(ledger, request, status.code, status.changed_at or at)
        return len(open_requests)

    def _observed(self, status: RequestStatus, at: datetime) -> UrssafRequest:
        request = self.app.repository.get(UrssafRequest.id_for(status.invoice_number))
        request.observe(status.code, at, self.clock(), status.rejection, status.paid, status.paid_at)
        return request

    def _facts_for(self, ledger: Ledger, request: UrssafRequest, code: int, at: datetime) -> None:
        fact_type = STATUS_FACTS.get(code)
        doc = ledger.document(request.invoice_number)
        if fact_type is None or doc is None:
            return
        for session_id in covered_sessions(doc):
            # One key per request and fact: a debit refused (60) then cancelled (111) is one failure.
            fact = {"key": f"urssaf:{request.request_id}:{fact_type}:{session_id}", "type": fact_type,
                    "at": at.isoformat(), "session_id": session_id}
            try:
                self.ingest.ingest(fact)
            except BillingError as exc:
                log.warning("urssaf_status_refused", key=fact["key"], error=str(exc))


def to_send(ledger: Ledger) -> list[IssuedDocument]:
    """Invoices with avance immédiate whose request was never sent, or refused but not for good."""
    def waiting(doc: IssuedDocument) -> bool:
        if not doc.details.get("avance_immediate"):
            return False
        request = ledger.aggregates.get(UrssafRequest.id_for(doc.number))
        return request is None or request.to_send_again
    return ledger.documents(waiting)


def covered_sessions(doc: IssuedDocument) -> list[str]:
    return sorted({s.split(":", 1)[1] for line in doc.lines if line.eligible for s in line.sources})


def payment_request(ledger: Ledger, doc: IssuedDocument, birth_date: date | None = None,
                    urssaf_client_id: str | None = None) -> PaymentRequest:
    sessions = [ledger.aggregates[TutoringSession.id_for(s)] for s in covered_sessions(doc)]
    days = [paris_date(s.starts_at) for s in sessions]
    lines = tuple(RequestLine(line.description, line.hours, line.unit_price, line.total_ttc)
                  for line in doc.lines if line.eligible)
    return PaymentRequest(doc.number, doc.client_id, min(days), max(days),
                          doc.details["avance_immediate"]["amount"], lines, doc.issued_on, birth_date,
                          urssaf_client_id)
