"""`billing advance --to DATE`: issue every document due up to the end of DATE.

The document sequence is loaded before the history is read and saved with the documents it
numbers, so a concurrent run that issued in between makes this save fail; the run then reads
the history again and issues only what is still missing. Nothing is issued twice, no number
is skipped.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime

import structlog
from eventsourcing.application import AggregateNotFoundError
from eventsourcing.persistence import IntegrityError

from application.ingest import IngestService
from application.urssaf_port import UrssafGateway, UrssafUnavailable
from application.urssaf_sync import UrssafSync
from domain.btb_billing import btb_drafts
from domain.ets_billing import ets_drafts
from domain.calendar import end_of_day
from domain.documents import Draft
from domain.issuing import DocumentSequence
from domain.terms_catalog import TermsCatalog
from projections.ledger import Ledger, read_ledger

log = structlog.get_logger("billing.advance")

BATCH = 500
ATTEMPTS = 20
PREFIXES = {"btbconnect": "BTB", "etincelle": "ETS"}


GatewayFor = Callable[[datetime], UrssafGateway]


@dataclass
class AdvanceReport:
    to: date
    issued: list[str] = field(default_factory=list)
    urssaf_sent: int = 0
    urssaf_polled: int = 0
    urssaf_error: str | None = None

    def as_dict(self) -> dict:
        return {"to": self.to.isoformat(), "issued": len(self.issued), "numbers": self.issued,
                "urssaf_requests_sent": self.urssaf_sent, "urssaf_requests_polled": self.urssaf_polled,
                "urssaf_error": self.urssaf_error}


def all_drafts(ledger: Ledger, terms_for: Callable, to: date) -> list[Draft]:
    """Every document the recorded facts call for up to `to`, under `terms_for(reference)`."""
    drafts = [d for book in ledger.btb_books().values() for d in btb_drafts(book, terms_for, to)]
    drafts += [d for book in ledger.ets_books().values() for d in ets_drafts(book, terms_for, to)]
    return sorted(drafts, key=lambda d: (d.due_on, d.client_id, d.key))


def due_drafts(ledger: Ledger, catalog: TermsCatalog, to: date) -> list[Draft]:
    issued = ledger.issued_keys()
    return [d for d in all_drafts(ledger, catalog.get, to) if d.key not in issued]


class AdvanceService:
    def __init__(
        self, ingest: IngestService, clock: Callable[[], datetime], gateway_for: GatewayFor | None = None,
    ):
        self.ingest = ingest
        self.app = ingest.app
        self.catalog = ingest.catalog
        self.clock = clock
        self.gateway_for = gateway_for

    def advance(self, to: date) -> AdvanceReport:
        report = AdvanceReport(to)
        for attempt in range(ATTEMPTS):
            try:
                self._advance_once(to, report)
                self._talk_to_urssaf(to, report)
                return report
            except IntegrityError:
                log.info("advance_conflict_retry", attempt=attempt + 1)
        raise RuntimeError(f"advance to {to} kept conflicting with concurrent runs; run it again")

    def _talk_to_urssaf(self, to: date, report: AdvanceReport) -> None:
        if self.gateway_for is None:
            return
        sync = UrssafSync(self.ingest, self.gateway_for(end_of_day(to)), self.clock)
        try:
            report.urssaf_sent += sync.send_pending(read_ledger(self.app), end_of_day(to))
            report.urssaf_polled += sync.poll(read_ledger(self.app), end_of_day(to))
        except UrssafUnavailable as exc:
            # The documents stand; what was not sent is sent by the next run.
            report.urssaf_error = str(exc)
            log.warning("urssaf_unavailable", error=str(exc))

    def _advance_once(self, to: date, report: AdvanceReport) -> None:
        sequences = {p: self._sequence(p) for p in PREFIXES}
        drafts = due_drafts(read_ledger(self.app), self.catalog, to)
        for provider, sequence in sequences.items():
            mine = [d for d in drafts if d.provider == provider]
            for start in range(0, len(mine), BATCH):
                self._issue(sequence, mine[start:start + BATCH], to, report)

    def _sequence(self, provider: str) -> DocumentSequence:
        try:
            return self.app.repository.get(DocumentSequence.id_for(provider))
        except AggregateNotFoundError:
            now = self.clock()
            return DocumentSequence.open(provider, PREFIXES[provider], now, now)

    def _issue(self, sequence: DocumentSequence, drafts: list[Draft], to: date, report: AdvanceReport) -> None:
        documents = sequence.issue_batch(drafts, end_of_day(to), self.clock())
        self.app.save(sequence, *documents)
        for doc in documents:
            report.issued.append(doc.number)
            log.info("document_issued", number=doc.number, key=doc.key, client_id=doc.client_id,
                     issued_on=doc.issued_on.isoformat(), total_ttc=str(doc.draft.total_ttc))
