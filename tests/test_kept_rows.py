"""Invoices and attestations are read from kept rows (application/kept_rows.py), rewritten client
by client when their events change: on random histories of both providers, recorded in two parts
with a read between them, every read of the rows equals the same read of the whole fold, for every
client and for all of them, as of any day and for any year, on SQLite and PostgreSQL; so do the
receivables of every client and of all, and those folded a group of clients at a time."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from domain.calendar import end_of_day, paris_date
from domain.records import Payment
from infrastructure.http.console.kept_receivables import KeptReceivables
from infrastructure.http.console.receivable_books import amounted, books_of
from infrastructure.view_sql import SqlSession
from projections import row_reads
from projections.receivable_rows import receivable_rows, written_clients
from projections.row_writes import rows_writes_head
from infrastructure.ecb_rates import load_ecb_rates
from application.books.attestations import attestation_rows
from application.client_folds import ledgers_by_group
from application.kept_rows import refresh
from application.books.invoices import InvoiceFilter, invoice_rows
from application.ledger import read_ledger
from application.books.receivables import receivables
from tests.billing_cli import billing_json, jsonl
from tests.services import Engine, engine_on
from tests.test_any_arrival_order import END, SETTINGS, btb_histories, ets_histories
from tests.test_btb_scenario import history as btb_history
from tests.test_etincelle_scenario import booked, client, held, history as ets_history

YEARS = (2025, 2026, 2027, 2031)
KEPT_DAY = date(2027, 5, 3)  # read before and after the late facts, by one KeptReceivables  # 2031: nothing paid nor attested, every client of L'Étincelle has its row


def days_to_read(engine: Engine, drawn: list[date]) -> list[date]:
    """Drawn days, and those around each document's issue and due dates, where steps are taken."""
    ledger = read_ledger(engine.app)
    days = [d for doc in ledger.documents() for d in (doc.issued_on, doc.due_on)]
    days += [paris_date(p.at) for p in ledger.of_type(Payment)]
    around = {d + timedelta(days=k) for d in days for k in (-1, 0, 1, 2, 3)}
    return sorted(set(drawn) | around)


def assert_rows_equal_the_fold(engine: Engine, sql: SqlSession, days: list[date], kept: KeptReceivables) -> None:
    refresh(engine.app, sql, engine.catalog, engine.identities)
    whole = read_ledger(engine.app)
    ids = [None, *(c.client_id for c in whole.clients())]
    for day in days:
        for client_id in ids:
            folded = invoice_rows(whole, engine.catalog, InvoiceFilter(client_id=client_id), end_of_day(day),
                                  engine.identities)
            assert list(row_reads.invoice_rows(sql, day, client_id=client_id)) == folded
            newest = sorted(folded, key=lambda r: (r["issued_on"], r["number"]), reverse=True)
            assert list(row_reads.newest_invoice_rows(sql, day, client_id=client_id, chunk=2)) == newest  # pages of 2
    for year in YEARS:
        for client_id in ids:
            assert row_reads.attestation_rows(sql, year, client_id) == attestation_rows(
                whole, engine.catalog, year, client_id)
    groups, rates = list(ledgers_by_group(engine.app, sql, group=2)), load_ecb_rates()
    for day in days:
        folded = [r.as_dict() for r in receivables(whole, engine.catalog, rates, day)]
        assert [r.as_dict() for r in receivable_rows(sql, engine.catalog, rates, day)] == folded
        assert [r.as_dict() for ledger in groups for r in receivables(ledger, engine.catalog, rates, day)] == folded
        for client_id in ids[1:]:
            assert [r.as_dict() for r in receivable_rows(sql, engine.catalog, rates, day, client_id=client_id)] == [
                r for r in folded if r["client_id"] == client_id]
    # What the console keeps between two reads: those of the clients rewritten since are worked out again.
    folded = [r.as_dict() for r in receivables(whole, engine.catalog, rates, KEPT_DAY)]
    assert [row for row, _ in kept.every_client(sql, engine.catalog, rates, KEPT_DAY)] == folded
    at_once = books_of(amounted(r) for r in folded)  # and so do its books, followed client by client
    assert {p: (b.clients, b.totals, b.owing, b.rows) for p, b in kept.books.items() if b.clients} == {
        p: (b.clients, b.totals, b.owing, b.rows) for p, b in at_once.items()}


