"""Facts through the HTTP API, as internal services append them (issue 17): a real `billing
serve`, a service token of both providers, on a store of its own. Batches: the first facts of the
history posted in arrays, one client. Single facts: N clients at once, each posting payments of
its own client until a deadline, every answer timed."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from bench_lib.runner import postgres_database
from bench_lib.stats import percentiles
from tests.http_server import bearer, new_token, running_server


def batched(base: str, secret: str, lines: list[str], batch: int) -> dict:
    """Posts `lines` (JSON facts) `batch` at a time; facts recorded per second of posting."""
    recorded, started = 0, time.perf_counter()
    with httpx.Client(base_url=base, headers=bearer(secret) | {"Content-Type": "application/json"},
                      timeout=600) as c:
        for i in range(0, len(lines), batch):
            answer = c.post("/facts", content="[" + ",".join(lines[i:i + batch]) + "]")
            answer.raise_for_status()
            recorded += answer.json()["recorded"]
    seconds = time.perf_counter() - started
    return {"facts": len(lines), "recorded": recorded, "batch": batch, "seconds": seconds,
            "facts_per_s": recorded / seconds}


def poster(base: str, secret: str, n: int, deadline: float, latencies: list[float], errors: list[int]) -> None:
    """One client: its own client registered, then one payment after another until `deadline`."""
    client_id = f"LOAD-{n}"
    with httpx.Client(base_url=base, headers=bearer(secret), timeout=10) as c:
        c.post("/facts", json={"key": f"load-reg-{n}", "type": "client.registered", "at": "2026-05-01T09:00:00+02:00",
                               "client_id": client_id, "provider": "btbconnect", "name": "Load"}).raise_for_status()
        k = 0
        while time.monotonic() < deadline:
            k += 1
            fact = {"key": f"load-pay-{n}-{k}", "type": "payment.received", "at": "2026-05-02T09:00:00+02:00",
                    "client_id": client_id, "amount": "1.00", "method": "transfer"}
            started = time.perf_counter()
            status = c.post("/facts", json=fact).status_code
            latencies.append(time.perf_counter() - started)
            if status != 201:
                errors.append(status)


def singles(base: str, secret: str, clients: int, seconds: float) -> dict:
    """`clients` posting single facts at once for `seconds`: requests per second and latency."""
    latencies: list[float] = []
    errors: list[int] = []
    deadline = time.monotonic() + seconds
    threads = [threading.Thread(target=poster, args=(base, secret, n, deadline, latencies, errors))
               for n in range(clients)]
    started = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.monotonic() - started
    return {"clients": clients, "seconds": elapsed, "requests": len(latencies), "errors": len(errors),
            "requests_per_s": len(latencies) / elapsed, "latency_ms": percentiles(latencies)}


def http_facts(url: str, lines: list[str], batch: int, clients: int, seconds: float, log: Path) -> dict:
    """Both measures on the store at `url` (new): the batches first, then the single facts."""
    _, secret = new_token(url, "service", "both", "bench-http")
    with running_server(url, log) as base:
        return {"batched": batched(base, secret, lines, batch), "singles": singles(base, secret, clients, seconds)}


HTTP_FACTS, HTTP_CLIENTS = 30_000, 8  # issue 17: the first 30 000 facts; 8 clients at once


def http(spec: dict) -> dict:
    """The bench's `http` step, on a store of its own (a new PostgreSQL database, or SQLite file)."""
    with Path(spec["facts"]).open(encoding="utf-8") as f:
        lines = [line.rstrip("\n") for _, line in zip(range(spec.get("http_facts", HTTP_FACTS)), f)]
    with fresh_store(spec["url"], Path(spec["workdir"])) as url:
        return http_facts(url, lines, spec["batch"], spec.get("http_clients", HTTP_CLIENTS),
                          spec.get("http_seconds", 10), Path(spec["workdir"]) / "bench-http.log")


@contextmanager
def fresh_store(url: str, workdir: Path) -> Iterator[str]:
    if url.startswith("postgresql"):
        with postgres_database(url) as fresh:
            yield fresh
        return
    path = workdir / "bench-http.db"
    try:
        yield "sqlite:///" + str(path)
    finally:
        path.unlink(missing_ok=True)
