"""OAuth2 client credentials for URSSAF's "API Tiers de prestation" (the Swagger's
securityDefinitions: token URL, scope `homeplus.tiersprestations`): the token is asked once,
kept for its lifetime, asked again a minute before it ends, and at once after a 401.

The client secret goes out in the Authorization header of the token request only; it never
appears in a message, an exception or a log line.
"""

from __future__ import annotations

import base64
import json
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from http.client import HTTPException
from urllib.parse import urlencode

import structlog

from application.urssaf_port import UrssafUnavailable

TOKEN_URL = "https://api.urssaf.fr/api/oauth/v1/token"
SCOPE = "homeplus.tiersprestations"
RENEW_BEFORE = 60.0  # seconds before its end a token is renewed
log = structlog.get_logger("billing.urssaf")


class ClientCredentials:
    """A bearer token for the API, renewed as needed; one per process and credentials."""

    def __init__(self, client_id: str, client_secret: str, token_url: str = TOKEN_URL, scope: str = SCOPE,
                 timeout: float = 10.0, clock: Callable[[], float] = time.monotonic) -> None:
        self.client_id, self._secret = client_id, client_secret
        self.token_url, self.scope, self.timeout, self.clock = token_url, scope, timeout, clock
        self._token: str | None = None
        self._ends = 0.0
        self._lock = threading.Lock()

    def bearer(self) -> str:
        with self._lock:
            if self._token is None or self.clock() >= self._ends - RENEW_BEFORE:
                self._token, lifetime = self._ask()
                self._ends = self.clock() + lifetime
                log.info("urssaf_token_obtained", client_id=self.client_id, lifetime_seconds=lifetime)
            return self._token

    def forget(self) -> None:
        """After a 401: the next call asks for a new token."""
        with self._lock:
            self._token = None

    def _ask(self) -> tuple[str, float]:
        basic = base64.b64encode(f"{self.client_id}:{self._secret}".encode()).decode()
        request = urllib.request.Request(
            self.token_url, data=urlencode({"grant_type": "client_credentials", "scope": self.scope}).encode(),
            headers={"Authorization": f"Basic {basic}", "Content-Type": "application/x-www-form-urlencoded",
                     "Accept": "application/json"}, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310 - http(s) only
                return _token_of(json.loads(response.read()))
        except urllib.error.HTTPError as error:
            hint = " (check BILLING_URSSAF_CLIENT_ID and BILLING_URSSAF_CLIENT_SECRET)" if error.code in (400, 401) else ""
            raise UrssafUnavailable(f"URSSAF token: HTTP {error.code}{hint}") from None
        except (OSError, HTTPException, ValueError) as error:
            raise UrssafUnavailable(f"URSSAF token: no token ({type(error).__name__})") from None


def _token_of(answer: object) -> tuple[str, float]:
    token = answer.get("access_token") if isinstance(answer, dict) else None
    if not isinstance(token, str) or not token:
        raise ValueError("no access_token")
    lifetime = answer.get("expires_in", 300)
    return token, float(lifetime) if isinstance(lifetime, (int, float)) else 300.0
