"""Reads about one client fold that client's events only (the `streams` view): on random histories
of both providers, every read computed from them equals the same read from the whole fold, on
SQLite and PostgreSQL, and through the `billing` command."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from application.explain import explain
from domain.calendar import end_of_day
from infrastructure.ecb_rates import load_ecb_rates
from application.books.attestations import attestation_rows
from application.verify_service import verify_store
from application.client_folds import client_events, client_ledger, document_client
from application.books.invoices import InvoiceFilter, invoice_rows
from application.ledger import read_ledger
from application.books.receivables import receivables
from infrastructure.view_sql import SqlSession
from application.books.urssaf_status import urssaf_status
from tests.billing_cli import billing_json, jsonl
from tests.services import Engine, engine_on
from tests.test_any_arrival_order import END, SETTINGS, btb_histories, ets_histories
from tests.test_etincelle_scenario import client, held, booked, urssaf

AS_OF = end_of_day(END)
RECORDED_MIDWAY = datetime(2026, 11, 1, 12, 0, tzinfo=AS_OF.tzinfo)  # the services' fixed clock


def reads(engine: Engine, ledger, client_id: str) -> dict:
    """Everything finance reads about one client, from that ledger."""
    rates = load_ecb_rates()
    return {
        "invoices": invoice_rows(ledger, engine.catalog, InvoiceFilter(client_id=client_id), AS_OF, engine.identities),
        "receivables": [r.as_dict() for r in receivables(ledger, engine.catalog, rates, END, None, client_id)],
        "attestations": [attestation_rows(ledger, engine.catalog, year, client_id) for year in (2026, 2027)],
        "explanations": [explain(ledger, engine.catalog, d.number) for d in ledger.documents(
            lambda d: d.client_id == client_id)],
        "urssaf": urssaf_status(ledger, client_id),
    }


@SETTINGS
@given(btb=btb_histories(), ets=ets_histories(), known=st.booleans())
def test_one_clients_reads_equal_the_whole_folds(backend: str, tmp_path: Path, btb, ets, known) -> None:
    with engine_on(backend, tmp_path) as engine:
        engine.ingest(*sorted(btb + ets, key=lambda f: datetime.fromisoformat(f["at"])))
        engine.advance(END)
        known_at = RECORDED_MIDWAY if known else None
        whole = read_ledger(engine.app, known_at)
        sql = SqlSession(engine.url)
        try:
            for c in whole.clients():
                scoped = client_ledger(engine.app, sql, [c.client_id], known_at)
                assert {type(a) for a in scoped.aggregates.values()} <= {type(a) for a in whole.aggregates.values()}
                assert all(getattr(a, "client_id", c.client_id) == c.client_id for a in scoped.aggregates.values()
                           if hasattr(a, "client_id"))
                assert reads(engine, scoped, c.client_id) == reads(engine, whole, c.client_id)
            for doc in whole.documents():
                assert document_client(engine.app, sql, doc.number) == doc.client_id
            by_client = verify_store(engine.app, engine.catalog,
                                     client_events=lambda ids: client_events(engine.app, sql, ids))
            assert by_client == verify_store(engine.app, engine.catalog)
        finally:
            sql.close()


def test_the_command_reads_one_client_as_the_whole_fold_does(db_url: str) -> None:
    facts = [client("E-A", "per_session"), urssaf("E-A"), client("E-B", "per_session"),
             *booked("A1", "E-A", "2026-01-14T17:00:00+01:00", 120, "45.00"), held("A1", "2026-01-14T19:00:00+01:00"),
             *booked("B1", "E-B", "2026-01-15T17:00:00+01:00", 60, "40.00"), held("B1", "2026-01-15T18:00:00+01:00")]
    billing_json("ingest", "-", db=db_url, stdin=jsonl(facts))
    billing_json("advance", "--to", "2026-01-31", db=db_url)
    every = billing_json("invoices", db=db_url)
    assert billing_json("invoices", "--client", "E-A", db=db_url) == [r for r in every if r["client_id"] == "E-A"]
    [number] = [r["number"] for r in every if r["client_id"] == "E-B"]
    assert billing_json("explain", number, db=db_url)["client_id"] == "E-B"
    assert billing_json("invoices", "--client", "E-NOBODY", db=db_url) == []


def test_a_store_never_followed_is_indexed_at_its_first_read(db_url: str, tmp_path: Path) -> None:
    engine = Engine(db_url)
    try:
        engine.ingest(client("E-A", "per_session"), *booked("A1", "E-A", "2026-01-14T17:00:00+01:00", 60, "45.00"),
                      held("A1", "2026-01-14T18:00:00+01:00"))
        engine.advance(date(2026, 1, 31))  # the services follow no view: the streams table is empty or absent
        sql = SqlSession(db_url)
        try:
            ledger = client_ledger(engine.app, sql, ["E-A"])
        finally:
            sql.close()
        assert [d.number for d in ledger.documents()] == ["ETS-2026-00001"]
    finally:
        engine.close()
