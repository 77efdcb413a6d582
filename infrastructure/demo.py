"""`billing demo`: records a sample history of both providers, advances month end by month end,
and shows the invoices it called for, L'Étincelle's URSSAF requests, the year's tax attestations
and a summary per client.

The histories (infrastructure/demo_history.py for BTBCONNECT, infrastructure/demo_etincelle.py
for L'Étincelle du Savoir) are fixed: a second run records nothing new and issues nothing. A
refused demo fact is a bug in the demo; it is reported and the run fails.
"""

from __future__ import annotations

from pathlib import Path

import json
import sys
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from application.advance import AdvanceReport
from application.ingest import IngestReport
from domain.calendar import end_of_day, month_end
from domain.money import fmt
from domain.terms_catalog import TermsCatalog
from infrastructure import demo_etincelle as ets
from infrastructure import demo_history as btb
from infrastructure.cli.output import invoices_table, print_json, table
from infrastructure.cli.wiring import Services
from application.books.accounts import timeline_of
from application.books.attestations import attestation_rows
from domain.errors import BillingError
from domain.identities import ProviderIdentities
from application.books.invoices import InvoiceFilter, invoice_rows
from application.ledger import Ledger, read_ledger

FIRST_DAY = min(btb.FIRST_DAY, ets.FIRST_DAY)
LAST_DAY = max(btb.LAST_DAY, ets.LAST_DAY)
ATTESTATION_YEAR = ets.LAST_DAY.year
PROVIDERS = {"btbconnect": "BTBCONNECT", "etincelle": "L'Étincelle du Savoir"}


def month_ends(first: date = FIRST_DAY, last: date = LAST_DAY) -> list[date]:
    ends = []
    day = month_end(first)
    while day <= last:
        ends.append(day)
        day = month_end(day + timedelta(days=1))
    return ends


def demo_lines() -> list[str]:
    """Both providers' facts as JSON Lines, in business-time order."""
    facts = sorted([*btb.demo_facts(), *ets.ets_facts()], key=lambda f: datetime.fromisoformat(f["at"]))
    return [json.dumps(f, ensure_ascii=False) for f in facts]


def demo_clients() -> dict[str, tuple[str, str]]:
    """Client id → (provider, name): BTBCONNECT's agents, then L'Étincelle's clients."""
    return {**{c: ("btbconnect", n) for c, n in btb.demo_clients().items()},
            **{c: ("etincelle", n) for c, n in ets.ets_clients().items()}}


def run_demo(services: Services, output_format: str, pdf_dir: str | None = None) -> int:
    ingested = services.ingest.ingest_lines(demo_lines())
    if ingested.refused:
        for refusal in ingested.refused:
            print(f"demo fact refused {refusal['key']}: {refusal['error']}", file=sys.stderr)
        return 1
    advancer = services.advance
    advanced = [advancer.advance(day) for day in month_ends()]
    ledger = read_ledger(services.app)
    rows = demo_invoices(ledger, services.catalog, services.identities)
    requests = urssaf_requests(ledger, services.catalog)
    attested = demo_attestations(ledger, services.catalog)
    written = write_pdfs(rows, services.catalog, pdf_dir) if pdf_dir else None
    if output_format == "json":
        print_json({"ingest": ingested.as_dict(), "advanced": [a.as_dict() for a in advanced], "invoices": rows,
                    "urssaf_requests": requests, "attestations": attested,
                    **({"pdf_dir": str(written)} if written else {})})
    else:
        print(report_text(ingested, advanced, rows, requests, attested))
        if written:
            print(f"\nPDF/A-3 with Factur-X of the {len(rows)} documents: {written}/")
    return 0


def write_pdfs(rows: list[dict[str, Any]], catalog: TermsCatalog, folder: str) -> Path:
    """Each demo document as `NUMBER.pdf` in `folder` (made if missing)."""
    from infrastructure.documents.files import write_file
    from infrastructure.documents.pdf import document_pdf  # WeasyPrint loads only when PDFs are asked for

    target = Path(folder).resolve()
    try:
        target.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise BillingError(f"cannot make the folder {target}: {exc.strerror}") from None
    for row in rows:
        write_file(str(target / f"{row['number']}.pdf"), document_pdf(row, catalog))
    return target


def demo_invoices(ledger: Ledger, catalog: TermsCatalog, identities: ProviderIdentities) -> list[dict[str, Any]]:
    """The demo clients' documents (the store may hold other clients too): BTBCONNECT's, then
    L'Étincelle's, each in issue order."""
    clients = demo_clients()
    rows = invoice_rows(ledger, catalog, InvoiceFilter(), end_of_day(LAST_DAY), identities)
    return [row for row in rows if row["client_id"] in clients]


