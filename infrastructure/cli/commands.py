"""One function per subcommand: open the store, call one service, print the result."""

from __future__ import annotations

import argparse
import sys
from contextlib import contextmanager
from collections.abc import Iterator
from pathlib import Path

from application.advance import AdvanceService
from application.app import BillingApp
from application.ingest import IngestService
from domain.errors import InvalidFact
from infrastructure.cli.output import invoices_table, print_json, table
from infrastructure.clock import system_clock
from infrastructure.store import database_url, open_app
from infrastructure.terms_files import load_catalog
from projections.invoices import InvoiceFilter, invoice_rows
from projections.ledger import read_ledger


@contextmanager
def store(args: argparse.Namespace) -> Iterator[BillingApp]:
    app = open_app(database_url(args.db))
    try:
        yield app
    finally:
        app.close()


def ingest(args: argparse.Namespace) -> int:
    lines = sys.stdin if args.file == "-" else read_lines(args.file)
    with store(args) as app:
        report = IngestService(app, load_catalog(), system_clock).ingest_lines(lines)
    if args.format == "json":
        print_json(report.as_dict())
    else:
        print(f"recorded {report.recorded}, duplicates {report.duplicates}, refused {len(report.refused)}")
        for refusal in report.refused:
            print(f"  refused {refusal['key']}: {refusal['error']}", file=sys.stderr)
    return 1 if report.refused else 0


def read_lines(path: str) -> list[str]:
    try:
        return Path(path).read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise InvalidFact(f"cannot read {path}: {exc.strerror}") from None


def advance(args: argparse.Namespace) -> int:
    with store(args) as app:
        report = AdvanceService(app, load_catalog(), system_clock).advance(args.to)
    if args.format == "json":
        print_json(report.as_dict())
    else:
        numbers = f" ({report.issued[0]} … {report.issued[-1]})" if report.issued else ""
        print(f"advanced to {args.to}: issued {len(report.issued)} document(s){numbers}")
    return 0


def invoices(args: argparse.Namespace) -> int:
    keep = InvoiceFilter(args.provider, args.client, args.from_date, args.to_date)
    with store(args) as app:
        rows = invoice_rows(read_ledger(app), keep)
    print_json(rows) if args.format == "json" else print(invoices_table(rows))
    return 0


def terms_list(args: argparse.Namespace) -> int:
    versions = load_catalog().all()
    if args.format == "json":
        print_json([{"reference": t.reference, "provider": t.provider, "effective_from": t.effective_from.isoformat(),
                     "title": t.title} for t in versions])
    else:
        print(table(["reference", "provider", "effective from", "title"],
                    [[t.reference, t.provider, t.effective_from.isoformat(), t.title] for t in versions]))
    return 0


def terms_show(args: argparse.Namespace) -> int:
    terms = load_catalog().get(args.reference)
    data = terms.model_dump(mode="json")
    if args.format == "json":
        print_json(data)
    else:
        print("\n".join(flatten(data)))
    return 0


def flatten(data: object, prefix: str = "") -> list[str]:
    if isinstance(data, dict):
        return [line for k, v in data.items() for line in flatten(v, f"{prefix}{k}.")]
    if isinstance(data, list) and data and isinstance(data[0], dict):
        return [line for i, v in enumerate(data) for line in flatten(v, f"{prefix}{i}.")]
    return [f"{prefix.rstrip('.')} = {data}"]


def demo(args: argparse.Namespace) -> int:
    from infrastructure.demo import run_demo

    with store(args) as app:
        return run_demo(app, args.format)
