"""Finance's pages: invoices and credit notes (a search, one page per document with its PDF and
XML), receivables with their ageing and the revenue by month, attestations with their PDFs."""

from __future__ import annotations


from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from domain.calendar import paris_date
from infrastructure.clock import system_clock
from infrastructure.http.console import reads
from infrastructure.http.console.rendering import BadQuery, day_of, known_at_of, page
from infrastructure.http.console.session import PATH, ForbiddenPage, needing
from infrastructure.http.reads_api import one_invoice
from infrastructure.http.tokens import ApiToken

router = APIRouter(prefix=PATH, include_in_schema=False)
reader = needing("read")


def search(token: ApiToken, client: str | None, from_: str | None, to: str | None, status: str | None,
           as_of: str | None, known_at: str | None) -> reads.Search:
    if status and status not in reads.STATUSES:
        raise BadQuery(f"statut : {status!r} inconnu (paid, open ou overdue)")
    return reads.Search(day_of(as_of, "au") or paris_date(system_clock()), known_at_of(known_at),
                        token.providers[0] if len(token.providers) == 1 else None, client or None,
                        day_of(from_, "émises du"), day_of(to, "au"), status or None)


@router.get("")
async def home() -> Response:
    return Response(status_code=303, headers={"Location": f"{PATH}/invoices"})


@router.get("/invoices")
async def invoices(request: Request, token: ApiToken = Depends(reader), client: str | None = None,
                   from_: str | None = Query(None, alias="from"), to: str | None = None, status: str | None = None,
                   as_of: str | None = None, known_at: str | None = None) -> Response:
    q = search(token, client, from_, to, status, as_of, known_at)
    rows, more = await run_in_threadpool(reads.invoices, request.app.state.services, token, q)
    return page(request, "invoices.html", token, "invoices", "Factures et avoirs", known_at=q.known_at,
                q=q, rows=rows, more=more, statuses=reads.STATUSES)


@router.get("/invoices/{number}")
async def document(request: Request, number: str, token: ApiToken = Depends(reader), as_of: str | None = None,
                   known_at: str | None = None) -> Response:
    moment, day = known_at_of(known_at), day_of(as_of, "au") or paris_date(system_clock())
    s = request.app.state.services
    doc = await run_in_threadpool(one_invoice, s, number, token, day, moment)
    if doc is None:
        raise ForbiddenPage(f"aucun document {number} n'a été émis dans le périmètre de ce jeton")
    payments = await run_in_threadpool(reads.payments_of, s, number)
    title = f"{doc['mentions']['title']} {number}"
    return page(request, "document.html", token, "invoices", title, known_at=moment, doc=doc, payments=payments)


@router.get("/invoices/{number}/{kind}")
async def document_file(request: Request, number: str, kind: str, token: ApiToken = Depends(reader)) -> Response:
    from infrastructure.http.documents_api import get_pdf, get_xml

    if kind not in ("pdf", "xml"):
        raise ForbiddenPage(f"pas de fichier {kind} : pdf ou xml")
    return await (get_pdf if kind == "pdf" else get_xml)(request, number, token)


@router.get("/receivables")
async def receivables(request: Request, token: ApiToken = Depends(reader), as_of: str | None = None,
                      known_at: str | None = None) -> Response:
    q = search(token, None, None, None, None, as_of, known_at)
    view = await run_in_threadpool(reads.receivables_view, request.app.state.services, token, q)
    return page(request, "receivables.html", token, "receivables", "Créances", known_at=q.known_at, q=q, **view)


@router.get("/attestations")
async def attestations(request: Request, token: ApiToken = Depends(reader), year: int | None = None,
                       client: str | None = None, known_at: str | None = None) -> Response:
    if "etincelle" not in token.providers:
        raise ForbiddenPage("les attestations fiscales sont celles de L'Étincelle du Savoir, hors du périmètre de ce jeton")
    year, moment = year or paris_date(system_clock()).year - 1, known_at_of(known_at)
    rows = await run_in_threadpool(reads.attestation_list, request.app.state.services, year, moment, client or None)
    return page(request, "attestations.html", token, "attestations", f"Attestations fiscales {year}",
                known_at=moment, rows=rows[:reads.SHOWN], found=len(rows), year=year, client=client or "")


@router.get("/attestations/{year}/{client}/pdf")
async def attestation_file(request: Request, year: int, client: str, token: ApiToken = Depends(reader)) -> Response:
    from infrastructure.documents.attestation_pdf import attestation_pdf

    if "etincelle" not in token.providers:
        raise ForbiddenPage("les attestations fiscales sont hors du périmètre de ce jeton")
    rows = await run_in_threadpool(reads.attestation_list, request.app.state.services, year, None, client)
    if not rows:
        raise ForbiddenPage(f"{client} n'est pas un client de L'Étincelle du Savoir")
    content = await run_in_threadpool(attestation_pdf, rows[0])
    return Response(content, media_type="application/pdf",
                    headers={"Content-Disposition": f'attachment; filename="attestation-{year}-{client}.pdf"'})
