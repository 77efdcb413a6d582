"""Read models for finance and auditors, each cut to the token's provider scope."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Any

from fastapi import APIRouter, Depends, Query, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from domain.calendar import end_of_day, out_of_range, paris_date
from infrastructure.clock import system_clock
from infrastructure.ecb_rates import load_ecb_rates
from infrastructure.http.auth import allowed, provider_filter
from infrastructure.http.explaining import explanation, kept_or_worked_out
from infrastructure.http.problems import PROBLEMS, Problem, json_response
from infrastructure.http.tokens import ApiToken
from projections import row_reads
from projections.receivable_rows import receivable_rows
from application.books.invoices import InvoiceFilter, invoice_rows

router = APIRouter(responses=PROBLEMS)
Provider = Query(None, pattern="^(btbconnect|etincelle)$")
Client = Query(None, min_length=1, max_length=200)
def in_range(day: date | None, name: str) -> date | None:
    if day is not None and out_of_range(day):
        raise Problem(422, f"{name}: {out_of_range(day)}", [{"field": f"query.{name}"}])
    return day


@router.get("/invoices", summary="Issued invoices and credit notes")
async def get_invoices(request: Request, token: ApiToken = Depends(allowed("read")),
                       provider: str | None = Provider, client: str | None = Client,
                       from_: date | None = Query(None, alias="from"), to: date | None = Query(None),
                       as_of: date | None = Query(None, description="payments known up to the end of this day")) -> Response:
    keep, first, last = provider_filter(token, provider), in_range(from_, "from"), in_range(to, "to")
    day = in_range(as_of, "as_of") or paris_date(system_clock())
    rows = await run_in_threadpool(kept_rows, request.app.state.services, client,
                                   lambda sql: list(row_reads.invoice_rows(sql, day, keep, client, first, last)))
    return json_response([r for r in rows if r["provider"] in token.providers])


def kept_rows(s: Any, client: str | None, read: Callable[[Any], list[dict[str, Any]]]) -> list[dict[str, Any]]:
    """A read of the kept rows (projections/row_reads.py), of one client or all."""
    with s.rows([client] if client else None) as sql:
        return read(sql)


@router.get("/invoices/{number}", summary="One issued document, with its explanation when there is one")
async def get_invoice(request: Request, number: str, token: ApiToken = Depends(allowed("read")),
                      as_of: date | None = Query(None)) -> Response:
    as_of = in_range(as_of, "as_of") or paris_date(system_clock())
    row = await run_in_threadpool(one_invoice, request.app.state.services, number, token, as_of)
    if row is None:
        raise Problem(404, f"no document {number!r} was issued within this token's scope",
                      [{"field": "path.number"}])
    return json_response(row)


def one_invoice(s: Any, number: str, token: ApiToken, as_of: date,
                known_at: datetime | None = None) -> dict[str, Any] | None:
    """The document's row as of `as_of` with its explanation: from the kept rows, or as known at
    a recorded time from its client's events."""
    if known_at is not None:
        return one_invoice_as_known(s, number, token, as_of, known_at)
    client = s.document_client(number)
    if client is None:
        return None
    with s.rows([client]) as sql:
        [row] = row_reads.rows_of(sql, [number], as_of)
    if row["provider"] not in token.providers:
        return None
    explained = kept_or_worked_out(s, number)
    return row | ({"explanation": explained} if explained is not None else {})


def one_invoice_as_known(s: Any, number: str, token: ApiToken, as_of: date, known_at: datetime) -> dict[str, Any] | None:
    ledger = s.document_ledger(number, known_at, facts=True)  # with the fact records: the explanation names them
    doc = ledger.document(number)
    if doc is None or doc.provider not in token.providers:
        return None
    keep = InvoiceFilter(doc.provider, doc.client_id)
    row = next(r for r in invoice_rows(ledger, s.catalog, keep, end_of_day(as_of), s.identities) if r["number"] == number)
    explained = explanation(ledger, s.catalog, number)
    return row | ({"explanation": explained} if explained is not None else {})


@router.get("/receivables", summary="What each client owes on a date, with ageing and penalties")
async def get_receivables(request: Request, as_of: date = Query(...), token: ApiToken = Depends(allowed("read")),
                          provider: str | None = Provider, client: str | None = Client) -> Response:
    day, keep = in_range(as_of, "as_of"), provider_filter(token, provider)
    s = request.app.state.services
    rows = await run_in_threadpool(kept_rows, s, client, lambda sql: [r.as_dict() for r in receivable_rows(
        sql, s.catalog, load_ecb_rates(), day, keep, client)])
    return json_response([r for r in rows if r["provider"] in token.providers])


@router.get("/attestations", summary="Annual tax attestations of L'Étincelle's clients")
async def get_attestations(request: Request, year: int = Query(..., ge=2000, le=2100),
                           token: ApiToken = Depends(allowed("read")), client: str | None = Client) -> Response:
    provider_filter(token, "etincelle")
    s = request.app.state.services
    rows = await run_in_threadpool(kept_rows, s, client, lambda sql: row_reads.attestation_rows(sql, year, client))
    return json_response(rows)
