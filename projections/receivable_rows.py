"""The receivables kept per client (application/kept_rows.py writes them): what the client's
documents made owed and what settled them, as of every day either changed, with the terms of each
document. A read as of any day picks that day's dues and settlements, and the domain allocates
them and works out ageing and penalties (domain/receivables.py), as it does from a fold."""

from __future__ import annotations

import json
from bisect import bisect_right
from collections.abc import Iterator
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from domain.allocation import Due, Settlement, allocate
from domain.penalties import RateTable
from domain.receivables import Receivable, fill
from domain.terms_catalog import TermsCatalog
from projections.sql import ViewSql

CHUNK = 500


def due_item(d: Due) -> list:
    return [d.number, d.issued_on.isoformat(), str(d.amount), d.payer, text(d.since), str(d.eligible),
            str(d.hours), str(d.credit), text(d.due_on), text(d.ht)]


def due_of(item: list) -> Due:
    number, issued_on, amount, payer, since, eligible, hours, credit, due_on, ht = item
    return Due(number, date.fromisoformat(issued_on), Decimal(amount), payer,
               datetime.fromisoformat(since) if since else None, Decimal(eligible), Decimal(hours),
               Decimal(credit), date.fromisoformat(due_on) if due_on else None, Decimal(ht) if ht else None)


def settlement_item(s: Settlement) -> list:
    return [s.key, s.at.isoformat(), str(s.amount), s.invoice, s.failed, s.payer, s.direct_debit]


def settlement_of(item: list) -> Settlement:
    key, at, amount, invoice, failed, payer, direct_debit = item
    return Settlement(key, datetime.fromisoformat(at), Decimal(amount), invoice, failed, payer, direct_debit)


def text(value: Any) -> str | None:
    return None if value is None else (value.isoformat() if hasattr(value, "isoformat") else str(value))


def receivable_rows(sql: ViewSql, catalog: TermsCatalog, ecb: RateTable, as_of: date, provider: str | None = None,
                    client_id: str | None = None) -> Iterator[Receivable]:
    """As `application.books.receivables.receivables` as of `as_of`, by client id, read `CHUNK`
    clients at a time."""
    yield from receivables_of(sql, catalog, ecb, as_of, receivable_clients(sql, provider, client_id))


def receivable_clients(sql: ViewSql, provider: str | None = None,
                       client_id: str | None = None) -> list[tuple[str, str, str]]:
    """(client id, name, provider) of every client (or that one), by client id."""
    with sql.reading():
        return sorted(sql.execute("receivables.clients", [provider]) if client_id is None else
                      sql.execute("receivables.client", [client_id, provider]))


def written_clients(sql: ViewSql, since: int | None = None) -> list[tuple[str, str, str, int]]:
    """(client id, name, provider, the number of its rows' last rewrite) of every client, or of
    those rewritten after the rewrite numbered `since`."""
    with sql.reading():
        if since is None:
            return sql.execute("receivables.clients_written")
        return sql.execute("receivables.clients_written_since", [since])


def receivables_of(sql: ViewSql, catalog: TermsCatalog, ecb: RateTable, as_of: date,
                   clients: list[tuple[str, str, str]]) -> Iterator[Receivable]:
    """The receivables of these clients (id, name, provider) as of `as_of`, `CHUNK` at a time."""
    for i in range(0, len(clients), CHUNK):
        part = clients[i:i + CHUNK]
        with sql.reading():
            bodies = dict(sql.select_in("receivables.bodies", [c for c, _, _ in part]))
        for client, name, of_provider in part:
            yield receivable_of(Receivable(client, name, of_provider), json.loads(bodies[client]), as_of, catalog, ecb)


def receivable_of(row: Receivable, body: dict[str, Any], as_of: date, catalog: TermsCatalog,
                  ecb: RateTable) -> Receivable:
    row.invoiced_penalties = Decimal(body["penalties_invoiced"])
    steps = body["steps"]
    _, due_indexes, settlement_indexes = steps[max(bisect_right([s[0] for s in steps], as_of.isoformat()) - 1, 0)] \
        if steps else (None, [], [])
    dues = [due_of(body["dues"][i]) for i in due_indexes]
    settlements = [settlement_of(body["settlements"][i]) for i in settlement_indexes]
    documents = {number: (terms, penalty) for number, (terms, penalty) in body["documents"].items()}
    fill(row, dues, allocate(dues, settlements), as_of, catalog, ecb, documents)
    return row
