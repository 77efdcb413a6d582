"""The persisted views: issued invoices, client balances (receivables) and eligible amounts per
client and year (the base of the tax attestations). Each applies a batch of events to its rows.

The events reach the views with their decimals as the text they were stored as (see
`projections.persisted.DecimalsAsText`): take `Decimal()` of any amount, which reads both."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from eventsourcing.utils import get_topic

from domain.appointments import Appointment
from domain.clients import Client
from domain.issuing import DocumentCancellation, IssuedDocument
from domain.money import ZERO, fmt
from domain.records import FactRecord, Payment
from domain.sessions import TutoringSession
from domain.starter_packs import StarterPack
from domain.subscriptions import Subscription
from domain.tax_attestations import TaxAttestation
from domain.urssaf_account import UrssafAccount
from domain.urssaf_requests import UrssafRequest
from domain.event_topics import event_topics
from projections.sql import ViewSql


@dataclass(frozen=True)
class View:
    topics: tuple[str, ...]
    tables: tuple[str, ...]
    apply: Callable[[ViewSql, Sequence[Any]], None]
    decoded: bool = True  # False: it reads the notifications' originator ids only, and is given them undecoded


def totals(event: Any) -> tuple[Decimal, Decimal, Decimal]:
    ht = vat = ttc = ZERO
    for line in event.lines:
        ht, vat, ttc = ht + Decimal(line["total_ht"]), vat + Decimal(line["vat"]), ttc + Decimal(line["total_ttc"])
    return ht, vat, ttc


BODY = json.JSONEncoder(default=str, ensure_ascii=False)  # as json.dumps(…, default=str, ensure_ascii=False)


def apply_invoices(sql: ViewSql, events: Sequence[Any]) -> None:
    rows = []
    for e in events:
        ht, vat, ttc = totals(e)
        rows.append((e.number, e.provider, e.kind, e.client_id, e.key, e.issued_on.isoformat(), e.due_on.isoformat(),
                     e.terms, fmt(ht), fmt(vat), fmt(ttc), BODY.encode({"lines": e.lines, "notes": e.notes})))
    sql.insert("invoices.insert", rows)


def apply_balances(sql: ViewSql, events: Sequence[Any]) -> None:
    """A few round trips per batch whatever its clients: the new clients, a read of the batch's
    clients, and one upsert of their new sums."""
    delta: dict[str, list[Any]] = defaultdict(lambda: [ZERO, ZERO, 0])
    new_clients = []
    for e in events:
        if isinstance(e, Client.ClientRegistered):
            new_clients.append((e.client_id, e.provider, e.name, "0.00", "0.00", 0))
        elif isinstance(e, IssuedDocument.DocumentIssued):
            delta[e.client_id][0] += totals(e)[2]
            delta[e.client_id][2] += 1
        else:
            delta[e.client_id][1] += Decimal(e.amount) if e.kind == "received" else -Decimal(e.amount)
    sql.insert("balances.insert_new", new_clients)
    rows = {row[0]: row for row in sql.select_in("balances.of", list(delta))}
    sql.insert("balances.upsert", [balance_row(client_id, rows.get(client_id), d) for client_id, d in delta.items()])


def balance_row(client_id: str, row: tuple | None, d: list[Any]) -> tuple:
    if row is None:
        raise LookupError(f"projection_balances: no client {client_id!r} (events before its registration)")
    _, provider, name, invoiced, received, documents = row
    return client_id, provider, name, fmt(Decimal(invoiced) + d[0]), fmt(Decimal(received) + d[1]), documents + d[2]


def apply_eligible(sql: ViewSql, events: Sequence[Any]) -> None:
    """Two round trips per batch: one read of the clients' rows, one upsert with the new sums."""
    delta: dict[tuple[str, int], list[Decimal]] = defaultdict(lambda: [ZERO, ZERO])
    for e in events:
        for line in (ln for ln in e.lines if ln.get("eligible")):
            delta[(e.client_id, e.issued_on.year)][0] += Decimal(line["total_ttc"])
            delta[(e.client_id, e.issued_on.year)][1] += Decimal(line["hours"])
    rows = {(row[0], row[1]): row[2:] for row in sql.select_in("eligible.of", sorted({c for c, _ in delta}))}
    sql.insert("eligible.upsert", [eligible_row(key, rows.get(key), *sums) for key, sums in delta.items()])