@SETTINGS
@given(btb=btb_histories(), ets=ets_histories(), cut=st.floats(0, 1),
       drawn=st.lists(st.dates(date(2025, 12, 1), date(2027, 4, 30)), max_size=5))
def test_kept_rows_equal_the_whole_fold(backend: str, tmp_path: Path, btb, ets, cut, drawn) -> None:
    facts = sorted(btb + ets, key=lambda f: datetime.fromisoformat(f["at"]))
    first = int(len(facts) * cut)
    kept = KeptReceivables()
    with engine_on(backend, tmp_path) as engine:
        sql = SqlSession(engine.url)
        try:
            engine.ingest(*facts[:first])
            engine.advance(date(2026, 6, 30))
            assert_rows_equal_the_fold(engine, sql, days_to_read(engine, drawn), kept)
            engine.ingest(*facts[first:])  # late facts too: the clients they change are rewritten
            engine.advance(END)
            assert_rows_equal_the_fold(engine, sql, days_to_read(engine, drawn), kept)
        finally:
            sql.close()


def one_session_billed(db_url: str) -> None:
    """E-A's one session of 14 January, 1 h at 45 €, invoiced on 31 January."""
    facts = [client("E-A", "per_session"), *booked("A1", "E-A", "2026-01-14T17:00:00+01:00", 60, "45.00"),
             held("A1", "2026-01-14T18:00:00+01:00")]
    billing_json("ingest", "-", db=db_url, stdin=jsonl(facts))
    billing_json("advance", "--to", "2026-01-31", db=db_url)


def test_the_command_reads_a_payment_recorded_after_its_last_read(db_url: str) -> None:
    one_session_billed(db_url)
    [before] = billing_json("invoices", "--client", "E-A", db=db_url)
    assert (before["paid"], before["balance"]) == ("0.00", "45.00")  # 1 h × 45 €, nothing paid
    payment = {"key": "pay-A1", "type": "payment.received", "at": "2026-02-03T10:00:00+01:00", "client_id": "E-A",
               "amount": "45.00", "method": "transfer", "invoice": before["number"]}
    billing_json("ingest", "-", db=db_url, stdin=jsonl([payment]))
    [after] = billing_json("invoices", "--client", "E-A", db=db_url)
    assert (after["paid"], after["balance"]) == ("45.00", "0.00")
    [earlier] = billing_json("invoices", "--as-of", "2026-02-02", db=db_url)  # the day before it was paid
    assert (earlier["paid"], earlier["balance"]) == ("0.00", "45.00")
    assert billing_json("attestations", "--year", "2026", db=db_url)[0]["eligible_paid"] == "45.00"


def test_the_console_works_out_again_only_the_receivables_a_write_changed(db_url: str) -> None:
    engine, sql, kept = Engine(db_url), SqlSession(db_url), KeptReceivables()
    rates, day = load_ecb_rates(), date(2026, 2, 10)
    try:
        for cid in ("E-A", "E-B"):  # 1 h at 45 € each on 14 January, invoiced on 31 January
            engine.ingest(client(cid, "per_session"), *booked(f"{cid}1", cid, "2026-01-14T17:00:00+01:00", 60, "45.00"),
                          held(f"{cid}1", "2026-01-14T18:00:00+01:00"))
        [a, b] = engine.advance(date(2026, 1, 31))
        refresh(engine.app, sql, engine.catalog, engine.identities)
        before = [row for row, _ in kept.every_client(sql, engine.catalog, rates, day)]
        assert [(r["client_id"], r["outstanding"]) for r in before] == [("E-A", "45.00"), ("E-B", "45.00")]
        engine.ingest({"key": "pay-A", "type": "payment.received", "at": "2026-02-03T10:00:00+01:00",
                       "client_id": "E-A", "amount": "45.00", "method": "transfer", "invoice": a})
        seen = rows_writes_head(sql)
        refresh(engine.app, sql, engine.catalog, engine.identities)  # E-A's rows rewritten, E-B's not
        assert [c[:3] for c in written_clients(sql, since=seen)] == [("E-A", "Client E-A", "etincelle")]
        assert written_clients(sql, since=seen)[0][3] == rows_writes_head(sql) == seen + 1
        after = [row for row, _ in kept.every_client(sql, engine.catalog, rates, day)]
        assert [(r["client_id"], r["outstanding"]) for r in after] == [("E-A", "0.00"), ("E-B", "45.00")]
        assert after[1] is before[1] and after[0] is not before[0]  # E-B's is the one worked out before
        assert kept.every_client(sql, engine.catalog, rates, day + timedelta(days=1))[1][0] is not before[1]
    finally:
        sql.close()
        engine.close()


