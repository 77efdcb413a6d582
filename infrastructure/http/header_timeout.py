"""uvicorn's HTTP/1.1 protocol with a deadline on request headers (slow-header attacks).

uvicorn bounds idle keep-alive but not a request whose headers trickle in: a few callers sending a
byte a minute would hold every connection the limit allows. Here each request's headers must be
whole within `BILLING_HTTP_HEADER_SECONDS` of its first byte (or of the connection, for the first
request); beyond, the connection is closed. The body has its own limit (access.py, 408).
"""

from __future__ import annotations

import asyncio
from typing import Any

import structlog
from uvicorn.protocols.http.h11_impl import H11Protocol

log = structlog.get_logger("billing.http")


def with_header_deadline(seconds: float) -> type[H11Protocol]:
    """The protocol class for uvicorn's ``http`` setting, closing on headers late by ``seconds``."""

    class HeaderDeadlineProtocol(H11Protocol):
        header_seconds = seconds

        def connection_made(self, transport: Any) -> None:  # type: ignore[override]
            super().connection_made(transport)
            self._header_deadline: asyncio.TimerHandle | None = None
            self._arm_header_deadline()

        def data_received(self, data: bytes) -> None:
            super().data_received(data)
            if self._request_started():
                self._disarm_header_deadline()
            else:
                self._arm_header_deadline()

        def connection_lost(self, exc: Exception | None) -> None:
            self._disarm_header_deadline()
            super().connection_lost(exc)

        def _request_started(self) -> bool:
            return self.cycle is not None and not self.cycle.response_complete

        def _arm_header_deadline(self) -> None:
            if self._header_deadline is None:  # trickling bytes never push the deadline back
                self._header_deadline = self.loop.call_later(self.header_seconds, self._headers_too_late)

        def _disarm_header_deadline(self) -> None:
            if self._header_deadline is not None:
                self._header_deadline.cancel()
                self._header_deadline = None

        def _headers_too_late(self) -> None:
            self._header_deadline = None
            if not self._request_started() and not self.transport.is_closing():
                log.info("http_headers_too_slow", seconds=self.header_seconds)
                self.transport.close()

    return HeaderDeadlineProtocol
