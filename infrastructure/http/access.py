"""Outermost layer: a request id (X-Request-Id echoed or made), an early 413 on a declared
body over the limit, 429 to a caller refused too often (infrastructure/http/limits.py), 408 on a
body too slow to arrive, the latency histogram, and one structured access log line per request —
method, route, status, duration, token id; never a token, a body or a query string."""

from __future__ import annotations

import re
import time
import uuid
from typing import Any

import anyio
import structlog
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from infrastructure.http.limits import FailureLimiter
from infrastructure.http.metrics import Metrics
from infrastructure.http.problems import problem_response

log = structlog.get_logger("billing.http")
REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")
MAX_BODY = 1024 * 1024


class AccessLog:
    def __init__(self, app: ASGIApp, metrics: Metrics, limiter: FailureLimiter) -> None:
        self.app = app
        self.metrics = metrics
        self.limiter = limiter

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
            await self._answer(scope, receive, send_with_id)
        finally:
            self._record(scope, request_id, status, time.perf_counter() - started)

    async def _answer(self, scope: Scope, receive: Receive, send: Send) -> None:
        wait = self.limiter.retry_after(_address(scope))
        if wait is not None:
            detail = "too many refused requests from this address; try again later"
            await problem_response(429, detail, headers={"Retry-After": str(wait)})(scope, receive, send)
        elif _declared_length(scope) > MAX_BODY:
            await problem_response(413, f"the request body is over {MAX_BODY} bytes")(scope, receive, send)
        else:
            await self._in_time(scope, receive, send)

    async def _in_time(self, scope: Scope, receive: Receive, send: Send) -> None:
        """The app, with its body to be received whole within the limit's seconds (else 408)."""
        deadline, whole, started = time.monotonic() + self.limiter.settings.body_seconds, False, False

        async def receive_in_time() -> Message:
            nonlocal whole
            if whole:
                return await receive()
            with anyio.fail_after(max(0.0, deadline - time.monotonic())):
                message = await receive()
            whole = message["type"] != "http.request" or not message.get("more_body", False)
            return message

        async def send_started(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive_in_time, send_started)
        except TimeoutError:
            if started:
                raise
            detail = f"the request body did not arrive within {self.limiter.settings.body_seconds:g} seconds"
            await problem_response(408, detail, headers={"Connection": "close"})(scope, receive, send)

    def _record(self, scope: Scope, request_id: str, status: int, seconds: float) -> None:
        route = _route(scope)
        state: dict[str, Any] = scope.get("state", {})
        if status in (401, 403):
            self.limiter.failed(_address(scope), *([f"token:{state['token_id']}"] if state.get("token_id") else []))
        self.metrics.observe(seconds, method=scope["method"], route=route)
        self.metrics.count("billing_http_requests_total", "HTTP requests answered.",
                           method=scope["method"], route=route, status=str(status))
        log.info("http_request", request_id=request_id, method=scope["method"], route=route, status=status,
                 duration_ms=round(seconds * 1000, 2), token_id=state.get("token_id"))


def _address(scope: Scope) -> str:
    client = scope.get("client")
    return f"address:{client[0] if client else 'unknown'}"


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
