"""Errors as RFC 9457 problem details (application/problem+json), never a 500 for a caller's
mistake: a refused fact is 422 (409 for a reused key), auth 401/403, unknown 404, too big 413,
the store out of reach 503."""

from __future__ import annotations

import json
import sqlite3
from datetime import date
from decimal import Decimal
from typing import Any

import psycopg
import structlog
from eventsourcing.domain import EventSourcingError
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException
from starlette.responses import Response

from domain.errors import BillingError, IdempotencyConflict, NotFound
from infrastructure.http.sql import SqlError
from infrastructure.store import StoreError
from infrastructure.vault import VaultError
from infrastructure.http.scope import OutOfScope

log = structlog.get_logger("billing.http")
TITLES = {400: "Bad request", 401: "Unauthorized", 403: "Forbidden", 404: "Not found",
          405: "Method not allowed", 408: "Request timeout", 409: "Conflict", 413: "Content too large", 415: "Unsupported media type",
          422: "Unprocessable content", 429: "Too many requests", 500: "Internal server error", 501: "Not implemented",
          503: "Service unavailable"}
STORE_ERRORS = (StoreError, SqlError, VaultError)
PROBLEM_SCHEMA = {"type": "object", "required": ["type", "title", "status", "detail"], "properties": {
    "type": {"type": "string"}, "title": {"type": "string"}, "status": {"type": "integer"},
    "detail": {"type": "string"}, "errors": {"type": "array", "items": {"type": "object"}}}}
PROBLEMS: dict[int | str, dict[str, Any]] = {
    status: {"description": TITLES[status], "content": {"application/problem+json": {"schema": PROBLEM_SCHEMA}}}
    for status in (401, 403, 404, 408, 409, 413, 422, 429, 503)}


class Problem(Exception):
    def __init__(self, status: int, detail: str, errors: list[dict[str, Any]] | None = None,
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(detail)
        self.status, self.detail, self.errors, self.headers = status, detail, errors or [], headers or {}


def problem_response(status: int, detail: str, errors: list[dict[str, Any]] | None = None,
                     headers: dict[str, str] | None = None) -> Response:
    title = TITLES.get(status, "Error")
    body = {"type": f"https://billing.invalid/problems/{status}", "title": title, "status": status,
            "detail": detail, "errors": errors or []}
    return json_response(body, status, headers, media_type="application/problem+json")


def json_response(data: Any, status: int = 200, headers: dict[str, str] | None = None,
                  media_type: str = "application/json") -> Response:
    text = json.dumps(data, ensure_ascii=False, default=_plain)
    return Response(text.encode("utf-8"), status, headers, media_type=media_type)


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, (set, tuple)):
        return list(value)
    raise TypeError(f"{type(value).__name__} is not JSON")


def billing_error_status(exc: BillingError) -> int:
    if isinstance(exc, OutOfScope):
        return 403
    if isinstance(exc, IdempotencyConflict):
        return 409
    if isinstance(exc, STORE_ERRORS):
        return 503
    return 422


def install(app: FastAPI) -> None:
    @app.exception_handler(Problem)
    async def on_problem(_: Request, exc: Problem) -> Response:
        return problem_response(exc.status, exc.detail, exc.errors, exc.headers)

    @app.exception_handler(HTTPException)
    async def on_http(_: Request, exc: HTTPException) -> Response:
        return problem_response(exc.status_code, str(exc.detail), headers=getattr(exc, "headers", None))

    @app.exception_handler(RequestValidationError)
    async def on_invalid(_: Request, exc: RequestValidationError) -> Response:
        errors = [{"field": ".".join(str(p) for p in e.get("loc", ())), "detail": e.get("msg", "invalid")}
                  for e in exc.errors()]
        return problem_response(422, "; ".join(f"{e['field']}: {e['detail']}" for e in errors), errors)

    @app.exception_handler(BillingError)
    async def on_billing(_: Request, exc: BillingError) -> Response:
        status = 404 if isinstance(exc, NotFound) else billing_error_status(exc)
        return problem_response(status, str(exc))

    @app.exception_handler(EventSourcingError)
    @app.exception_handler(psycopg.Error)
    @app.exception_handler(sqlite3.Error)
    async def on_store(_: Request, exc: Exception) -> Response:
        log.error("store_unavailable", error=type(exc).__name__)
        return problem_response(503, "the store cannot be reached; retry later")

    @app.exception_handler(Exception)
    async def on_bug(_: Request, exc: Exception) -> Response:
        log.error("unhandled_error", error=type(exc).__name__)
        return problem_response(500, "internal error; the request id names it in the logs")
