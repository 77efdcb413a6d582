"""The persisted views: issued invoices, client balances (receivables) and eligible amounts per
client and year (the base of the tax attestations). Each applies a batch of events to its rows."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from eventsourcing.utils import get_topic

from domain.clients import Client
from domain.issuing import IssuedDocument
from domain.money import ZERO, fmt
from domain.records import Payment
from projections.sql import SqlSession


@dataclass(frozen=True)
class View:
    topics: tuple[str, ...]
    schema: tuple[str, ...]
    tables: tuple[str, ...]
    apply: Callable[[SqlSession, Sequence[Any]], None]


def totals(event: Any) -> tuple[Decimal, Decimal, Decimal]:
    return (sum((Decimal(line["total_ht"]) for line in event.lines), ZERO),
            sum((Decimal(line["vat"]) for line in event.lines), ZERO),
            sum((Decimal(line["total_ttc"]) for line in event.lines), ZERO))


def apply_invoices(sql: SqlSession, events: Sequence[Any]) -> None:
    rows = []
    for e in events:
        ht, vat, ttc = totals(e)
        body = json.dumps({"lines": e.lines, "notes": e.notes}, default=str, ensure_ascii=False)
        rows.append((e.number, e.provider, e.kind, e.client_id, e.key, e.issued_on.isoformat(), e.due_on.isoformat(),
                     e.terms, fmt(ht), fmt(vat), fmt(ttc), body))
    sql.executemany("INSERT INTO projection_invoices VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s) "
                    "ON CONFLICT (number) DO NOTHING", rows)


def apply_balances(sql: SqlSession, events: Sequence[Any]) -> None:
    delta: dict[str, dict[str, Any]] = defaultdict(lambda: {"invoiced": ZERO, "received": ZERO, "documents": 0})
    new_clients = []
    for e in events:
        if isinstance(e, Client.ClientRegistered):
            new_clients.append((e.client_id, e.provider, e.name, "0.00", "0.00", 0))
        elif isinstance(e, IssuedDocument.DocumentIssued):
            delta[e.client_id]["invoiced"] += totals(e)[2]
            delta[e.client_id]["documents"] += 1
        else:
            delta[e.client_id]["received"] += e.amount if e.kind == "received" else -e.amount
    sql.executemany("INSERT INTO projection_balances VALUES (%s, %s, %s, %s, %s, %s) ON CONFLICT (client_id) DO NOTHING",
                    new_clients)
    for client_id, d in delta.items():
        invoiced, received, count = sql.execute(
            "SELECT invoiced, received, documents FROM projection_balances WHERE client_id = %s", (client_id,))[0]
        sql.execute("UPDATE projection_balances SET invoiced = %s, received = %s, documents = %s WHERE client_id = %s",
                    (fmt(Decimal(invoiced) + d["invoiced"]), fmt(Decimal(received) + d["received"]),
                     count + d["documents"], client_id))


def apply_eligible(sql: SqlSession, events: Sequence[Any]) -> None:
    delta: dict[tuple[str, int], list[Decimal]] = defaultdict(lambda: [ZERO, ZERO])
    for e in events:
        for line in (ln for ln in e.lines if ln.get("eligible")):
            delta[(e.client_id, e.issued_on.year)][0] += Decimal(line["total_ttc"])
            delta[(e.client_id, e.issued_on.year)][1] += Decimal(line["hours"])
    for (client_id, year), (amount, hours) in delta.items():
        sql.execute("INSERT INTO projection_eligible VALUES (%s, %s, '0.00', '0') "
                    "ON CONFLICT (client_id, year) DO NOTHING", (client_id, year))
        row = sql.execute("SELECT eligible_invoiced, hours FROM projection_eligible WHERE client_id = %s AND year = %s",
                          (client_id, year))[0]
        sql.execute("UPDATE projection_eligible SET eligible_invoiced = %s, hours = %s WHERE client_id = %s AND year = %s",
                    (fmt(Decimal(row[0]) + amount), str(Decimal(row[1]) + hours), client_id, year))


ISSUED = get_topic(IssuedDocument.DocumentIssued)
VIEWS: dict[str, View] = {
    "invoices": View(
        (ISSUED,),
        ("CREATE TABLE IF NOT EXISTS projection_invoices (number TEXT PRIMARY KEY, provider TEXT, kind TEXT, "
         "client_id TEXT, doc_key TEXT, issued_on TEXT, due_on TEXT, terms TEXT, total_ht TEXT, total_vat TEXT, "
         "total_ttc TEXT, body TEXT)",),
        ("projection_invoices",), apply_invoices),
    "receivables": View(
        (get_topic(Client.ClientRegistered), ISSUED, get_topic(Payment.PaymentRecorded)),
        ("CREATE TABLE IF NOT EXISTS projection_balances (client_id TEXT PRIMARY KEY, provider TEXT, name TEXT, "
         "invoiced TEXT, received TEXT, documents INTEGER)",),
        ("projection_balances",), apply_balances),
    "attestations": View(
        (ISSUED,),
        ("CREATE TABLE IF NOT EXISTS projection_eligible (client_id TEXT, year INTEGER, eligible_invoiced TEXT, "
         "hours TEXT, PRIMARY KEY (client_id, year))",),
        ("projection_eligible",), apply_eligible),
}
