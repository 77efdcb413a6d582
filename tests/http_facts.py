"""Facts and a client for the HTTP API tests: both providers' scenario histories."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from tests.http_server import bearer, new_token
from tests.test_btb_scenario import history as btb_history
from tests.test_etincelle_scenario import history as ets_history

PAYMENT = {"key": "pay-http-1", "type": "payment.received", "at": "2026-06-01T10:00:00+02:00",
           "client_id": "C-ALPHA", "amount": "5.00", "method": "card"}
ETS_PAYMENT = {"key": "pay-http-e", "type": "payment.received", "at": "2026-02-01T10:00:00+01:00",
               "client_id": "E-PER", "amount": "5.00", "method": "card"}


@dataclass
class Api:
    base: str
    db: str
    log: Path

    def token(self, role: str, provider: str) -> str:
        return new_token(self.db, role, provider, name=f"{role}-{provider}")[1]

    @contextmanager
    def client(self, secret: str | None = None) -> Iterator[httpx.Client]:
        headers = bearer(secret) if secret else {}
        with httpx.Client(base_url=self.base, headers=headers, timeout=60) as client:
            yield client

    def load_both_histories(self) -> None:
        """Each provider's history through its own service token."""
        for provider, facts in (("btbconnect", btb_history()), ("etincelle", ets_history())):
            with self.client(self.token("service", provider)) as c:
                report = c.post("/facts", json=facts).json()
                assert report["recorded"] > 0 and all(r["status"] == 422 for r in report["refused"]), report
