"""An issued document as files, for finance to send: its PDF/A-3 with Factur-X and its XML alone,
with the same read scope as its JSON (a document of another provider is not found)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from infrastructure.documents.files import document_row, document_xml
from infrastructure.http.auth import allowed
from infrastructure.http.problems import PROBLEMS, Problem
from infrastructure.http.tokens import ApiToken

router = APIRouter(responses=PROBLEMS)
PDF = {200: {"content": {"application/pdf": {}}, "description": "PDF/A-3 with factur-x.xml embedded"}}
XML = {200: {"content": {"application/xml": {}}, "description": "Factur-X CII XML, EN 16931 profile"}}


@router.get("/invoices/{number}/pdf", summary="The document as PDF/A-3 with its Factur-X XML", responses=PDF,
            response_class=Response)
async def get_pdf(request: Request, number: str, token: ApiToken = Depends(allowed("read"))) -> Response:
    from infrastructure.documents.pdf import document_pdf  # WeasyPrint loads only when a PDF is asked for

    s = request.app.state.services
    row = await run_in_threadpool(scoped_row, s, number, token)
    content = await run_in_threadpool(document_pdf, row, s.catalog)
    return Response(content, media_type="application/pdf",
                    headers={"Content-Disposition": f'attachment; filename="{number}.pdf"'})


@router.get("/invoices/{number}/xml", summary="The document's Factur-X XML", responses=XML, response_class=Response)
async def get_xml(request: Request, number: str, token: ApiToken = Depends(allowed("read"))) -> Response:
    s = request.app.state.services
    row = await run_in_threadpool(scoped_row, s, number, token)
    return Response(await run_in_threadpool(document_xml, row, s.catalog), media_type="application/xml")


def scoped_row(s: Any, number: str, token: ApiToken) -> dict[str, Any]:
    ledger = s.document_ledger(number)
    doc = ledger.document(number)
    if doc is None or doc.provider not in token.providers:
        raise Problem(404, f"no document {number!r} was issued within this token's scope", [{"field": "path.number"}])
    return document_row(ledger, s.catalog, s.identities, number)
