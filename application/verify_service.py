"""Runs both checks of `billing verify` on a store."""

from __future__ import annotations

from application.app import BillingApp
from application.verify import Finding, chain_findings, drift_findings
from domain.terms_catalog import TermsCatalog
from projections.ledger import read_ledger


def verify_store(app: BillingApp, catalog: TermsCatalog) -> list[Finding]:
    ledger = read_ledger(app, facts=False)
    documents = ledger.documents()
    findings = chain_findings(documents)
    altered = {f.number for f in findings}
    clean = [d for d in documents if d.number not in altered]
    return findings + drift_findings(clean, catalog, lambda at: read_ledger(app, at, facts=False))