def urssaf_requests(ledger: Ledger, catalog: TermsCatalog) -> list[dict[str, Any]]:
    """The payment request of each demo invoice with avance immédiate, as it stands at the end."""
    clients = ets.ets_clients()
    as_of = end_of_day(LAST_DAY)
    result = []
    for doc in ledger.documents():
        timeline = timeline_of(ledger, catalog, doc) if doc.client_id in clients else None
        if timeline is None:
            continue
        debit = timeline.debit_at
        result.append({"invoice": doc.number, "client_id": doc.client_id, "sent_on": doc.issued_on.isoformat(),
                       "amount": fmt(timeline.amount), "urssaf_share": fmt(timeline.urssaf_share),
                       "client_share": fmt(timeline.amount - timeline.urssaf_share),
                       "debit_on": debit.date().isoformat() if debit else None,
                       "status": timeline.status(as_of)})
    return result


def demo_attestations(ledger: Ledger, catalog: TermsCatalog) -> list[dict[str, Any]]:
    clients = ets.ets_clients()
    return [a for a in attestation_rows(ledger, catalog, ATTESTATION_YEAR) if a["client_id"] in clients]


# --- text report --------------------------------------------------------------------------------


def report_text(
    ingested: IngestReport, advanced: list[AdvanceReport], rows: list[dict[str, Any]],
    requests: list[dict[str, Any]], attested: list[dict[str, Any]],
) -> str:
    parts = [header(ingested, advanced)]
    for provider, title in PROVIDERS.items():
        mine = [r for r in rows if r["provider"] == provider]
        parts.append(f"Invoices – {title}\n\n" + invoices_table(mine))
    parts += [requests_table(requests), attestations_table(attested), summary(rows)]
    return "\n\n".join(parts)


def header(ingested: IngestReport, advanced: list[AdvanceReport]) -> str:
    lines = [f"Demo history {FIRST_DAY} → {LAST_DAY}",
             f"  BTBCONNECT {btb.FIRST_DAY} → {btb.LAST_DAY}: {len(btb.demo_clients())} agents "
             "(terms CGPS20260208-2)",
             f"  L'Étincelle du Savoir {ets.FIRST_DAY} → {ets.LAST_DAY}: {len(ets.ets_clients())} clients "
             f"(terms {ets.TERMS})",
             f"facts: recorded {ingested.recorded}, duplicates {ingested.duplicates}, "
             f"refused {len(ingested.refused)}"]
    for report in advanced:
        lines.append(f"  advanced to {report.to}: issued {len(report.issued)} document(s){ranges(report.issued)}")
    return "\n".join(lines)


def ranges(numbers: list[str]) -> str:
    """' (BTB-2026-00001 … BTB-2026-00005, ETS-2026-00040 … ETS-2026-00050)': first and last per prefix."""
    spans = []
    for prefix in dict.fromkeys(n.split("-", 1)[0] for n in numbers):
        mine = [n for n in numbers if n.startswith(prefix + "-")]
        spans.append(mine[0] if len(mine) == 1 else f"{mine[0]} … {mine[-1]}")
    return f" ({', '.join(spans)})" if spans else ""


def requests_table(requests: list[dict[str, Any]]) -> str:
    body = [[r["invoice"], r["client_id"], r["sent_on"], r["amount"], r["urssaf_share"], r["client_share"],
             r["debit_on"] or "", r["status"]] for r in requests]
    headers = ["invoice", "client", "sent", "amount", "URSSAF share", "client share", "debit", "status"]
    return (f"URSSAF avance immédiate requests (as of {LAST_DAY})\n"
            + table(headers, body, {3, 4, 5}))


def attestations_table(attested: list[dict[str, Any]]) -> str:
    body = [[a["client_id"], a["name"], a["eligible_paid"], a["avance_immediate"], f"{a['hours']:.2f}"]
            for a in attested]
    headers = ["client", "name", "eligible paid", "of which avance immédiate", "hours"]
    return f"Tax attestations {ATTESTATION_YEAR} (CGV art. 8 bis 8.4)\n" + table(headers, body, {2, 3, 4})


def summary(rows: list[dict[str, Any]]) -> str:
    body = [summary_row(client_id, provider, name, [r for r in rows if r["client_id"] == client_id])
            for client_id, (provider, name) in demo_clients().items()]
    for provider, title in PROVIDERS.items():
        mine = [r for r in rows if r["provider"] == provider]
        body.append([f"all {provider}", "", "", str(len(mine)),
                     *(sum_of(mine, key) for key in ("total_ttc", "paid", "balance"))])
    body.append(["all", "", "", str(len(rows)), *(sum_of(rows, key) for key in ("total_ttc", "paid", "balance"))])
    headers = ["client", "provider", "name", "documents", "total TTC", "paid", "balance"]
    return "Summary per client\n" + table(headers, body, {3, 4, 5, 6})


def summary_row(client_id: str, provider: str, name: str, rows: list[dict[str, Any]]) -> list[str]:
    return [client_id, provider, name, str(len(rows)), sum_of(rows, "total_ttc"), sum_of(rows, "paid"),
            sum_of(rows, "balance")]


def sum_of(rows: list[dict[str, Any]], key: str) -> str:
    return fmt(sum((Decimal(r[key]) for r in rows), Decimal("0")))
