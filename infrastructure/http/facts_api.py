"""POST /facts: one fact (201 recorded, 200 duplicate) or a JSON array of them (200 with the
ingest report), judged exactly as `billing ingest` judges them, within the token's scope."""

from __future__ import annotations

import asyncio
import json
import re
from typing import Any

import structlog
from fastapi import APIRouter, Depends, Header, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from application.facts import parse_fact
from domain.errors import BillingError, IdempotencyConflict, InvalidFact
from infrastructure.http.access import MAX_BODY
from infrastructure.http.auth import allowed
from infrastructure.http.problems import PROBLEMS, STORE_ERRORS, Problem, billing_error_status, json_response
from infrastructure.http.scope import OutOfScope, ScopeCheck
from infrastructure.http.tokens import ApiToken

log = structlog.get_logger("billing.http")
router = APIRouter(responses=PROBLEMS)
MAX_BATCH = 1000
FACT = {"type": "object", "required": ["key", "type", "at"], "additionalProperties": True,
        "properties": {"key": {"type": "string"}, "type": {"type": "string"},
                       "at": {"type": "string", "format": "date-time"}}}
BODY = {"required": True, "content": {"application/json": {"schema": {
    "oneOf": [FACT, {"type": "array", "items": FACT, "maxItems": MAX_BATCH}]}}}}


@router.post("/facts", summary="Append one fact or a batch (JSON array)", status_code=201,
             openapi_extra={"requestBody": BODY})
async def post_facts(request: Request, token: ApiToken = Depends(allowed("append")),
                     idempotency_key: str | None = Header(None, max_length=200)) -> Response:
    """One fact: 201 `recorded` or 200 `duplicate`, else a problem (422 refused, 409 key reused
    with other content, 403 beyond the token's providers); `Idempotency-Key` stands in for a
    missing `key`. An array (at most 1000 facts): 200 with `recorded`, `duplicates` and `refused`
    (each with its key, error and status), every fact judged on its own as `billing ingest` does."""
    body = decode(await read_body(request))
    if isinstance(body, list):
        if len(body) > MAX_BATCH:
            raise Problem(413, f"a batch holds at most {MAX_BATCH} facts; this one has {len(body)}")
        report = await run_in_threadpool(batch, request, token, body)
        return json_response(report)
    if isinstance(body, dict) and idempotency_key is not None:
        body = with_key(body, idempotency_key)
    status, outcome = await one(request, token, body)
    if status >= 400:
        raise Problem(status, outcome, [{"key": key_of(body, 0), **({"field": f} if f else {})}
                                        for f in fields_in(outcome) or [None]])
    return json_response({"key": body["key"], "result": outcome}, status)


