"""The ASGI application: one store and one token table for the life of the process."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from functools import partial

import anyio.to_thread
from fastapi import FastAPI

from infrastructure.cli.wiring import services
from infrastructure.http import docs_page, documents_api, facts_api, ops_api, problems, reads_api
from infrastructure.http.access import AccessLog
from infrastructure.http.console import install as console
from infrastructure.http.console.warming import warming
from infrastructure.http.fact_writer import fact_writer
from infrastructure.http.facts_api import judged_in_group
from infrastructure.http.limits import FailureLimiter, Settings
from infrastructure.http.metrics import Metrics
from infrastructure.http.tokens import PROVIDERS, TokenStore
from infrastructure.store import database_url

DESCRIPTION = """Internal services append facts; finance and auditors read invoices, receivables and
attestations. Every endpoint but `/health` and the docs needs `Authorization: Bearer <token>`
(`billing tokens create`): a `service` token appends facts, `finance` reads, `auditor` reads and
replays, each within its providers. Errors are RFC 9457 `application/problem+json`."""
WORKER_THREADS = 8


def create_app(db: str | None = None, settings: Settings | None = None) -> FastAPI:
    metrics, limiter = Metrics(), FailureLimiter(settings or Settings())
    for outcome in ("recorded", "duplicate", "refused"):  # present from the start, at 0
        for provider in PROVIDERS:
            metrics.count(f"billing_facts_{outcome}_total", f"Facts {outcome} through the API.", 0, provider=provider)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        anyio.to_thread.current_default_thread_limiter().total_tokens = WORKER_THREADS
        async with AsyncExitStack() as stack:
            app.state.services = stack.enter_context(services(db))
            app.state.tokens = TokenStore(database_url(db))
            stack.callback(app.state.tokens.close)
            stack.enter_context(warming(app.state.services))
            app.state.writer = stack.enter_context(fact_writer(partial(judged_in_group, app.state.services)))
            yield

    app = FastAPI(title="Billing engine API", version="1", description=DESCRIPTION, lifespan=lifespan,
                  docs_url=None, redoc_url=None)
    docs_page.install(app)
    console.install(app)
    app.state.metrics, app.state.limiter = metrics, limiter
    problems.install(app)
    for module in (facts_api, reads_api, documents_api, ops_api):
        app.include_router(module.router)
    app.add_middleware(AccessLog, metrics=metrics, limiter=limiter)
    return app
