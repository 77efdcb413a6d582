"""One function per subcommand: open the store, call one service, print the result."""

from __future__ import annotations

import argparse
import sys
from datetime import date
from pathlib import Path

from application.penalties import PenaltyService
from application.personal_data_service import PersonalDataService
from domain.calendar import end_of_day, paris_date
from domain.errors import InvalidFact
from infrastructure.cli.output import invoices_table, print_json, table
from infrastructure.cli.wiring import services
from infrastructure.clock import system_clock
from infrastructure.demo import run_demo
from infrastructure.ecb_rates import load_ecb_rates
from infrastructure.terms_files import load_catalog
from projections.attestations import attestations as attestation_rows
from projections.invoices import InvoiceFilter, invoice_rows
from projections.ledger import read_ledger
from projections.receivables import receivables as receivable_rows


def ingest(args: argparse.Namespace) -> int:
    lines = sys.stdin if args.file == "-" else read_lines(args.file)
    with services(args.db) as s:
        report = s.ingest.ingest_lines(lines)
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
    with services(args.db) as s:
        report = s.advance.advance(args.to)
    if args.format == "json":
        print_json(report.as_dict())
    else:
        numbers = f" ({report.issued[0]} … {report.issued[-1]})" if report.issued else ""
        print(f"advanced to {args.to}: issued {len(report.issued)} document(s){numbers}")
    return 0


def invoices(args: argparse.Namespace) -> int:
    keep = InvoiceFilter(args.provider, args.client, args.from_date, args.to_date)
    with services(args.db) as s:
        rows = invoice_rows(read_ledger(s.app), s.catalog, keep, end_of_day(args.as_of or today()))
    print_json(rows) if args.format == "json" else print(invoices_table(rows))
    return 0


def receivables(args: argparse.Namespace) -> int:
    with services(args.db) as s:
        rows = [r.as_dict() for r in receivable_rows(read_ledger(s.app), s.catalog, load_ecb_rates(), args.as_of,
                                                     args.provider, args.client)]
    if args.format == "json":
        print_json(rows)
    else:
        print(table(["client", "provider", "outstanding", "overdue", "1-30", "31-60", "61-90", ">90",
                     "penalties", "awaiting URSSAF", "credit"],
                    [[r["client_id"], r["provider"], r["outstanding"], r["overdue"], r["ageing"]["1_30"],
                      r["ageing"]["31_60"], r["ageing"]["61_90"], r["ageing"]["over_90"], r["penalties"],
                      r["awaiting_urssaf"], r["credit"]] for r in rows], set(range(2, 11))))
    return 0


def penalties_invoice(args: argparse.Namespace) -> int:
    with services(args.db) as s:
        doc = PenaltyService(s.app, s.catalog, load_ecb_rates(), system_clock).invoice(args.client, args.as_of)
        rows = invoice_rows(read_ledger(s.app), s.catalog, InvoiceFilter(client_id=args.client),
                            end_of_day(args.as_of)) if doc else []
    issued = [r for r in rows if doc and r["number"] == doc.number]
    if args.format == "json":
        print_json(issued[0] if issued else None)
    else:
        print(invoices_table(issued) if issued else f"{args.client}: no penalty due on {args.as_of}")
    return 0


def attestations(args: argparse.Namespace) -> int:
    with services(args.db) as s:
        rows = [a.as_dict() for a in attestation_rows(read_ledger(s.app), s.catalog, args.year, args.client)]
    if args.format == "json":
        print_json([{k: r[k] for k in ("client_id", "year", "eligible_paid", "avance_immediate", "hours")}
                    | {"name": r["name"]} for r in rows])
    else:
        print(table(["client", "name", "year", "eligible paid", "of which avance immédiate", "hours"],
                    [[r["client_id"], r["name"], str(r["year"]), r["eligible_paid"], r["avance_immediate"],
                      f"{r['hours']:.2f}"] for r in rows], {3, 4, 5}))
    return 0


def today() -> date:
    return paris_date(system_clock())


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


def personal_data_show(args: argparse.Namespace) -> int:
    with services(args.db) as s:
        data = PersonalDataService(s.app, s.vault, system_clock).show(args.client)
    print_json(data) if args.format == "json" else print("\n".join(f"{k}: {v}" for k, v in data.items()))
    return 0


def personal_data_erase(args: argparse.Namespace) -> int:
    with services(args.db) as s:
        erased = PersonalDataService(s.app, s.vault, system_clock).erase(args.client)
    result = {"client_id": args.client, "erased": erased}
    print_json(result) if args.format == "json" else print(
        f"{args.client}: URSSAF registration data erased" if erased else f"{args.client}: nothing left to erase")
    return 0


def demo(args: argparse.Namespace) -> int:
    with services(args.db) as s:
        return run_demo(s, args.format)


def scheduler(args: argparse.Namespace) -> int:
    from infrastructure.scheduler import run_scheduler  # APScheduler is loaded for this command only

    return run_scheduler(args.db, every=args.every, at=args.at)
