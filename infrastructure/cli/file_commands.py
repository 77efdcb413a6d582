"""Commands that read the providers' identity files, write documents as files, or tell where the
URSSAF requests stand: `billing providers check`, `billing document`, `billing attestations --pdf`,
`billing urssaf status`."""

from __future__ import annotations

import argparse
from pathlib import Path

from domain.errors import BillingError
from infrastructure.cli.output import print_json, table
from infrastructure.cli.wiring import services
from infrastructure.provider_files import identity_files, read_versions


def providers_check(args: argparse.Namespace) -> int:
    """Each version of each provider's identity, and what it lacks (README, "Providers' identities")."""
    files = [Path(args.file)] if args.file else identity_files()
    rows = [{"provider": v.provider, "since": v.since.isoformat(), "missing": v.gaps(), "file": str(path)}
            for path in files for v in read_versions(path)]
    if args.format == "json":
        print_json({"providers": rows})
    else:
        print("\n".join(f"{r['provider']} (since {r['since']}): "
                        + (f"missing {', '.join(r['missing'])}: fill them in {r['file']}" if r["missing"] else "complete")
                        for r in rows))
    return 0


def document(args: argparse.Namespace) -> int:
    """One issued document as Factur-X XML (`--xml`) or PDF/A-3 with its XML (`--pdf`)."""
    from infrastructure.documents.files import document_row, document_xml, write_file

    if not (args.xml or args.pdf):
        raise BillingError("say what to write: --xml FILE (Factur-X XML) and/or --pdf FILE (PDF/A-3)")
    with services(args.db) as s:
        row = document_row(s.document_ledger(args.number), s.catalog, s.identities, args.number)
        if args.xml:
            write_file(args.xml, document_xml(row, s.catalog))
        if args.pdf:
            from infrastructure.documents.pdf import document_pdf

            write_file(args.pdf, document_pdf(row, s.catalog))
    written = [f for f in (args.xml, args.pdf) if f]
    if args.format == "json":
        print_json({"number": args.number, "written": written})
    else:
        print(f"{args.number}: wrote {', '.join(written)}")
    return 0


def attestation_file(args: argparse.Namespace, rows: list[dict]) -> int:
    from infrastructure.documents.attestation_pdf import attestation_pdf
    from infrastructure.documents.files import write_file

    if not args.client or not rows:
        raise BillingError("--pdf writes one client's attestation: name a client of L'Étincelle with --client ID")
    write_file(args.pdf, attestation_pdf(rows[0]))
    print(f"{args.client} {args.year}: wrote {args.pdf}")
    return 0


def urssaf_status(args: argparse.Namespace) -> int:
    from application.books.urssaf_status import urssaf_status as status_rows

    from infrastructure.urssaf_gateway import speaks_to_urssaf

    with services(args.db) as s:
        rows = status_rows(s.ledger(args.client), args.client, real_api=speaks_to_urssaf())
    if args.format == "json":
        print_json(rows)
    else:
        print(table(["invoice", "client", "issued", "amount", "state", "request", "reason"],
                    [[r["number"], r["client_id"], r["issued_on"], r["amount"], r["state"], r["request_id"] or "",
                      r["error"] or r["rejection"] or r["waiting_for"] or ""] for r in rows], {3}))
    return 0