def test_the_command_sees_events_no_view_followed_yet(db_url: str) -> None:
    engine = Engine(db_url)
    try:
        engine.ingest(client("E-A", "per_session"), *booked("A1", "E-A", "2026-01-14T17:00:00+01:00", 60, "45.00"),
                      held("A1", "2026-01-14T18:00:00+01:00"))
        assert billing_json("invoices", db=db_url) == []  # the views follow the log up to here
        engine.advance(date(2026, 1, 31))  # these services follow no view: the log is ahead of them
        assert [r["number"] for r in billing_json("invoices", db=db_url)] == ["ETS-2026-00001"]
    finally:
        engine.close()


def test_rows_rewritten_by_two_processes_equal_those_of_one(db_url: str) -> None:
    from infrastructure.parallel_rows import rewrite_in_parallel
    from projections.row_writes import ROW_TABLES, stale_marks

    engine = Engine(db_url)
    sql = SqlSession(db_url)
    try:
        engine.ingest(*btb_history(), *ets_history())
        engine.advance(date(2026, 9, 30))

        def rewritten(by_two: bool) -> dict[str, list[tuple]]:
            with sql.reading():
                clients = sorted({c for (c, _, _) in sql.execute("receivables.clients", [None])})
            with sql.transaction():
                sql.insert("stale.mark", [(c, 1) for c in clients])  # every client stale, as after a month-end
            if by_two:
                assert rewrite_in_parallel(db_url, clients, 2) == len(clients)
            else:
                refresh(engine.app, sql, engine.catalog, engine.identities)
            assert stale_marks(sql, None) == {}
            with sql.reading():
                return {table: sorted(sql.execute("table.all", table=table)) for table in ROW_TABLES}

        refresh(engine.app, sql, engine.catalog, engine.identities)
        assert rewritten(by_two=True) == rewritten(by_two=False)
    finally:
        sql.close()
        engine.close()


def test_an_explanation_is_kept_until_its_clients_rows_are_rewritten(db_url: str) -> None:
    one_session_billed(db_url)
    [invoice] = billing_json("invoices", "--client", "E-A", db=db_url)
    sql = SqlSession(db_url)
    try:
        first = billing_json("explain", invoice["number"], db=db_url)  # worked out from E-A's events, then kept
        assert row_reads.kept_explanation(sql, invoice["number"]) == first
        assert billing_json("explain", invoice["number"], db=db_url) == first  # read as kept
        assert billing_json("explain", invoice["number"], "--line", "1", db=db_url)["lines"] == first["lines"][:1]
        payment = {"key": "pay-A1", "type": "payment.received", "at": "2026-02-03T10:00:00+01:00",
                   "client_id": "E-A", "amount": "45.00", "method": "transfer", "invoice": invoice["number"]}
        billing_json("ingest", "-", db=db_url, stdin=jsonl([payment]))
        billing_json("invoices", "--client", "E-A", db=db_url)  # E-A's rows rewritten: its explanations dropped
        assert row_reads.kept_explanation(sql, invoice["number"]) is None
        assert billing_json("explain", invoice["number"], db=db_url) == first
    finally:
        sql.close()


def test_a_store_kept_before_the_newest_tables_gets_them_at_its_next_read(db_url: str) -> None:
    one_session_billed(db_url)
    [invoice] = billing_json("invoices", db=db_url)
    before = (billing_json("receivables", "--as-of", "2026-03-31", db=db_url),
              billing_json("explain", invoice["number"], db=db_url))
    sql = SqlSession(db_url)
    try:
        with sql.transaction():  # as a store kept by an earlier version: without these tables
            for table in ("projection_receivable_rows", "projection_explanations", "projection_rows_writes"):
                sql.conn.execute(f"DROP TABLE {table}")
    finally:
        sql.close()
    assert (billing_json("explain", invoice["number"], db=db_url),
            billing_json("receivables", "--as-of", "2026-03-31", db=db_url)) == before[::-1]
