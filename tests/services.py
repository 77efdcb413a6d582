"""The application services on a given store, with a fixed clock, for application tests."""

from __future__ import annotations

import json
from datetime import date, datetime, timezone
from typing import Any

from application.advance import AdvanceService
from application.ingest import IngestReport, IngestService
from infrastructure.store import open_app
from infrastructure.terms_files import load_catalog
from projections.invoices import InvoiceFilter, invoice_rows
from projections.ledger import read_ledger

RECORDED_AT = datetime(2026, 11, 1, 12, 0, tzinfo=timezone.utc)


class Engine:
    def __init__(self, url: str):
        self.app = open_app(url)
        self.catalog = load_catalog()
        self.ingest_service = IngestService(self.app, self.catalog, lambda: RECORDED_AT)

    def ingest(self, *facts: dict) -> IngestReport:
        return self.ingest_service.ingest_lines([json.dumps(f) for f in facts])

    def refusal(self, fact: dict) -> str:
        report = self.ingest(fact)
        assert len(report.refused) == 1, f"{fact['key']} was not refused: {report.as_dict()}"
        return report.refused[0]["error"]

    def advance(self, to: date) -> list[str]:
        return AdvanceService(self.app, self.catalog, lambda: RECORDED_AT).advance(to).issued

    def invoices(self, **filters: Any) -> list[dict]:
        return invoice_rows(read_ledger(self.app), InvoiceFilter(**filters))

    def close(self) -> None:
        self.app.close()
