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
from projections.accounts import Account, client_accounts, document_timelines
from projections.attestations import attestation_rows
from projections.client_reads import GROUP, brought_up_to_date, client_ledgers
from projections.invoices import document_row, settlement
from projections.ledger import Ledger
from projections.sql import ViewSql

BEFORE_ANYTHING = "0001-01-01"  # the step that holds before a client's first day
BODY = json.JSONEncoder(ensure_ascii=False)
OTHER_YEARS = 1  # the attestation row of a year without anything paid or attested, but its year


def stale_marks(sql: ViewSql, client_ids: Sequence[str] | None) -> dict[str, int]:
    with sql.reading():
        if client_ids is None:
            return dict(sql.execute("SELECT client_id, mark FROM projection_stale"))
        return dict(sql.select_in("SELECT client_id, mark FROM projection_stale WHERE client_id IN ({})",
                                  sorted(set(client_ids))))


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
        with sql.transaction():
            write(sql, group, rows, marks)
    return len(names)


def write(sql: ViewSql, group: list[str], rows: list[tuple[list, list, list]], marks: dict[str, int]) -> None:
    for table in ("projection_clients", "projection_documents", "projection_attestation_rows"):
        sql.select_in(f"DELETE FROM {table} WHERE client_id IN ({{}})", group)
    sql.insert("INSERT INTO projection_clients", [r for clients, _, _ in rows for r in clients])
    sql.insert("INSERT INTO projection_documents", [r for _, documents, _ in rows for r in documents])
    sql.insert("INSERT INTO projection_attestation_rows", [r for _, _, attested in rows for r in attested])
    for client_id in group:
        sql.execute("DELETE FROM projection_stale WHERE client_id = %s AND mark = %s", (client_id, marks[client_id]))


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
