"""The application services on a given store, with a fixed clock, for application tests."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from uuid import uuid4
from datetime import date, datetime, timezone
from typing import Any

from application.advance import AdvanceService
from application.ingest import IngestReport, IngestService
from infrastructure.store import open_app
from infrastructure.urssaf_simulator import UrssafSimulator
from infrastructure.vault import Vault
from application.books.attestations import attestations
from tests.conftest import _fresh_postgres_database
from infrastructure.terms_files import load_catalog
from infrastructure.provider_files import load_identities
from application.books.invoices import InvoiceFilter, invoice_rows
from application.ledger import read_ledger

RECORDED_AT = datetime(2026, 11, 1, 12, 0, tzinfo=timezone.utc)
FAR_FUTURE = datetime(2100, 1, 1, tzinfo=timezone.utc)


class Engine:
    """The services on one store; `url` is the store's URL."""

    def __init__(self, url: str):
        self.url = url
        self.app = open_app(url)
        self.vault = Vault(url)
        self.catalog = load_catalog()
        self.identities = load_identities()
        self.ingest_service = IngestService(self.app, self.catalog, lambda: RECORDED_AT, self.vault, self.identities)

    def ingest(self, *facts: dict, batch: int = 1) -> IngestReport:
        return self.ingest_service.ingest_lines([json.dumps(f) for f in facts], batch=batch)

    def refusal(self, fact: dict) -> str:
        report = self.ingest(fact)
        assert len(report.refused) == 1, f"{fact['key']} was not refused: {report.as_dict()}"
        return report.refused[0]["error"]

    def advance(self, to: date) -> list[str]:
        return self.advance_report(to).issued

    def advance_report(self, to: date, gateway: Any = None) -> Any:
        """`gateway`: the URSSAF gateway to talk to (default the simulator)."""
        gateway_for = UrssafSimulator if gateway is None else (lambda now: gateway)
        return AdvanceService(self.ingest_service, lambda: RECORDED_AT, gateway_for).advance(to)

    def invoices(self, **filters: Any) -> list[dict]:
        return invoice_rows(read_ledger(self.app), self.catalog, InvoiceFilter(**filters), FAR_FUTURE, self.identities)

    def attestations(self, year: int) -> dict[str, dict]:
        return {a.client_id: a.as_dict() for a in attestations(read_ledger(self.app), self.catalog, year)}

    def close(self) -> None:
        self.vault.close()
        self.app.close()


@contextmanager
def engine_on(backend: str, tmp_path: Path) -> Iterator[Engine]:
    """A fresh store of that backend for one hypothesis example, dropped afterwards."""
    if backend == "sqlite":
        engine = Engine(f"sqlite:///{tmp_path / (uuid4().hex + '.db')}")
        try:
            yield engine
        finally:
            engine.close()
        return
    databases = _fresh_postgres_database()
    engine = Engine(next(databases))
    try:
        yield engine
    finally:
        engine.close()
        next(databases, None)
