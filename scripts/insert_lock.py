"""How far concurrent writers scale on one store (issue 17: "what does not scale: measure it").

    .venv/bin/python scripts/insert_lock.py FACTS.jsonl --db URL [--facts N] [--writers 1 2]

Splits the first N facts of a history (`scripts/bench`'s, one JSON fact per line) into disjoint
parts by client, then, for each count of writers, ingests them
into a brand-new store (a new database on the PostgreSQL server of URL, or a new SQLite file next
to URL's) with that many `billing ingest` processes at once, and reports the facts recorded per
second of wall time. On PostgreSQL it also samples `pg_stat_activity` every 20 ms: the share of
samples in which a writer waits for a lock, which is the event store's insert lock (the library
locks the events table for each transaction, so that notification ids follow commit order).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import threading
import time
import uuid
import zlib
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def halves(facts: Path, count: int, parts: int, folder: Path) -> list[Path]:
    """The first `count` facts cut into `parts` files, a client's facts all in one."""
    files = [folder / f"part-{n}.jsonl" for n in range(parts)]
    outs = [f.open("w", encoding="utf-8") for f in files]
    with facts.open(encoding="utf-8") as lines:
        for n, line in enumerate(lines):
            if n >= count:
                break
            outs[zlib.crc32(client_of(json.loads(line)["key"]).encode()) % parts].write(line)
    for out in outs:
        out.close()
    return files


def client_of(key: str) -> str:
    """The client a fact of the bench history is about: its key begins with the client's id
    (E01413-S007-h, B000030-reg) or its subscription's (BS000030-start: client B000030)."""
    head = key.split("-", 1)[0]
    return "B" + head[2:] if head.startswith("BS") else head


def new_store(url: str, folder: Path) -> str:
    if not url.startswith("postgresql"):
        return f"sqlite:///{folder / f'lock-{uuid.uuid4().hex[:8]}.db'}"
    import psycopg

    name = f"billing_lock_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    return url.rsplit("/", 1)[0] + "/" + name


def lock_waits(url: str, stop: threading.Event, samples: list[tuple[int, int]]) -> None:
    """(writers active, writers waiting for a lock) every 20 ms, until `stop`."""
    import psycopg

    query = ("SELECT count(*) FILTER (WHERE state = 'active'), count(*) FILTER (WHERE wait_event_type = 'Lock') "
             "FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()")
    with psycopg.connect(url, autocommit=True) as conn:
        while not stop.wait(0.02):
            samples.append(conn.execute(query).fetchone())


def run(files: list[Path], url: str) -> dict:
    command = [str(REPO / ".venv" / "bin" / "billing"), "ingest"]
    env = {"BILLING_LOG_LEVEL": "warning", "PATH": "/usr/bin:/bin"}
    stop, samples = threading.Event(), []
    sampler = threading.Thread(target=lock_waits, args=(url, stop, samples)) if url.startswith("postgresql") else None
    if sampler:
        sampler.start()
    start = time.perf_counter()
    writers = [subprocess.Popen([*command, str(f), "--db", url, "--format", "json"], stdout=subprocess.PIPE,
                                stderr=subprocess.DEVNULL, env=env) for f in files]
    reports = [json.loads(w.communicate()[0]) for w in writers]
    recorded, refused = sum(r["recorded"] for r in reports), sum(len(r["refused"]) for r in reports)
    seconds = time.perf_counter() - start
    stop.set()
    if sampler:
        sampler.join()
    busy = [s for s in samples if s[0]]
    waiting = sum(w for _, w in busy) / max(1, sum(a for a, _ in busy))
    return {"writers": len(files), "recorded": recorded, "refused": refused, "seconds": round(seconds, 2),
            "facts_per_s": round(recorded / seconds), "lock_wait_share": round(waiting, 3) if sampler else None}


def main(argv: list[str]) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("facts", type=Path)
    p.add_argument("--db", required=True, help="a PostgreSQL server URL, or an SQLite URL (its folder is used)")
    p.add_argument("--facts", type=int, default=60_000, dest="count")
    p.add_argument("--writers", type=int, nargs="+", default=[1, 2])
    args = p.parse_args(argv)
    with tempfile.TemporaryDirectory() as folder:
        for writers in args.writers:
            files = halves(args.facts, args.count, writers, Path(folder))
            print(json.dumps(run(files, new_store(args.db, Path(folder)))), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
