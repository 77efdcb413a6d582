"""The reads finance and auditors run most, with only what they need imported: about one client,
they answer in a fraction of a second (the imports are most of it)."""

from __future__ import annotations

import argparse
from datetime import date

from collections.abc import Callable, Iterator, Sequence
from typing import Any

from domain.calendar import end_of_day, paris_date
from infrastructure.cli.output import invoices_table, print_invoices, print_json, print_json_rows, table
from infrastructure.clock import system_clock
from infrastructure.store import database_url
from infrastructure.view_sql import SqlSession
from projections import row_reads
from projections.receivable_rows import receivable_rows


def invoices(args: argparse.Namespace) -> int:
    if args.known_at is not None:
        rows = invoices_as_known(args)
        print_json(rows) if args.format == "json" else print(invoices_table(rows))
        return 0
    clients = [args.client] if args.client else None

    def rows_of(sql: SqlSession) -> Iterator[dict[str, Any]]:
        return row_reads.invoice_rows(sql, args.as_of or today(), args.provider, args.client, args.from_date,
                                      args.to_date)

    show = print_json_rows if args.format == "json" else print_invoices
    from_kept_rows(args.db, clients, lambda sql: show(rows_of(sql)))  # written as read: a few hundred rows in memory
    return 0


def from_kept_rows(db: str | None, client_ids: Sequence[str] | None, read: Callable[[SqlSession], Any]) -> Any:
    """A read of the kept rows (projections/row_reads.py): from the tables straight away when they
    are current, which loads nothing of the engine; else once the services rewrote them."""
    try:
        sql = SqlSession(database_url(db))
    except Exception:  # noqa: BLE001 - the services open the store again, and say what is wrong with it
        sql = None
    if sql is not None:
        try:
            if row_reads.up_to_date(sql, sql.log_head(), client_ids):
                return read(sql)
        finally:
            sql.close()
    from infrastructure.cli.wiring import services

    with services(db) as s, s.rows(client_ids) as current:
        return read(current)


def invoices_as_known(args: argparse.Namespace) -> list[dict[str, Any]]:
    """An audit question about recorded time: the fold of what was known then."""
    from infrastructure.cli.wiring import services
    from application.books.invoices import InvoiceFilter, invoice_rows

    keep = InvoiceFilter(args.provider, args.client, args.from_date, args.to_date)
    with services(args.db) as s:
        return invoice_rows(s.ledger(args.client, args.known_at), s.catalog, keep, end_of_day(args.as_of or today()),
                            s.identities)


def receivables(args: argparse.Namespace) -> int:
    from infrastructure.ecb_rates import load_ecb_rates
    from infrastructure.terms_files import load_catalog

    catalog, rates = load_catalog(), load_ecb_rates()
    show = print_json_rows if args.format == "json" else (lambda rows: print(receivables_table(list(rows))))
    if args.known_at is None:
        from_kept_rows(args.db, [args.client] if args.client else None, lambda sql: show(
            r.as_dict() for r in receivable_rows(sql, catalog, rates, args.as_of, args.provider, args.client)))
        return 0
    from infrastructure.cli.wiring import services
    from application.books.receivables import receivables as folded

    with services(args.db) as s:
        show(r.as_dict() for ledger in s.ledgers(args.client, args.known_at)  # a group of clients at a time
             for r in folded(ledger, catalog, rates, args.as_of, args.provider, args.client))
    return 0


def receivables_table(rows: list[dict[str, Any]]) -> str:
    return table(["client", "provider", "outstanding", "overdue", "1-30", "31-60", "61-90", ">90",
                  "penalties", "awaiting URSSAF", "credit"],
                 [[r["client_id"], r["provider"], r["outstanding"], r["overdue"], r["ageing"]["1_30"],
                   r["ageing"]["31_60"], r["ageing"]["61_90"], r["ageing"]["over_90"], r["penalties"],
                   r["awaiting_urssaf"], r["credit"]] for r in rows], set(range(2, 11)))


def attestations(args: argparse.Namespace) -> int:
    from infrastructure.cli.file_commands import attestation_file

    if args.known_at is None:
        rows = from_kept_rows(args.db, [args.client] if args.client else None,
                              lambda sql: row_reads.attestation_rows(sql, args.year, args.client))
    else:
        from infrastructure.cli.wiring import services
        from application.books.attestations import attestation_rows

        with services(args.db) as s:
            rows = attestation_rows(s.ledger(args.client, args.known_at), s.catalog, args.year, args.client)
    if args.pdf:
        return attestation_file(args, rows)
    if args.format == "json":
        print_json(rows)
    else:
        print(table(["client", "name", "year", "eligible paid", "of which avance immédiate", "hours", "status"],
                    [[r["client_id"], r["name"], str(r["year"]), r["eligible_paid"], r["avance_immediate"],
                      f"{r['hours']:.2f}", issue_status(r)] for r in rows], {3, 4, 5}))
    return 0


def issue_status(row: dict) -> str:
    if row["status"] != "issued":
        return "provisional (issued from 1 January of the next year)"
    return f"issued {row['issued_on']}" + (f", version {row['version']}" if row["version"] > 1 else "")


def today() -> date:
    return paris_date(system_clock())


def explain(args: argparse.Namespace) -> int:
    data = (None if args.line is not None else kept_explanation(args.db, args.number)) or explained(args)
    if args.format == "json":
        print_json(data)
    else:
        print(explanation_text(data))
    return 0


def kept_explanation(db: str | None, number: str) -> dict[str, Any] | None:
    """The document's explanation as kept, when its client's rows are current; loads nothing of
    the engine."""
    try:
        sql = SqlSession(database_url(db))
    except Exception:  # noqa: BLE001 - the services open the store again, and say what is wrong with it
        return None
    try:
        client = row_reads.client_of(sql, number)
        current = client is not None and row_reads.up_to_date(sql, sql.log_head(), [client])
        return row_reads.kept_explanation(sql, number) if current else None
    except sql.missing_table:
        return None
    finally:
        sql.close()


def explained(args: argparse.Namespace) -> dict[str, Any]:
    """The whole document's explanation as the services keep it; one line of it worked out from
    the client's events."""
    from application.explain import explain as explain_document
    from infrastructure.cli.wiring import services

    with services(args.db) as s:
        if args.line is None:
            return s.explanation(args.number)
        return explain_document(s.document_ledger(args.number, facts=True), s.catalog, args.number, args.line)


def explanation_text(data: dict) -> str:
    out = [f"{data['number']} ({data['kind']}, {data['client_id']}, terms {data['terms']})"]
    for line in data["lines"]:
        out.append(f"\nline {line['line']}: {line['code']} – {line['description']}")
        out.append(f"  rule: {line['article']} ({line['terms']})")
        out.append(f"  arithmetic: {line['arithmetic']}")
        out += [f"  {name}: {value}" for name, value in line["parameters"].items() if name != "appointments"]
        for appt in line["parameters"].get("appointments", []):
            out.append(f"  appointment {appt['appointment_id']}: on {appt['starts_at']}, validated {appt['validated_at']}")
        for src in line["sources"]:
            out += [f"  fact {f['key']} ({f['type']}, {f['at']}) → events {', '.join(f['events'])}"
                    for f in src["facts"]]
    return "\n".join(out)