def eligible_row(key: tuple[str, int], row: tuple | None, amount: Decimal, hours: Decimal) -> tuple:
    invoiced, total_hours = row or ("0.00", "0")
    return (*key, fmt(Decimal(invoiced) + amount), str(Decimal(total_hours) + hours))


# Whose each aggregate is, from the event that created it: the client it names, or the client of
# the document it is about, or (a fact's record) the client of what the fact changed.
NAMES_ITS_CLIENT = (Client.ClientRegistered, StarterPack.StarterPackOrdered, Subscription.SubscriptionStarted,
                    Appointment.AppointmentScheduled, TutoringSession.SessionBooked,
                    UrssafAccount.UrssafClientRegistered, Payment.PaymentRecorded, IssuedDocument.DocumentIssued,
                    TaxAttestation.AttestationOpened)
ABOUT_A_DOCUMENT = {UrssafRequest.PaymentRequestSent: "invoice_number", DocumentCancellation.InvoiceCancelled: "number"}


def stream_owner(event: Any) -> tuple[str | None, list[str]]:
    """(its client, []) when the event names it, else (None, the streams whose client it shares)."""
    if isinstance(event, NAMES_ITS_CLIENT) or getattr(event, "client_id", None):
        return event.client_id, []
    if type(event) in ABOUT_A_DOCUMENT:
        return None, [str(IssuedDocument.id_for(getattr(event, ABOUT_A_DOCUMENT[type(event)])))]
    return None, [ref.split(":")[0] for ref in event.events]  # a fact's record made before it named its client


def apply_streams(sql: ViewSql, events: Sequence[Any]) -> None:
    """Three round trips per batch: the lookups of the streams whose owner is found through another."""
    owners: dict[str, str] = {}
    later: list[tuple[str, list[str]]] = []
    for e in events:
        client_id, through = stream_owner(e)
        if client_id is not None:
            owners[str(e.originator_id)] = client_id
        else:
            later.append((str(e.originator_id), through))
    wanted = sorted({ref for _, refs in later for ref in refs if ref not in owners})
    known = dict(sql.select_in("streams.of", wanted)) | owners
    for stream, refs in later:
        found = next((known[ref] for ref in refs if ref in known), None)
        if found is not None:
            owners[stream] = found
    facts = {str(e.originator_id) for e in events if isinstance(e, FactRecord.FactAccepted)}
    sql.insert("streams.insert", [(stream, client_id, int(stream in facts)) for stream, client_id in owners.items()])


def mark_stale(sql: ViewSql, events: Sequence[Any]) -> None:
    """The clients whose aggregates these events changed (the streams view, followed first, knows
    them; an aggregate of no client, the numbering's say, marks nobody)."""
    streams = sorted({str(e.originator_id) for e in events})
    clients = sorted({row[0] for row in sql.select_in("stale.clients_of_streams", streams)})
    sql.insert("stale.mark", [(c, 1) for c in clients])


ISSUED = get_topic(IssuedDocument.DocumentIssued)
STREAM_TOPICS = tuple(sorted(get_topic(cls) for cls in (*NAMES_ITS_CLIENT, *ABOUT_A_DOCUMENT, FactRecord.FactAccepted)))
# Each view's tables are created from its name (infrastructure/sql/portable.py: SCHEMAS).
VIEWS: dict[str, View] = {
    "invoices": View((ISSUED,), ("projection_invoices",), apply_invoices),
    "receivables": View((get_topic(Client.ClientRegistered), ISSUED, get_topic(Payment.PaymentRecorded)),
                        ("projection_balances",), apply_balances),
    "attestations": View((ISSUED,), ("projection_eligible",), apply_eligible),
    "streams": View(STREAM_TOPICS, ("projection_streams",), apply_streams),
    # after "streams": a page's new streams are known when it marks their clients
    "rows": View(event_topics(), ("projection_documents", "projection_stale", "projection_clients",
                                  "projection_attestation_rows", "projection_receivable_rows",
                                  "projection_explanations"),
                 mark_stale, decoded=False),
}