async def read_body(request: Request) -> bytes:
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY:
            raise Problem(413, f"the request body is over {MAX_BODY} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


def decode(raw: bytes) -> Any:
    try:
        body = json.loads(raw.decode("utf-8"))
        json.dumps(body, ensure_ascii=False).encode("utf-8")  # lone surrogates in \u escapes
    except (ValueError, RecursionError) as exc:
        reason = exc.msg if isinstance(exc, json.JSONDecodeError) else "not UTF-8 JSON text"
        raise Problem(422, f"the body is not valid JSON: {reason}", [{"field": "body", "detail": reason}]) from None
    if not isinstance(body, (dict, list)):
        raise Problem(422, "the body must be a fact (JSON object) or an array of facts",
                      [{"field": "body", "detail": "not an object or array"}])
    return body


def with_key(body: dict, header: str) -> dict:
    if "key" not in body:
        return {"key": header, **body}
    if body["key"] != header:
        raise Problem(422, "the Idempotency-Key header differs from the fact's key",
                      [{"field": "Idempotency-Key", "key": key_of(body, 0)}])
    return body


async def one(request: Request, token: ApiToken, fact: Any) -> tuple[int, str]:
    """(201, "recorded") or (200, "duplicate"); else (status, the reason it was refused). Judged
    with the single facts posted at the same time (fact_writer.py)."""
    check = ScopeCheck(token.providers)
    outcome = shape_refusal(fact) or await asyncio.wrap_future(request.app.state.writer.submit(fact, check))
    counted(request, token, fact, check.providers.get(key_of(fact, 0), set()), outcome)
    return outcome


def judged_in_group(services: Any, group: list[tuple[dict, ScopeCheck]]) -> list[tuple[int, str]]:
    """Each single fact's (status, outcome), the group judged as one batch, each fact within its
    own request's scope."""
    checks = {id(fact): check for fact, check in group}
    judged = judged_together(services, lambda fact, lookup: checks[id(fact)](fact, lookup),
                             list(enumerate((fact for fact, _ in group), start=1)))
    return [judged[number] for number in range(1, len(group) + 1)]


def counted(request: Request, token: ApiToken, fact: Any, providers: set[str], outcome: tuple[int, str]) -> None:
    name = {201: "recorded", 200: "duplicate"}.get(outcome[0], "refused")
    request.app.state.metrics.count(f"billing_facts_{name}_total", f"Facts {name} through the API.",
                                    provider=",".join(sorted(providers)) or "none")
    if outcome[0] >= 400:
        log.warning("fact_refused", key=key_of(fact, 0)[:200], status=outcome[0], token_id=token.id)


def ingest(services: Any, fact: dict) -> str:
    """IngestService.ingest; a fact refused because a twin recorded the same key at the same
    moment is judged again, so that it reads as the duplicate (or key conflict) it is."""
    try:
        return services.ingest.ingest(fact)
    except (IdempotencyConflict, *STORE_ERRORS):
        raise
    except BillingError:
        if not services.ingest.holds_key(fact):
            raise
        return services.ingest.ingest(fact)


def shaped(fact: Any) -> Any:
    """What parse_fact cannot take without crashing: a ``type`` that is not a string."""
    if isinstance(fact, dict) and not isinstance(fact.get("type", ""), str):
        raise InvalidFact(f"fact {key_of(fact, 0)!r}: field 'type': must be a string")
    return fact


def batch(request: Request, token: ApiToken, facts: list) -> dict[str, Any]:
    """The facts judged together in one transaction, as `billing ingest` judges a batch of lines,
    each within the token's scope as the facts before it in the batch place it."""
    shapes = {number: shape_refusal(fact) for number, fact in enumerate(facts, start=1)}
    check = ScopeCheck(token.providers)
    judged = judged_together(request.app.state.services, check,
                             [(n, f) for n, f in enumerate(facts, start=1) if shapes[n] is None])
    report: dict[str, Any] = {"recorded": 0, "duplicates": 0, "refused": []}
    for number, fact in enumerate(facts, start=1):
        status, outcome = shapes[number] or judged[number]
        providers = check.providers.get(fact["key"], set()) if shapes[number] is None else set()
        counted(request, token, fact, providers, (status, outcome))
        if status == 201:
            report["recorded"] += 1
        elif status == 200:
            report["duplicates"] += 1
        else:
            report["refused"].append({"key": key_of(fact, number), "error": outcome, "status": status})
    return report


def shape_refusal(fact: Any) -> tuple[int, str] | None:
    """Why a fact cannot even be read as one (422), or None."""
    try:
        parse_fact(shaped(fact))
    except BillingError as exc:
        return billing_error_status(exc), str(exc)
    except RecursionError:
        return 422, "the fact is nested too deeply"
    return None


def judged_together(services: Any, check: ScopeCheck,
                    admitted: list[tuple[int, dict]]) -> dict[int, tuple[int, str]]:
    """Each fact's (status, outcome), from one batch of the ingest service."""
    if not admitted:
        return {}
    # One transaction for all, a lone fact too: the batched path reads the aggregates the facts name
    # in one query (a conflict with another writer is redone fact by fact, as for any batch).
    report = services.ingest.scoped(check).ingest_items(admitted, batch=max(2, len(admitted)))
    found = {}
    for number, fact in admitted:
        outcome, error = report.outcomes[number], report.errors.get(number)
        if error is None:
            found[number] = (201, outcome) if outcome == "recorded" else (200, outcome)
        elif isinstance(error, (IdempotencyConflict, OutOfScope)) or not services.ingest.holds_key(fact):
            found[number] = (billing_error_status(error), str(error))
        else:  # a twin recorded the same key at the same moment: judged again, it reads as what it is
            found[number] = judged_alone(services, check, fact)
    return found


def judged_alone(services: Any, check: ScopeCheck, fact: Any) -> tuple[int, str]:
    """The fact's (status, outcome), judged alone within the check's scope."""
    try:
        parse_fact(shaped(fact))
        check(fact, services.ingest.lookup)
        result = ingest(services, fact)
    except STORE_ERRORS:
        raise
    except BillingError as exc:
        return billing_error_status(exc), str(exc)
    except RecursionError:
        return 422, "the fact is nested too deeply"
    return (201, result) if result == "recorded" else (200, result)


def key_of(fact: Any, number: int) -> str:
    key = fact.get("key") if isinstance(fact, dict) else None
    return key if isinstance(key, str) else f"item {number}"


def fields_in(message: str) -> list[str]:
    return re.findall(r"field '([^']+)'", message)
