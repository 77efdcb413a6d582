"""What one caller may cost the API (README, "HTTP limits"), set from the environment:

- `BILLING_HTTP_MAX_FAILURES` (20) refused tokens or scopes (401, 403) per client address, and
  per token, within `BILLING_HTTP_FAILURE_WINDOW` seconds (60): beyond, 429 with Retry-After
  until the oldest failure leaves the window;
- `BILLING_HTTP_HEADER_SECONDS` (10): request headers not received whole by then close the
  connection (infrastructure/http/header_timeout.py);
- `BILLING_HTTP_BODY_SECONDS` (30): a request body not received whole by then is a 408;
- `BILLING_HTTP_MAX_CONNECTIONS` (64) connections and tasks at once (uvicorn answers 503 beyond)
  and `BILLING_HTTP_KEEPALIVE_SECONDS` (5) of idle keep-alive.
"""

from __future__ import annotations

import os
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

from domain.errors import BillingError

TRACKED = 10_000  # callers remembered at most; the oldest are forgotten first


def setting(name: str, default: float) -> float:
    value = os.environ.get(name, "").strip()
    try:
        number = float(value) if value else default
    except ValueError:
        raise BillingError(f"{name} must be a number of seconds or a count, not {value!r}") from None
    if number <= 0:
        raise BillingError(f"{name} must be positive, not {value!r}")
    return number


@dataclass
class Settings:
    max_failures: int = field(default_factory=lambda: int(setting("BILLING_HTTP_MAX_FAILURES", 20)))
    failure_window: float = field(default_factory=lambda: setting("BILLING_HTTP_FAILURE_WINDOW", 60))
    header_seconds: float = field(default_factory=lambda: setting("BILLING_HTTP_HEADER_SECONDS", 10))
    body_seconds: float = field(default_factory=lambda: setting("BILLING_HTTP_BODY_SECONDS", 30))
    max_connections: int = field(default_factory=lambda: int(setting("BILLING_HTTP_MAX_CONNECTIONS", 64)))
    keepalive_seconds: int = field(default_factory=lambda: int(setting("BILLING_HTTP_KEEPALIVE_SECONDS", 5)))


class FailureLimiter:
    """Remembers when each caller (an address, a token id) was refused, within the window."""

    def __init__(self, settings: Settings, clock: Callable[[], float] = time.monotonic) -> None:
        self.settings, self.clock = settings, clock
        self._failures: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def failed(self, *callers: str) -> None:
        now = self.clock()
        with self._lock:
            for caller in callers:
                times = self._failures.pop(caller, None) or deque(maxlen=self.settings.max_failures)
                times.append(now)
                self._failures[caller] = times  # the most recent last
            while len(self._failures) > TRACKED:
                del self._failures[next(iter(self._failures))]

    def retry_after(self, caller: str) -> int | None:
        """Seconds until the caller may try again, or None if it may now."""
        with self._lock:
            times = self._failures.get(caller)
            if times is None or len(times) < self.settings.max_failures:
                return None
            wait = times[0] + self.settings.failure_window - self.clock()
        return max(1, round(wait + 0.5)) if wait > 0 else None
