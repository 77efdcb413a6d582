"""Runs the checks of `billing verify` on a store: the log's chain and versions in one pass,
then, on a log that holds together, the documents' chain, numbering and drift."""

from __future__ import annotations

from application.progress import Progress, no_progress
from application.app import BillingApp
from application.log_chain import check_log
from application.findings import Finding
from application.verify_by_client import ClientEvents, DriftOf, document_findings_by_client
from application.verify import chain_findings, drift_findings, sequence_findings
from domain.issuing import DocumentSequence
from domain.log_seal import Anchor
from domain.terms_catalog import TermsCatalog
from application.ledger import read_ledger
from application.ledger_over_time import LedgerOverTime

BROKEN = {"missing", "reordered"}  # a log that no longer folds: its documents cannot be read


def verify_store(app: BillingApp, catalog: TermsCatalog, key: bytes | None = None,
                 expect: list[Anchor] = (), client_events: ClientEvents | None = None,
                 progress: Progress = no_progress, drift: DriftOf | None = None,
                 ) -> tuple[list[Finding], list[Anchor]]:
    """The findings, and the heads of the log's chains as they stand (to keep outside as anchors).
    With `client_events`, the documents are checked client by client, in bounded memory, and
    `progress` is told the clients checked."""
    log_findings, anchors = check_log(app, key, expect)
    if any(f.kind in BROKEN and not f.number.startswith("seal") for f in log_findings):
        return log_findings, anchors
    if client_events is not None:
        return log_findings + document_findings_by_client(app, catalog, client_events, progress, drift), anchors
    return log_findings + document_findings(app, catalog), anchors


def document_findings(app: BillingApp, catalog: TermsCatalog) -> list[Finding]:
    ledger = read_ledger(app, facts=False)
    documents = ledger.documents()
    findings = chain_findings(documents) + sequence_findings(documents, list(ledger.of_type(DocumentSequence)))
    altered = {f.number for f in findings}
    clean = [d for d in documents if d.number not in altered]
    return findings + drift_findings(clean, catalog, LedgerOverTime(app).at)
