#!/usr/bin/env python3
"""Load test of `POST /facts` on loopback: starts `billing serve` on a fresh PostgreSQL database,
posts distinct payment facts from N client threads for S seconds, prints one JSON line
(requests, throughput, p50/p99 latency), stops the server and drops the database.

    BILLING_TEST_POSTGRES_URL=postgresql://postgres@127.0.0.1:55432/postgres \\
        .venv/bin/python scripts/load_http.py --seconds 10 --threads 2

Bounded: every thread stops at the deadline; each request times out after 10 s.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import uuid
from pathlib import Path

import psycopg
from psycopg import sql

REPO = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPO), str(REPO / "scripts")]
from bench_lib.http_load import singles  # noqa: E402
from tests.http_server import new_token, running_server  # noqa: E402


def fresh_database(server: str) -> str:
    name = f"billing_load_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(server, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {} TEMPLATE template0 ENCODING 'UTF8'").format(sql.Identifier(name)))
    return server.rsplit("/", 1)[0] + "/" + name


def drop_database(server: str, url: str) -> None:
    with psycopg.connect(server, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(url.rsplit("/", 1)[1])))


def run(db: str, seconds: float, threads: int) -> dict[str, object]:
    with tempfile.TemporaryDirectory() as tmp, running_server(db, Path(tmp) / "server.log") as base:
        secret = new_token(db, "service", "btbconnect", name="load")[1]
        measured = singles(base, secret, threads, seconds)  # the bench's http step measures the same way
    lat = measured["latency_ms"]
    return {"endpoint": "POST /facts", "backend": "postgresql", "threads": threads,
            "seconds": round(measured["seconds"], 2), "requests": measured["requests"], "errors": measured["errors"],
            "throughput_rps": round(measured["requests_per_s"], 1), "p50_ms": round(lat["p50"], 2),
            "p99_ms": round(lat["p99"], 2), "max_ms": round(lat["max"], 2)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    server = os.environ.get("BILLING_TEST_POSTGRES_URL")
    if not server:
        parser.error("set BILLING_TEST_POSTGRES_URL to a PostgreSQL server (a throwaway database is made on it)")
    db = fresh_database(server)
    try:
        print(json.dumps(run(db, min(args.seconds, 120), max(1, min(args.threads, 16)))))
    finally:
        drop_database(server, db)
    return 0


if __name__ == "__main__":
    sys.exit(main())
