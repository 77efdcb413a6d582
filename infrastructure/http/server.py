"""`billing serve`: the API under uvicorn, on one process, logs as JSON lines on stderr."""

from __future__ import annotations

import os

import structlog
import uvicorn

from infrastructure.cli.wiring import services
from infrastructure.http.app import create_app
from infrastructure.http.header_timeout import with_header_deadline
from infrastructure.http.limits import Settings
from infrastructure.http.tokens import TokenStore
from infrastructure.store import database_url

log = structlog.get_logger("billing.http")


def serve(db: str | None, host: str, port: int) -> int:
    # Room in the event store's PostgreSQL pool for the API's worker threads (app-prefixed
    # settings win over the store's defaults; an operator's own values are kept).
    os.environ.setdefault("BILLING_POSTGRES_POOL_SIZE", "4")
    os.environ.setdefault("BILLING_POSTGRES_MAX_OVERFLOW", "6")
    with services(db):  # a store out of reach is told plainly, before uvicorn starts
        TokenStore(database_url(db)).close()
    settings = Settings()
    log.info("api_starting", host=host, port=port, **vars(settings))
    uvicorn.run(create_app(db, settings), host=host, port=port, access_log=False, log_config=None,
                log_level="warning", server_header=False, timeout_graceful_shutdown=10,
                http=with_header_deadline(settings.header_seconds),
                limit_concurrency=settings.max_connections, timeout_keep_alive=settings.keepalive_seconds)
    return 0
