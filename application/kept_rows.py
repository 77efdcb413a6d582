"""The rows finance reads, kept client by client: each document as `billing invoices` shows it,
with what has been paid of it as of every day anything changed, and each client's attestation of
each year it has one. A client's rows are written from its own fold (INTERPRETATION.md: billing
one client never needs another's facts), all at once, whenever its events changed.

Following the log only marks the clients whose events changed (`projection_stale`, a counter per
client); `refresh` rewrites their rows and clears the marks it read, unless a newer event marked
the client again meanwhile. `projections/row_reads.py` reads the rows."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from datetime import date, timedelta

from eventsourcing.application import Application

from domain.allocation import Account, Due, Settlement, allocate
from domain.calendar import end_of_day, paris_date
from domain.money import ZERO
from domain.identities import ProviderIdentities
from domain.records import Payment
from domain.tax_attestations import TaxAttestation
from domain.terms_catalog import TermsCatalog
from application.books.accounts import allocation_inputs, document_timelines
from application.books.attestations import attestation_rows
from application.client_folds import GROUP, client_ledgers, rows_followed
from application.books.invoices import document_row, settlement
from application.books.penalties import invoiced_penalties
from application.books.receivables import document_terms
from application.ledger import Ledger
from projections.receivable_rows import due_item, settlement_item
from projections.row_reads import OTHER_YEARS
from projections.row_writes import stale_marks, write_rows
from projections.sql import ViewSql

BEFORE_ANYTHING = "0001-01-01"  # the step that holds before a client's first day
BODY = json.JSONEncoder(ensure_ascii=False)


def refresh(app: Application, sql: ViewSql, catalog: TermsCatalog, identities: ProviderIdentities,
            client_ids: Sequence[str] | None = None) -> int:
    """Rewrites the rows of the stale clients among these (all by default); returns how many."""
    rows_followed(app, sql)
    marks = stale_marks(sql, client_ids)
    names = sorted(marks)
    for i in range(0, len(names), GROUP):
        group = names[i:i + GROUP]
        ledgers = client_ledgers(app, sql, group)
        rows = [client_rows(ledgers[c], catalog, identities, c) if c in ledgers else ([], [], [], []) for c in group]
        write_rows(sql, group, rows, marks)
    return len(names)


def client_rows(ledger: Ledger, catalog: TermsCatalog, identities: ProviderIdentities,
                client_id: str) -> tuple[list, list, list, list]:
    clients = [(c.client_id, c.provider, c.name) for c in ledger.clients() if c.client_id == client_id]
    timelines = document_timelines(ledger, catalog)
    states = [(day, *allocation_inputs(ledger, catalog, end_of_day(day), timelines=timelines))
              for day in days_of_change(ledger, timelines)]
    return (clients, document_entries(ledger, catalog, identities, timelines, states),
            attestation_entries(ledger, catalog, client_id, timelines),
            receivable_entries(ledger, client_id, states) if clients else [])


State = tuple[date, dict[str, list[Due]], dict[str, list[Settlement]]]  # what allocation is given as of a day


def document_entries(ledger: Ledger, catalog: TermsCatalog, identities: ProviderIdentities, timelines: dict,
                     states: list[State]) -> list[tuple]:
    """Each document's row, and its settlement as of every day anything changed (steps)."""
    documents = ledger.documents()
    steps: dict[str, list[list]] = {doc.number: [] for doc in documents}
    for day, dues, settlements in states:
        accounts = {c: allocate(dues.get(c, []), settlements.get(c, [])) for c in set(dues) | set(settlements)}
        for doc in documents:
            step = settlement(doc, accounts.get(doc.client_id, Account()), timelines[doc.number], end_of_day(day))
            found = [step["paid"], step["balance"], step.get("avance_immediate", {}).get("status")]
            if not steps[doc.number] or steps[doc.number][-1][1:] != found:
                steps[doc.number].append([BEFORE_ANYTHING if not steps[doc.number] else day.isoformat(), *found])
    return [(doc.number, doc.client_id, doc.provider, doc.issued_on.isoformat(),
             BODY.encode(document_row(doc, ledger, catalog, identities)), BODY.encode(steps[doc.number]))
            for doc in documents]


def receivable_entries(ledger: Ledger, client_id: str, states: list[State]) -> list[tuple]:
    """The client's dues and settlements as of every day either changed (projections/receivable_rows.py)."""
    items: dict[str, dict[tuple, int]] = {"dues": {}, "settlements": {}}
    steps: list[list] = []
    for day, dues, settlements in states:
        found = [indexes(items["dues"], map(due_item, dues.get(client_id, []))),
                 indexes(items["settlements"], map(settlement_item, settlements.get(client_id, [])))]
        if not steps or steps[-1][1:] != found:
            steps.append([BEFORE_ANYTHING if not steps else day.isoformat(), *found])
    invoiced = sum(invoiced_penalties(ledger).get(client_id, {}).values(), ZERO)
    body = {"penalties_invoiced": str(invoiced), "documents": document_terms(ledger), "steps": steps,
            **{part: list(kept) for part, kept in items.items()}}
    return [(client_id, BODY.encode(body))]


def indexes(kept: dict[tuple, int], items: Iterable[list]) -> list[int]:
    """Each item's place among those kept, new ones added at the end."""
    return [kept.setdefault(tuple(item), len(kept)) for item in items]


def days_of_change(ledger: Ledger, timelines: dict) -> list[date]:
    """The days on which what has been paid of a document, or its URSSAF status, can change:
    issues, payments, the moments of URSSAF requests; and the day before the first."""
    days = {doc.issued_on for doc in ledger.documents()} | {paris_date(p.at) for p in ledger.of_type(Payment)}
    days |= {paris_date(moment) for timeline in timelines.values() if timeline for moment in timeline.moments()}
    return [min(days) - timedelta(days=1), *sorted(days)] if days else []


def attestation_entries(ledger: Ledger, catalog: TermsCatalog, client_id: str, timelines: dict) -> list[tuple]:
    """The client's attestation of every year something was paid or attested, and of any other."""
    if not ledger.clients("etincelle"):
        return []
    years = {paris_date(p.at).year for p in ledger.of_type(Payment)} | {d.issued_on.year for d in ledger.documents()}
    years |= {a.year for a in ledger.of_type(TaxAttestation)}
    years |= {paris_date(m).year for t in timelines.values() if t for m in t.moments()}
    return [(client_id, year, BODY.encode(row)) for year in [OTHER_YEARS, *sorted(years)]
            for row in attestation_rows(ledger, catalog, year, client_id)]
