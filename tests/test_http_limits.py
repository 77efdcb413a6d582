"""What one caller may cost the API (issue 12, point 6), against the real `billing serve` with
small limits, on both backends: refused tokens answered 429 beyond the limit, a body too slow to
arrive answered 408, connections beyond the limit answered 503; and the limiter's window."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from infrastructure.http.limits import FailureLimiter, Settings
from tests.http_facts import Api
from tests.http_server import bearer, running_server

LIMITS = {"BILLING_HTTP_MAX_FAILURES": "5", "BILLING_HTTP_FAILURE_WINDOW": "60", "BILLING_HTTP_BODY_SECONDS": "2", "BILLING_HTTP_HEADER_SECONDS": "2",
          "BILLING_HTTP_MAX_CONNECTIONS": "4"}


@pytest.fixture
def api(db_url: str, tmp_path: Path) -> Iterator[Api]:
    log = tmp_path / "server.log"
    with running_server(db_url, log, LIMITS) as base:
        yield Api(base, db_url, log)


def test_an_address_refused_too_often_waits(api: Api) -> None:
    token = api.token("finance", "btbconnect")
    with api.client() as c:
        wrong = [c.get("/invoices", headers=bearer("bk_00000000_" + "x" * 43)).status_code for _ in range(5)]
        assert wrong == [401] * 5
        blocked = c.get("/invoices", headers=bearer(token))
    assert blocked.status_code == 429 and int(blocked.headers["retry-after"]) > 0
    assert "too many refused requests" in blocked.json()["detail"]


def raw_request(base: str, head: str, body: bytes) -> socket.socket:
    host, port = base.removeprefix("http://").split(":")
    sock = socket.create_connection((host, int(port)), timeout=10)
    sock.sendall(head.encode() + b"\r\n" + body)
    return sock


def read_until_closed(sock: socket.socket) -> bytes:
    chunks = [sock.recv(4096)]
    while chunks[-1]:
        chunks.append(sock.recv(4096))
    return b"".join(chunks)


def test_a_body_too_slow_to_arrive_is_a_408(api: Api) -> None:
    head = (f"POST /facts HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {api.token('service', 'btbconnect')}\r\n"
            "Content-Type: application/json\r\nContent-Length: 100\r\n")
    with raw_request(api.base, head, b'{"key": "slow"') as sock:
        answer = read_until_closed(sock).decode()  # waits: the rest of the body never comes
    assert answer.startswith("HTTP/1.1 408") and "did not arrive within 2 seconds" in answer


def test_connections_beyond_the_limit_are_a_503(api: Api) -> None:
    head = (f"POST /facts HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {api.token('service', 'btbconnect')}\r\n"
            "Content-Type: application/json\r\nContent-Length: 100\r\n")
    held = []
    try:
        for _ in range(3):  # three requests waiting for their body: with the next, four connections
            held.append(raw_request(api.base, head, b"{"))
            time.sleep(0.2)
        with api.client() as c:
            assert c.get("/health").status_code == 503
    finally:
        for sock in held:
            sock.close()
    time.sleep(0.5)
    with api.client() as c:
        assert c.get("/health").status_code == 200


def closed_within(sock: socket.socket, seconds: float) -> bool:
    """True if the server closes ``sock`` (recv gives b"") within ``seconds``."""
    sock.settimeout(seconds)
    try:
        return sock.recv(4096) == b""
    except TimeoutError:
        return False


def test_headers_too_slow_to_arrive_close_the_connection(api: Api) -> None:
    host, port = api.base.removeprefix("http://").split(":")
    silent = socket.create_connection((host, int(port)), timeout=10)  # connects, sends nothing
    held = [raw_request(api.base, "GET /health HTTP/1.1\r\nHost: x", b"") for _ in range(2)]  # never ends
    try:
        started = time.monotonic()
        for sock in held:
            time.sleep(0.5)
            sock.sendall(b"X-Slow: 1\r\n")  # a trickle of bytes does not push the deadline back
        assert all(closed_within(sock, 4) for sock in [silent, *held])
        assert time.monotonic() - started < 3.5  # closed on the 2-second header deadline
        with api.client() as c:  # the connections they held are free again
            assert c.get("/health").status_code == 200
    finally:
        for sock in [silent, *held]:
            sock.close()


def test_failures_count_per_caller_within_the_window() -> None:
    now = [0.0]
    limiter = FailureLimiter(Settings(max_failures=3, failure_window=60, header_seconds=1, body_seconds=1, max_connections=1,
                                      keepalive_seconds=1), clock=lambda: now[0])
    for t in (0, 10, 20):
        now[0] = t
        limiter.failed("address:a", "token:t1")
    limiter.failed("address:b")
    assert (limiter.retry_after("address:a"), limiter.retry_after("token:t1")) == (40, 40)
    assert limiter.retry_after("address:b") is None and limiter.retry_after("token:t2") is None
    now[0] = 60.5  # the failure at 0 left the window: two in the last 60 seconds
    assert limiter.retry_after("address:a") is None
