"""Outermost layer: a request id (X-Request-Id echoed or made), an early 413 on a declared
body over the limit, the latency histogram, and one structured access log line per request —
method, route, status, duration, token id; never a token, a body or a query string."""

from __future__ import annotations

import re
import time
import uuid
from typing import Any

import structlog
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from infrastructure.http.metrics import Metrics
from infrastructure.http.problems import problem_response

log = structlog.get_logger("billing.http")
REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")
MAX_BODY = 1024 * 1024


class AccessLog:
    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = _request_id(scope)
        started = time.perf_counter()
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", []), (b"x-request-id", request_id.encode())]
            await send(message)

        try:
            if _declared_length(scope) > MAX_BODY:
                response = problem_response(413, f"the request body is over {MAX_BODY} bytes")
                await response(scope, receive, send_with_id)
            else:
                await self.app(scope, receive, send_with_id)
        finally:
            self._record(scope, request_id, status, time.perf_counter() - started)

    def _record(self, scope: Scope, request_id: str, status: int, seconds: float) -> None:
        route = _route(scope)
        self.metrics.observe(seconds, method=scope["method"], route=route)
        self.metrics.count("billing_http_requests_total", "HTTP requests answered.",
                           method=scope["method"], route=route, status=str(status))
        state: dict[str, Any] = scope.get("state", {})
        log.info("http_request", request_id=request_id, method=scope["method"], route=route, status=status,
                 duration_ms=round(seconds * 1000, 2), token_id=state.get("token_id"))


def _request_id(scope: Scope) -> str:
    for name, value in scope.get("headers", []):
        if name == b"x-request-id":
            text = value.decode("latin-1")
            if REQUEST_ID.match(text):
                return text
    return uuid.uuid4().hex


def _declared_length(scope: Scope) -> int:
    for name, value in scope.get("headers", []):
        if name == b"content-length":
            return int(value) if value.isdigit() else 0
    return 0


def _route(scope: Scope) -> str:
    """The route's template (``/invoices/{number}``), so labels stay few; "unmatched" else."""
    route = scope.get("route")
    return getattr(route, "path", None) or "unmatched"
