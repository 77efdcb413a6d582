"""The rows finance reads, kept client by client: each document as `billing invoices` shows it,
with what has been paid of it as of every day anything changed, and each client's attestation of
each year it has one. A client's rows are written from its own fold (INTERPRETATION.md: billing
one client never needs another's facts), all at once, whenever its events changed.

Following the log only marks the clients whose events changed (`projection_stale`, a counter per
client); `refresh` rewrites their rows and clears the marks it read, unless a newer event marked
the client again meanwhile. `projections/row_reads.py` reads the rows."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date, timedelta

from eventsourcing.application import Application

from domain.calendar import end_of_day, paris_date
from domain.identities import ProviderIdentities
from domain.records import Payment
from domain.tax_attestations import TaxAttestation
from domain.terms_catalog import TermsCatalog
from application.books.accounts import Account, client_accounts, document_timelines
from application.books.attestations import attestation_rows
from application.client_folds import GROUP, brought_up_to_date, client_ledgers
from application.books.invoices import document_row, settlement
from application.ledger import Ledger
from projections.row_reads import OTHER_YEARS
from projections.row_writes import stale_marks, write_rows
from projections.sql import ViewSql

BEFORE_ANYTHING = "0001-01-01"  # the step that holds before a client's first day
BODY = json.JSONEncoder(ensure_ascii=False)


def refresh(app: Application, sql: ViewSql, catalog: TermsCatalog, identities: ProviderIdentities,
            client_ids: Sequence[str] | None = None) -> int:
    """Rewrites the rows of the stale clients among these (all by default); returns how many."""
    brought_up_to_date(app, sql)
    marks = stale_marks(sql, client_ids)
    names = sorted(marks)
    for i in range(0, len(names), GROUP):
        group = names[i:i + GROUP]
        ledgers = client_ledgers(app, sql, group)
        rows = [client_rows(ledgers[c], catalog, identities, c) if c in ledgers else ([], [], []) for c in group]
        write_rows(sql, group, rows, marks)
    return len(names)


def client_rows(ledger: Ledger, catalog: TermsCatalog, identities: ProviderIdentities,
                client_id: str) -> tuple[list, list, list]:
    clients = [(c.client_id, c.provider, c.name) for c in ledger.clients() if c.client_id == client_id]
    return clients, document_entries(ledger, catalog, identities), attestation_entries(ledger, catalog, client_id)


def document_entries(ledger: Ledger, catalog: TermsCatalog, identities: ProviderIdentities) -> list[tuple]:
    """Each document's row, and its settlement as of every day anything changed (steps)."""
    timelines = document_timelines(ledger, catalog)
    documents = ledger.documents()
    steps: dict[str, list[list]] = {doc.number: [] for doc in documents}
    for day in days_of_change(ledger, timelines):
        as_of = end_of_day(day)
        accounts = client_accounts(ledger, catalog, as_of, timelines=timelines)
        for doc in documents:
            step = settlement(doc, accounts.get(doc.client_id, Account()), timelines[doc.number], as_of)
            found = [step["paid"], step["balance"], step.get("avance_immediate", {}).get("status")]
            if not steps[doc.number] or steps[doc.number][-1][1:] != found:
                steps[doc.number].append([BEFORE_ANYTHING if not steps[doc.number] else day.isoformat(), *found])
    return [(doc.number, doc.client_id, doc.provider, doc.issued_on.isoformat(),
             BODY.encode(document_row(doc, ledger, catalog, identities)), BODY.encode(steps[doc.number]))
            for doc in documents]


def days_of_change(ledger: Ledger, timelines: dict) -> list[date]:
    """The days on which what has been paid of a document, or its URSSAF status, can change:
    issues, payments, the moments of URSSAF requests; and the day before the first."""
    days = {doc.issued_on for doc in ledger.documents()} | {paris_date(p.at) for p in ledger.of_type(Payment)}
    days |= {paris_date(moment) for timeline in timelines.values() if timeline for moment in timeline.moments()}
    return [min(days) - timedelta(days=1), *sorted(days)] if days else []


def attestation_entries(ledger: Ledger, catalog: TermsCatalog, client_id: str) -> list[tuple]:
    """The client's attestation of every year something was paid or attested, and of any other."""
    if not ledger.clients("etincelle"):
        return []
    years = {paris_date(p.at).year for p in ledger.of_type(Payment)} | {d.issued_on.year for d in ledger.documents()}
    years |= {a.year for a in ledger.of_type(TaxAttestation)}
    timelines = document_timelines(ledger, catalog)
    years |= {paris_date(m).year for t in timelines.values() if t for m in t.moments()}
    return [(client_id, year, BODY.encode(row)) for year in [OTHER_YEARS, *sorted(years)]
            for row in attestation_rows(ledger, catalog, year, client_id)]
