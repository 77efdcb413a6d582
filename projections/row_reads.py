"""Reads of the rows `application/kept_rows.py` keeps: invoices as of any day and attestations
of any year, for one client or all, as selects of indexed tables. Nothing is folded and no event
decoded; only the standard library is imported, so that a command answers in milliseconds."""

from __future__ import annotations

import itertools
import json
from bisect import bisect_right
from collections.abc import Iterator, Sequence
from datetime import date
from decimal import Decimal
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
            positions = dict(sql.select_in("tracking.of", FOLLOWING))
            if min(positions.get(name, -1) for name in FOLLOWING) < head:
                return False
            sql.execute("rows.newest_tables")  # else the rows are rewritten, their tables created first
            if client_ids is None:
                return not sql.execute("rows.any_stale")
            return not sql.select_in("rows.stale_of", sorted(set(client_ids)))
    except sql.missing_table:  # a store these views never followed
        return False


def invoice_rows(sql: ViewSql, as_of: date, provider: str | None = None, client_id: str | None = None,
                 from_date: date | None = None, to_date: date | None = None) -> Iterator[dict[str, Any]]:
    """As `application.books.invoices.invoice_rows` at the end of `as_of`, in the same order, read
    `CHUNK` documents at a time: memory holds their keys, not their rows."""
    filters = [provider, *(str(day) if day else None for day in (from_date, to_date))]
    with sql.reading():
        keys = sorted(sql.execute("documents.keys", filters) if client_id is None else
                      sql.execute("documents.keys_of_client", [client_id, *filters]))
    for i in range(0, len(keys), CHUNK):
        yield from rows_of(sql, [number for _, _, number in keys[i:i + CHUNK]], as_of)


def newest_invoice_rows(sql: ViewSql, as_of: date, provider: str | None = None, client_id: str | None = None,
                        from_date: date | None = None, to_date: date | None = None,
                        chunk: int = CHUNK) -> Iterator[dict[str, Any]]:
    """The same documents, the last issued first, read a page of `CHUNK` at a time: the first
    page costs the same whatever the number of documents."""
    filters = [provider, *(str(day) if day else None for day in (from_date, to_date))]
    for offset in itertools.count(0, chunk):
        with sql.reading():
            numbers = [n for (n,) in (sql.execute("documents.newest_keys", [*filters, chunk, offset])
                                      if client_id is None else
                                      sql.execute("documents.newest_keys_of_client",
                                                  [client_id, *filters, chunk, offset]))]
        yield from rows_of(sql, numbers, as_of)
        if len(numbers) < chunk:
            return


def rows_of(sql: ViewSql, numbers: list[str], as_of: date) -> Iterator[dict[str, Any]]:
    """These documents' rows as of the end of `as_of`, in this order."""
    with sql.reading():
        found = dict((n, (b, s)) for n, b, s in sql.select_in("documents.bodies", numbers))
    for number in numbers:
        body, steps = found[number]
        yield settled(json.loads(body), json.loads(steps), as_of.isoformat())


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
        if client_id is None:
            clients = sql.execute("attestations.clients")
            kept, others = (dict(sql.execute("attestations.of_year", [y])) for y in (year, OTHER_YEARS))
        else:
            clients = sql.execute("attestations.client", [client_id])
            kept, others = (dict(sql.execute("attestations.of_client_year", [client_id, y])) for y in (year, OTHER_YEARS))
    return [json.loads(kept[c]) if c in kept else json.loads(others[c]) | {"year": year} for (c,) in sorted(clients)]


def document_steps(sql: ViewSql, number: str) -> list[list]:
    """A document's settlement as of every day it changed (`[day, paid, balance, status]`, the
    first step holding before any), or none for a number not issued."""
    with sql.reading():
        found = sql.execute("documents.steps_of", [number])
    return json.loads(found[0][0]) if found else []


def issued_count(sql: ViewSql) -> int:
    """How many documents the invoices view holds."""
    with sql.reading():
        return sql.execute("invoices.count")[0][0]


def issued_totals(sql: ViewSql) -> list[tuple[str, str, Decimal]]:
    """(month of issue "YYYY-MM", provider, total TTC of the documents issued that month), credit
    notes deducted (the invoices view), by month and provider."""
    with sql.reading():
        return sorted((month, provider, Decimal(cents).scaleb(-2))
                      for month, provider, cents in sql.execute("invoices.month_cents"))


def kept_explanation(sql: ViewSql, number: str) -> dict[str, Any] | None:
    """A document's explanation as `billing explain` gave it, if one was kept since its client's
    rows were last rewritten (projections/row_writes.py: keep_explanation)."""
    with sql.reading():
        found = sql.execute("explanations.of", [number])
    return json.loads(found[0][0]) if found else None


def client_of(sql: ViewSql, number: str) -> str | None:
    with sql.reading():
        found = sql.execute("documents.client_of", [number])
    return found[0][0] if found else None


def last_due_on(sql: ViewSql) -> date | None:
    """The last due date of all issued documents (the invoices view)."""
    with sql.reading():
        found = sql.execute("invoices.last_due_on")[0][0]
    return date.fromisoformat(found) if found else None
