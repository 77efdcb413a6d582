"""Reads of the rows `application/kept_rows.py` keeps: invoices as of any day and attestations
of any year, for one client or all, as selects of indexed tables. Nothing is folded and no event
decoded; only the standard library is imported, so that a command answers in milliseconds."""

from __future__ import annotations

import json
from bisect import bisect_right
from collections.abc import Iterator, Sequence
from datetime import date
from typing import Any

from projections.sql import ViewSql

FOLLOWING = ("streams", "rows")  # in this order: the rows' marks look the streams up
CHUNK = 500
OTHER_YEARS = 1  # the attestation row of a year without anything paid or attested, but its year


def up_to_date(sql: ViewSql, head: int, client_ids: Sequence[str] | None) -> bool:
    """Whether the rows are those of the whole log (`head`, its last position), for these
    clients (all by default)."""
    try:
        with sql.reading():
            positions = dict(sql.select_in("SELECT name, position FROM projection_tracking WHERE name IN ({})",
                                           FOLLOWING))
            if min(positions.get(name, -1) for name in FOLLOWING) < head:
                return False
            if client_ids is None:
                return not sql.execute("SELECT 1 FROM projection_stale LIMIT 1")
            return not sql.select_in("SELECT 1 FROM projection_stale WHERE client_id IN ({})", sorted(set(client_ids)))
    except sql.missing_table:  # a store these views never followed
        return False


def invoice_rows(sql: ViewSql, as_of: date, provider: str | None = None, client_id: str | None = None,
                 from_date: date | None = None, to_date: date | None = None) -> Iterator[dict[str, Any]]:
    """As `application.books.invoices.invoice_rows` at the end of `as_of`, in the same order, read
    `CHUNK` documents at a time: memory holds their keys, not their rows."""
    where, params = conditions(provider, client_id, from_date, to_date)
    with sql.reading():
        keys = sorted(sql.execute(f"SELECT provider, issued_on, number FROM projection_documents{where}", params))
    for i in range(0, len(keys), CHUNK):
        numbers = [number for _, _, number in keys[i:i + CHUNK]]
        with sql.reading():
            found = dict((n, (b, s)) for n, b, s in sql.select_in(
                "SELECT number, body, steps FROM projection_documents WHERE number IN ({})", numbers))
        for number in numbers:
            body, steps = found[number]
            yield settled(json.loads(body), json.loads(steps), as_of.isoformat())


def conditions(provider: str | None, client_id: str | None, from_date: date | None,
               to_date: date | None) -> tuple[str, list[Any]]:
    found = [(column, value) for column, value in (("provider = %s", provider), ("client_id = %s", client_id),
                                                    ("issued_on >= %s", from_date), ("issued_on <= %s", to_date))
             if value is not None]
    where = " AND ".join(column for column, _ in found)
    return (f" WHERE {where}" if where else ""), [str(value) for _, value in found]


def settled(row: dict[str, Any], steps: list[list], day: str) -> dict[str, Any]:
    """The row as of the end of `day`: the last step taken by then (the first holds before any)."""
    _, paid, balance, status = steps[max(bisect_right([step[0] for step in steps], day) - 1, 0)]
    row["paid"], row["balance"] = paid, balance
    if status is not None:
        row["avance_immediate"]["status"] = status
    return row


def attestation_rows(sql: ViewSql, year: int, client_id: str | None = None) -> list[dict[str, Any]]:
    """As `application.books.attestations.attestation_rows`: every client of L'Étincelle, by id."""
    with sql.reading():
        clients = sql.execute("SELECT client_id FROM projection_clients WHERE provider = 'etincelle'"
                              + (" AND client_id = %s" if client_id else ""), [client_id] if client_id else [])
        kept = dict(sql.execute("SELECT client_id, body FROM projection_attestation_rows WHERE year = %s"
                                + (" AND client_id = %s" if client_id else ""), [year, *([client_id] if client_id else [])]))
        others = dict(sql.execute("SELECT client_id, body FROM projection_attestation_rows WHERE year = %s"
                                  + (" AND client_id = %s" if client_id else ""),
                                  [OTHER_YEARS, *([client_id] if client_id else [])]))
    return [json.loads(kept[c]) if c in kept else json.loads(others[c]) | {"year": year} for (c,) in sorted(clients)]


def last_due_on(sql: ViewSql) -> date | None:
    """The last due date of all issued documents (the invoices view)."""
    with sql.reading():
        found = sql.execute("SELECT MAX(due_on) FROM projection_invoices")[0][0]
    return date.fromisoformat(found) if found else None
