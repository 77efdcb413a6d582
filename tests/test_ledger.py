"""The billing ledger leaves out only the fact records: every other event kind the engine stores
is read, so no rule silently misses a fact."""

from __future__ import annotations

import sqlite3
from datetime import date
from pathlib import Path

from application.ledger import billing_topics, read_ledger
from tests.services import Engine
from tests.test_btb_scenario import history as btb_history
from tests.test_etincelle_scenario import history as etincelle_history


def test_every_stored_event_kind_but_fact_records_is_read(tmp_path: Path) -> None:
    engine = Engine(f"sqlite:///{tmp_path / 'billing.db'}")
    try:
        engine.ingest(*btb_history(), *etincelle_history())
        engine.advance(date(2026, 12, 31))
        stored = {row[0] for row in sqlite3.connect(tmp_path / "billing.db").execute(
            "SELECT DISTINCT topic FROM stored_events")}
        facts = {t for t in stored if t.startswith("domain.records:FactRecord.")}
        assert facts and stored - facts <= set(billing_topics())
        full, billing = read_ledger(engine.app), read_ledger(engine.app, facts=False)
        assert {k: vars(v) for k, v in billing.aggregates.items()} == {
            k: vars(v) for k, v in full.aggregates.items() if type(v).__name__ != "FactRecord"}
    finally:
        engine.close()
