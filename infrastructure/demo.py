"""`billing demo`: records a sample BTBCONNECT history, advances month end by month end, and
shows the invoices it called for.

The history (infrastructure/demo_history.py) is fixed: a second run records nothing new and
issues nothing. A refused demo fact is a bug in the demo; it is reported and the run fails.
"""

from __future__ import annotations

import sys
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from application.advance import AdvanceReport
from application.ingest import IngestReport
from domain.calendar import end_of_day, month_end
from domain.money import fmt
from infrastructure.cli.output import invoices_table, print_json, table
from infrastructure.cli.wiring import Services
from infrastructure.demo_history import FIRST_DAY, LAST_DAY, demo_clients, demo_lines
from projections.invoices import InvoiceFilter, invoice_rows
from projections.ledger import read_ledger


def month_ends(first: date = FIRST_DAY, last: date = LAST_DAY) -> list[date]:
    ends = []
    day = month_end(first)
    while day <= last:
        ends.append(day)
        day = month_end(day + timedelta(days=1))
    return ends


def run_demo(services: Services, output_format: str) -> int:
    ingested = services.ingest.ingest_lines(demo_lines())
    if ingested.refused:
        for refusal in ingested.refused:
            print(f"demo fact refused {refusal['key']}: {refusal['error']}", file=sys.stderr)
        return 1
    advancer = services.advance
    advanced = [advancer.advance(day) for day in month_ends()]
    rows = demo_invoices(services)
    if output_format == "json":
        print_json({"ingest": ingested.as_dict(), "advanced": [a.as_dict() for a in advanced], "invoices": rows})
    else:
        print(report_text(ingested, advanced, rows))
    return 0


def demo_invoices(services: Services) -> list[dict[str, Any]]:
    """The demo clients' documents (the store may hold other clients too)."""
    clients = demo_clients()
    rows = invoice_rows(read_ledger(services.app), services.catalog, InvoiceFilter(provider="btbconnect"),
                        end_of_day(LAST_DAY))
    return [row for row in rows if row["client_id"] in clients]


def report_text(ingested: IngestReport, advanced: list[AdvanceReport], rows: list[dict[str, Any]]) -> str:
    return "\n\n".join([header(ingested, advanced), invoices_table(rows), summary(rows)])


def header(ingested: IngestReport, advanced: list[AdvanceReport]) -> str:
    lines = [f"BTBCONNECT demo history {FIRST_DAY} → {LAST_DAY} (terms CGPS20260208-2)",
             f"facts: recorded {ingested.recorded}, duplicates {ingested.duplicates}, "
             f"refused {len(ingested.refused)}"]
    for report in advanced:
        numbers = f" ({report.issued[0]} … {report.issued[-1]})" if report.issued else ""
        lines.append(f"  advanced to {report.to}: issued {len(report.issued)} document(s){numbers}")
    return "\n".join(lines)


def summary(rows: list[dict[str, Any]]) -> str:
    body = [summary_row(client_id, name, [r for r in rows if r["client_id"] == client_id])
            for client_id, name in demo_clients().items()]
    totals = [sum_of(rows, key) for key in ("total_ttc", "paid", "balance")]
    body.append(["all", "", str(len(rows)), *totals])
    headers = ["client", "name", "documents", "total TTC", "paid", "balance"]
    return "Summary per client\n" + table(headers, body, {2, 3, 4, 5})


def summary_row(client_id: str, name: str, rows: list[dict[str, Any]]) -> list[str]:
    return [client_id, name, str(len(rows)), sum_of(rows, "total_ttc"), sum_of(rows, "paid"),
            sum_of(rows, "balance")]


def sum_of(rows: list[dict[str, Any]], key: str) -> str:
    return fmt(sum((Decimal(r[key]) for r in rows), Decimal("0")))
