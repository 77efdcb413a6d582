"""POST /replay (auditors), GET /health (open: is the store reachable) and GET /metrics."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from domain.errors import TermsError
from domain.issuing import DocumentSequence
from infrastructure.http.auth import allowed, authenticated
from infrastructure.http.explaining import replayed
from infrastructure.http.problems import PROBLEMS, Problem, json_response
from infrastructure.http.tokens import ApiToken
from application.ledger import read_ledger

router = APIRouter(responses=PROBLEMS)


class ReplayRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    terms: str = Field(min_length=1, max_length=200, description="a terms version reference")


@router.post("/replay", summary="Recompute the recorded history under a terms version, issuing nothing")
async def post_replay(request: Request, body: ReplayRequest, token: ApiToken = Depends(allowed("replay"))) -> Response:
    s = request.app.state.services
    try:
        provider = s.catalog.get(body.terms).provider
    except TermsError as exc:
        raise Problem(422, str(exc), [{"field": "terms", "detail": "unknown terms version"}]) from None
    if provider not in token.providers:
        raise Problem(403, f"terms {body.terms} are {provider}'s, outside this token's scope",
                      [{"field": "terms", "detail": "out of the token's provider scope"}])
    report = await run_in_threadpool(lambda: replayed(read_ledger(s.app, facts=False), s.catalog, body.terms, provider))
    if report is None:
        raise Problem(501, "replay is not available in this version of the engine")
    return json_response(report)


@router.get("/health", summary="Whether the store can be reached (no token needed)")
async def health(request: Request) -> Response:
    def probe() -> None:
        request.app.state.services.app.recorder.select_notifications(1, 1)
        request.app.state.tokens.sql.rows("store.ping")
    await run_in_threadpool(probe)
    return json_response({"status": "ok"})


@router.get("/metrics", summary="Prometheus metrics (text format)",
            response_class=Response, responses={200: {"content": {"text/plain": {}}}})
async def metrics(request: Request, token: ApiToken = Depends(authenticated)) -> Response:
    documents = await run_in_threadpool(issued_counts, request.app.state.services.app, token.providers)
    gauges = {"billing_documents_issued_total": ("Documents numbered so far, per provider.", documents)}
    text = request.app.state.metrics.exposition(gauges, token.providers)
    return Response(text, media_type="text/plain; version=0.0.4; charset=utf-8")


def issued_counts(app, providers: tuple[str, ...]) -> dict:
    counts = {}
    for provider in providers:
        seq_id = DocumentSequence.id_for(provider)
        seq = app.repository.get(seq_id) if seq_id in app.repository else None
        counts[(("provider", provider),)] = float(sum(seq.last_numbers.values())) if seq else 0.0
    return counts
