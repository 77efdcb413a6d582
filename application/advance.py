"""`billing advance --to DATE`: issue every document due up to the end of DATE, then send and
follow the URSSAF requests of the invoices with avance immédiate."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from uuid import UUID

from eventsourcing.application import Application

import structlog

from application.ingest import IngestService
from application.issuer import Issuer
from application.attesting import issue_attestations
from application.log_chain import seal_log
from application.log_owners import ledger_owners
from application.urssaf_port import UrssafGateway, UrssafUnavailable
from application.urssaf_sync import UrssafSync
from application.progress import Progress, no_progress
from domain.btb_billing import btb_drafts
from domain.errors import ConfigurationError
from domain.ets_billing import ets_drafts
from domain.penalty_billing import penalty_target
from domain.calendar import end_of_day
from domain.corrections import corrections
from domain.documents import Draft
from domain.issuing import IssuedDocument
from domain.terms_catalog import TermsCatalog
from application.ledger import Ledger, follow
from application.books.penalties import is_penalty_original

log = structlog.get_logger("billing.advance")

GatewayFor = Callable[[datetime], UrssafGateway]
Fresh = Callable[[], Ledger]


@dataclass
class AdvanceReport:
    to: date
    issued: list[str] = field(default_factory=list)
    urssaf_enrolled: int = 0
    urssaf_sent: int = 0
    urssaf_polled: int = 0
    urssaf_error: str | None = None
    sealed: str | None = None  # the log's head once sealed (an anchor: position:count:hash)
    attested: list[str] = field(default_factory=list)  # tax attestations issued ("client/year vN")

    def as_dict(self) -> dict:
        return {"to": self.to.isoformat(), "issued": len(self.issued), "numbers": self.issued,
                "urssaf_clients_registered": self.urssaf_enrolled, "urssaf_requests_sent": self.urssaf_sent,
                "urssaf_requests_polled": self.urssaf_polled,
                "urssaf_error": self.urssaf_error, "log_sealed": self.sealed, "attestations_issued": self.attested}


AfterFor = Callable[[str], "date | None"]


def all_drafts(ledger: Ledger, terms_for: Callable, to: date, after_for: AfterFor = lambda client_id: None) -> list[Draft]:
    """Every document the recorded facts call for up to `to`, under `terms_for(reference)`;
    for a client with `after_for(client_id)`, only those due after that date."""
    drafts = [d for cid, book in ledger.btb_books().items() for d in btb_drafts(book, terms_for, to, after_for(cid))]
    drafts += [d for cid, book in ledger.ets_books().items() for d in ets_drafts(book, terms_for, to, after_for(cid))]
    drafts += [t for doc in ledger.documents(is_penalty_original) if (t := penalty_target(doc, terms_for(doc.terms)))]
    return sorted(drafts, key=lambda d: (d.due_on, d.client_id, d.key))


def due_drafts(ledger: Ledger, catalog: TermsCatalog, to: date, billed_up_to: date | None = None,
               horizon: date | None = None) -> list[Draft]:
    """New documents due by `to`, and the corrections of issued ones the facts now call for.

    `billed_up_to`: this ledger was billed up to that date by the same service and has kept
    track of what changed since; a client without a new fact is then only drafted for what
    falls due after that date, and its documents need no correction. `horizon`: the last due
    date of all issued documents, for a ledger of some clients only."""
    horizon = max([to, *([horizon] if horizon else []), *(d.due_on for d in ledger.of_type(IssuedDocument))])
    after_for, documents = redraft_scope(ledger, billed_up_to)
    drafts = {d.key: d for d in all_drafts(ledger, catalog.get, horizon, after_for)}
    issued, cancelled = ledger.issued_keys(), ledger.cancelled()
    new = [d for d in drafts.values() if d.key not in issued and d.key not in cancelled and d.due_on <= to]
    fixes = corrections(documents, drafts, cancelled, to)
    return sorted(new + fixes, key=lambda d: (d.due_on, d.client_id, d.key))


def redraft_scope(ledger: Ledger, billed_up_to: date | None) -> tuple[AfterFor, list[IssuedDocument]]:
    """Whom to draft in full and which documents to check for corrections: everyone, or with a
    kept ledger only the clients whose facts changed since it was billed up to `billed_up_to`."""
    if billed_up_to is None or ledger.all_changed:
        return (lambda client_id: None), ledger.documents()
    changed = ledger.changed
    return ((lambda client_id: None if client_id in changed else billed_up_to),
            ledger.documents(lambda d: d.client_id in changed))


class AdvanceService:
    def __init__(
        self, ingest: IngestService, clock: Callable[[], datetime], gateway_for: GatewayFor | None = None,
        urssaf_turn: Callable[[], AbstractContextManager[bool]] = lambda: nullcontext(True),
        log_key: bytes | None = None,
    ):
        """`urssaf_turn`: True inside when this run may talk to URSSAF (one run at a time does);
        `log_key`: the key of the log's chain (application/log_chain.py), if it is keyed."""
        self.ingest = ingest
        self.urssaf_turn = urssaf_turn
        self.log_key = log_key
        self.app = ingest.app
        self.catalog = ingest.catalog
        self.clock = clock
        self.gateway_for = gateway_for
        self.ledger: Ledger | None = None
        self.billed_up_to: date | None = None

    def advance(self, to: date, progress: Progress = no_progress) -> AdvanceReport:
        """A service kept between runs (the bench, a long-lived process) keeps its ledger, reads
        only what was recorded since its last run and redrafts only the clients it changed.
        `progress` is told the documents issued of those due."""
        report = AdvanceReport(to)
        issuer = Issuer(self.app, self.clock, self.ingest.identities, self.ledger)
        documents = issuer.issue(lambda ledger: due_drafts(ledger, self.catalog, to, self.billed_up_to),
                                 end_of_day(to), progress)
        report.issued = [doc.number for doc in documents]
        self.ledger = issuer.ledger or Ledger()
        self.ledger.forget_changes()
        report.attested = issue_attestations(self.app, self.ledger, self.catalog, self.ingest.identities, to,
                                             self.clock, self.billed_up_to)
        self.ledger.forget_touched()
        self.billed_up_to = max(to, self.billed_up_to or to)
        self.talk_to_urssaf(to, report, [followed(self.app, self.ledger)])
        report.sealed = seal_log(self.app, self.log_key, end_of_day(to), self.clock(),
                                 ledger_owners(self._folded(self.ledger))).anchor()
        return report

    def _folded(self, ledger: Ledger) -> Callable[[UUID], Any]:
        """An aggregate of the ledger by id; one the ledger has not read yet (sealed by another
        run since it was read) after it follows the log once more."""
        followed = []

        def aggregate(aggregate_id: UUID) -> Any:
            if aggregate_id not in ledger.aggregates and not followed:
                followed.append(follow(self.app, ledger))
            return ledger.aggregates.get(aggregate_id)

        return aggregate

    def talk_to_urssaf(self, to: date, report: AdvanceReport, ledgers: Iterable[Fresh]) -> None:
        """`ledgers`: for each group of clients, its ledger as the store holds it now."""
        if self.gateway_for is None:
            return
        with self.urssaf_turn() as ours:
            if not ours:
                # Two runs would send the same requests and record the same answers twice.
                log.info("urssaf_sync_skipped", reason="another run is talking to URSSAF; the next run sends "
                         "what it leaves")
                return
            for fresh in ledgers:
                if not self._sync(to, report, fresh):
                    return

    def _sync(self, to: date, report: AdvanceReport, fresh: Fresh) -> bool:
        """False when URSSAF could not be reached."""
        try:
            sync = UrssafSync(self.ingest, self.gateway_for(end_of_day(to)), self.clock)
            report.urssaf_enrolled += sync.enrol_clients(fresh(), end_of_day(to))
            report.urssaf_sent += sync.send_pending(fresh(), end_of_day(to))
            report.urssaf_polled += sync.poll(fresh(), end_of_day(to))
        except (UrssafUnavailable, ConfigurationError) as exc:
            # The documents stand; what was not sent is sent by the next run.
            report.urssaf_error = str(exc)
            log.warning("urssaf_unavailable", error=str(exc))
            return False
        return True


def followed(app: Application, ledger: Ledger) -> Fresh:
    """The ledger, once it has read what was recorded since it last did (by this run or another)."""
    def fresh() -> Ledger:
        follow(app, ledger)
        return ledger

    return fresh
