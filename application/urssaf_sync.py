"""Talks to URSSAF for the invoices with avance immédiate (CGV art. 8 bis 8.2): sends the
requests of newly issued invoices, records URSSAF's answers, and turns the statuses that change
who owes the money (refused, contested, debit failed) into facts of the usual kind."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime

import structlog

from application.ingest import IngestService
from application.urssaf_port import PaymentRequest, RequestLine, UrssafGateway
from domain.calendar import paris_date
from domain.errors import BillingError
from domain.issuing import IssuedDocument
from domain.sessions import TutoringSession
from domain.urssaf_account import UrssafAccount
from domain.urssaf_requests import UrssafRequest
from projections.ledger import Ledger

log = structlog.get_logger("billing.urssaf")

# URSSAF status → the fact it stands for (the others are only observed).
STATUS_FACTS = {40: "urssaf.request_contested", 60: "urssaf.debit_failed"}
FINAL = {40, 60, 70, 110}


class UrssafSync:
    def __init__(self, ingest: IngestService, gateway: UrssafGateway, clock: Callable[[], datetime]):
        self.ingest = ingest
        self.app = ingest.app
        self.gateway = gateway
        self.clock = clock

    def send_pending(self, ledger: Ledger, at: datetime) -> int:
        pending = ledger.documents(lambda doc: bool(doc.details.get("avance_immediate"))
                                   and UrssafRequest.id_for(doc.number) not in ledger.aggregates)
        if not pending:
            return 0
        answers = self.gateway.submit([payment_request(ledger, doc, self._birth_date(ledger, doc.client_id))
                                       for doc in pending])
        requests = [UrssafRequest.sent(a.invoice_number, a.request_id, a.error, at, self.clock()) for a in answers]
        self.app.save(*requests)
        for a in answers:
            log.info("urssaf_request_sent", invoice=a.invoice_number, request_id=a.request_id, error=a.error)
        return len(requests)

    def _birth_date(self, ledger: Ledger, client_id: str) -> date | None:
        """What every payment request must carry (the Swagger's dateNaissanceClient): opened from
        the client's sealed registration for the request, never kept; None once erased."""
        account = ledger.aggregates.get(UrssafAccount.id_for(client_id))
        vault = self.ingest.vault
        data = vault.open(client_id, account.sealed_registration) if account and vault else None
        return date.fromisoformat(str(data["birth_date"])) if data and data.get("birth_date") else None

    def poll(self, ledger: Ledger, at: datetime) -> int:
        open_requests = {r.request_id: r for r in ledger.of_type(UrssafRequest)
                         if r.request_id and r.last_code not in FINAL}
        if not open_requests:
            return 0
        for status in self.gateway.statuses(sorted(open_requests)):
            request = self.app.repository.get(UrssafRequest.id_for(status.invoice_number))
            request.observe(status.code, status.changed_at or at, self.clock())
            self.app.save(request)
            self._facts_for(ledger, request, status.code, status.changed_at or at)
        return len(open_requests)

    def _facts_for(self, ledger: Ledger, request: UrssafRequest, code: int, at: datetime) -> None:
        fact_type = STATUS_FACTS.get(code)
        doc = ledger.document(request.invoice_number)
        if fact_type is None or doc is None:
            return
        for session_id in covered_sessions(doc):
            fact = {"key": f"urssaf:{request.request_id}:{code}:{session_id}", "type": fact_type,
                    "at": at.isoformat(), "session_id": session_id}
            try:
                self.ingest.ingest(fact)
            except BillingError as exc:
                log.warning("urssaf_status_refused", key=fact["key"], error=str(exc))


def covered_sessions(doc: IssuedDocument) -> list[str]:
    return sorted({s.split(":", 1)[1] for line in doc.lines if line.eligible for s in line.sources})


def payment_request(ledger: Ledger, doc: IssuedDocument, birth_date: date | None = None) -> PaymentRequest:
    sessions = [ledger.aggregates[TutoringSession.id_for(s)] for s in covered_sessions(doc)]
    days = [paris_date(s.starts_at) for s in sessions]
    lines = tuple(RequestLine(line.description, line.hours, line.unit_price, line.total_ttc)
                  for line in doc.lines if line.eligible)
    return PaymentRequest(doc.number, doc.client_id, min(days), max(days),
                          doc.details["avance_immediate"]["amount"], lines, doc.issued_on, birth_date)
