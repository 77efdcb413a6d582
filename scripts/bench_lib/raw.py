"""The physical reference: the same rows written and read with the bare driver, no engine.

Write: one row per fact (the fact's JSON as `state`) into a plain table shaped like the event
table (no key, no index), in one transaction: binary COPY on PostgreSQL, executemany on SQLite;
then single-row INSERT + COMMIT latencies. Bulk write and read are each the best of 3 runs. Read: SELECT state of every stored event in log order,
each decoded with json.loads (PostgreSQL `billing_events`, SQLite `stored_events`).
"""

from __future__ import annotations

import json
import sqlite3
import time
import uuid
from pathlib import Path

import psycopg

from bench_lib.stats import percentiles

TABLE = "bench_raw"
COLUMNS = "originator_id, originator_version, topic, state"


def sqlite_path(url: str) -> str:
    return url.removeprefix("sqlite:///")


def rows_of(facts_path: Path) -> list[tuple]:
    rows = []
    for line in facts_path.read_text(encoding="utf-8").splitlines():
        fact = json.loads(line)
        rows.append((uuid.uuid5(uuid.NAMESPACE_URL, fact["key"]), 1, "bench:" + fact["type"], line.encode()))
    return rows


RUNS = 3  # the reference is the best of these: the bare driver at its fastest


def raw_write(url: str, facts_path: Path, singles: int) -> dict:
    rows = rows_of(facts_path)
    write = _pg_write if url.startswith("postgresql") else _sqlite_write
    target = url if url.startswith("postgresql") else sqlite_path(url)
    runs = [write(target, rows, singles if n == 0 else 0) for n in range(RUNS)]
    bulk = min(seconds for seconds, _ in runs)
    return {"rows": len(rows), "seconds": bulk, "rows_per_s": len(rows) / bulk, "runs": [s for s, _ in runs],
            "single_insert_ms": percentiles(runs[0][1])}


def _pg_write(url: str, rows: list[tuple], singles: int) -> tuple[float, list[float]]:
    with psycopg.connect(url) as conn:
        conn.execute(f"DROP TABLE IF EXISTS {TABLE}")
        conn.execute(f"CREATE TABLE {TABLE} (originator_id uuid NOT NULL, originator_version bigint NOT NULL, "
                     "topic text, state bytea)")
        conn.commit()
        start = time.perf_counter()
        with conn.cursor() as cursor, cursor.copy(f"COPY {TABLE} ({COLUMNS}) FROM STDIN (FORMAT BINARY)") as copy:
            copy.set_types(["uuid", "int8", "text", "bytea"])
            for row in rows:
                copy.write_row(row)
        conn.commit()
        bulk = time.perf_counter() - start
        latencies = []
        for n in range(singles):
            start = time.perf_counter()
            conn.execute(f"INSERT INTO {TABLE} ({COLUMNS}) VALUES (%s, %s, %s, %s)", (uuid.uuid4(), 1, "single", b"{}"))
            conn.commit()
            latencies.append(time.perf_counter() - start)
        conn.execute(f"DROP TABLE {TABLE}")
        conn.commit()
    return bulk, latencies


def _sqlite_write(path: str, rows: list[tuple], singles: int) -> tuple[float, list[float]]:
    conn = sqlite3.connect(path)
    try:
        conn.execute(f"DROP TABLE IF EXISTS {TABLE}")
        conn.execute(f"CREATE TABLE {TABLE} (originator_id TEXT, originator_version INTEGER, topic TEXT, state BLOB)")
        conn.commit()
        text_rows = [(str(r[0]), r[1], r[2], r[3]) for r in rows]
        start = time.perf_counter()
        conn.executemany(f"INSERT INTO {TABLE} ({COLUMNS}) VALUES (?, ?, ?, ?)", text_rows)
        conn.commit()
        bulk = time.perf_counter() - start
        latencies = []
        for n in range(singles):
            start = time.perf_counter()
            conn.execute(f"INSERT INTO {TABLE} ({COLUMNS}) VALUES (?, ?, ?, ?)", (str(uuid.uuid4()), 1, "single", b"{}"))
            conn.commit()
            latencies.append(time.perf_counter() - start)
        conn.execute(f"DROP TABLE {TABLE}")
        conn.commit()
    finally:
        conn.close()
    return bulk, latencies


def raw_read(url: str) -> dict:
    runs = [_read(url) for _ in range(RUNS)]
    count, seconds = runs[0][0], min(s for _, s in runs)
    return {"events": count, "seconds": seconds, "events_per_s": count / seconds, "runs": [s for _, s in runs]}


def _read(url: str) -> tuple[int, float]:
    count, start = 0, time.perf_counter()
    if url.startswith("postgresql"):
        with psycopg.connect(url) as conn, conn.cursor(name="bench_read") as cursor:
            cursor.itersize = 1000
            cursor.execute("SELECT state FROM billing_events ORDER BY notification_id")
            while page := cursor.fetchmany(1000):
                for (state,) in page:
                    json.loads(state)
                count += len(page)
    else:
        conn = sqlite3.connect(sqlite_path(url))
        try:
            for (state,) in conn.execute("SELECT state FROM stored_events ORDER BY rowid"):
                json.loads(state)
                count += 1
        finally:
            conn.close()
    return count, time.perf_counter() - start
