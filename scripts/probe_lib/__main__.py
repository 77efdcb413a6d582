"""`scripts/probe`: hostile fact files, parallel runs, kill -9 of advance, and edits of the store
behind the engine's back, each through the real `billing` command on a fresh store of each
backend. Prints a table of what held and the figures; exit 1 if anything did not."""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path


from bench_lib import history
from bench_lib.runner import REPO, postgres_database
from probe_lib.event_table import event_table
from probe_lib.hostile import kinds

BILLING = str(Path(sys.executable).parent / "billing")
TO = "2027-03-31"
Store = Callable[[], contextlib.AbstractContextManager[str]]


def billing(*args: str, db: str, stdin: bytes | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, "BILLING_LOG_LEVEL": "warning", "PYTHONPATH": str(REPO)}
    return subprocess.run([BILLING, *args, "--db", db], input=stdin, capture_output=True, env=env, cwd=REPO,
                          timeout=600)


def started(*args: str, db: str) -> subprocess.Popen:
    env = {**os.environ, "BILLING_LOG_LEVEL": "warning", "PYTHONPATH": str(REPO)}
    return subprocess.Popen([BILLING, *args, "--db", db], stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env,
                            cwd=REPO)


def documents(db: str) -> list[tuple]:
    rows = json.loads(billing("invoices", "--format", "json", db=db).stdout)
    return [(r["number"], r["key"], r["total_ttc"]) for r in rows]


def findings(db: str, *options: str) -> list[str]:
    out = billing("verify", "--format", "json", *options, db=db).stdout
    return [f["kind"] for f in json.loads(out)["findings"]]


@contextlib.contextmanager
def prepared(store: Store, facts: bytes) -> Iterator[str]:
    """A fresh store with the history recorded and issued."""
    with store() as db:
        billing("ingest", "-", db=db, stdin=facts)
        billing("advance", "--to", TO, db=db)
        yield db


# --- the steps ----------------------------------------------------------------------------------


def hostile_file(store: Store, facts: bytes, per_kind: int) -> dict:
    bad = kinds(per_kind)
    valid = facts.splitlines()
    mixed = [line for pair in zip(valid, [b for lines in bad.values() for b in lines]) for line in pair]
    mixed += valid[len(mixed) // 2:]
    with store() as db, tempfile.NamedTemporaryFile(suffix=".jsonl") as file:
        file.write(b"\n".join(mixed) + b"\n")
        file.flush()
        started_at = time.perf_counter()
        result = billing("ingest", file.name, "--format", "json", db=db)
        seconds = time.perf_counter() - started_at
    report = json.loads(result.stdout)
    hostile = sum(len(lines) for lines in bad.values())
    held = (len(report["refused"]) == hostile and report["recorded"] == len(valid)
            and b"Traceback" not in result.stderr)
    return {"held": held, "kinds": len(bad), "hostile lines": hostile, "refused": len(report["refused"]),
            "valid lines": len(valid), "recorded": report["recorded"], "seconds": round(seconds, 2)}


def parallel_runs(store: Store, facts: bytes, n: int) -> dict:
    with store() as db:
        ingests = [started("ingest", "-", db=db) for _ in range(n)]
        for p in ingests:
            p.communicate(facts)
        advances = [started("advance", "--to", TO, db=db) for _ in range(n)]
        for p in advances:
            p.communicate()
        found = findings(db)
    failed = sum(p.returncode != 0 for p in ingests + advances)
    return {"held": failed == 0 and not found, "processes": 2 * n, "failed": failed, "verify findings": len(found)}


def killed_advances(store: Store, facts: bytes, kills: int, seed: int) -> dict:
    rng = random.Random(seed)
    with contextlib.ExitStack() as stack:
        reference = documents(stack.enter_context(prepared(store, facts)))
        db = stack.enter_context(store())
        billing("ingest", "-", db=db, stdin=facts)
        landed = 0
        for _ in range(kills):
            run = started("advance", "--to", TO, db=db)
            time.sleep(rng.uniform(0.5, 2.0))  # the command starts in about 0.5 s
            landed += run.poll() is None
            with contextlib.suppress(ProcessLookupError):
                run.send_signal(signal.SIGKILL)
            run.wait()
        billing("advance", "--to", TO, db=db)
        same, found = documents(db) == reference, findings(db)
    return {"held": same and not found, "kills": kills, "mid-run": landed, "documents": len(reference),
            "identical to one run": same, "verify findings": len(found)}


def tampering(store: Store, facts: bytes) -> dict:
    caught = {}
    for name, (edit, expected) in TAMPERING.items():
        with prepared(store, facts) as db:
            anchor = json.loads(billing("verify", "--anchor", "--format", "json", db=db).stdout)["anchor"]
            edit(db)
            caught[name] = expected in findings(db, "--expect", anchor)
    return {"held": all(caught.values()), **{name: "found" if ok else "MISSED" for name, ok in caught.items()}}


# --- edits behind the engine's back ----------------------------------------------------------


def sql(db: str, statement: str, params: tuple = ()) -> list[tuple]:
    with event_table(db) as (conn, table, mark):
        query = statement.format(t=table, p=mark)
        cursor = conn.execute(query, params) if params else conn.execute(query)
        return cursor.fetchall() if cursor.description else []


def one_of(db: str, topic: str) -> tuple:
    return sql(db, "SELECT originator_id, originator_version, state FROM {t} WHERE topic LIKE {p} ORDER BY 1 LIMIT 1",
               (f"%{topic}",))[0]


def change(topic: str, old: bytes, new: bytes) -> Callable[[str], None]:
    def edit(db: str) -> None:
        oid, version, state = one_of(db, topic)
        sql(db, "UPDATE {t} SET state = {p} WHERE originator_id = {p} AND originator_version = {p}",
            (bytes(state).replace(old, new, 1), oid, version))
    return edit


def remove(where: str, params: Callable[[str], tuple]) -> Callable[[str], None]:
    return lambda db: sql(db, "DELETE FROM {t} WHERE " + where, params(db))


def position(db: str) -> str:
    return "notification_id" if db.startswith("postgresql") else "rowid"


def delete_last_document(db: str) -> None:
    (last,), = sql(db, f"SELECT MAX({position(db)}) FROM {{t}} WHERE topic LIKE '%DocumentIssued'")
    sql(db, f"DELETE FROM {{t}} WHERE {position(db)} = {{p}}", (last,))


def middle_event(db: str) -> tuple:
    return (sql(db, "SELECT originator_id FROM {t} GROUP BY originator_id HAVING MAX(originator_version) >= 3 "
                    "ORDER BY 1 LIMIT 1")[0][0],)


def rewrite_and_drop_seals(db: str) -> None:
    change("DocumentIssued", b'.00"', b'.01"')(db)
    sql(db, "DELETE FROM {t} WHERE topic LIKE '%LogSeal.%'")


TAMPERING = {
    "a fact changed": (change("ClientRegistered", b"Cabinet", b"Cabinez"), "altered"),
    "the last document deleted": (delete_last_document, "missing"),
    "an event deleted mid-aggregate": (remove("originator_id = {p} AND originator_version = 2", middle_event),
                                       "missing"),
    "a document and the seals rewritten": (rewrite_and_drop_seals, "unanchored"),
}


# --- the run -----------------------------------------------------------------------------------


def history_lines(scale: float, seed: int) -> bytes:
    return "".join(json.dumps(f) + "\n" for f in history.facts(history.Size.scaled(scale), seed)).encode()


def sqlite_store() -> Store:
    folder = Path(tempfile.mkdtemp(prefix="billing-probe-"))
    counter = iter(range(10**6))

    @contextlib.contextmanager
    def fresh() -> Iterator[str]:
        yield f"sqlite:///{folder / f'probe-{next(counter)}.db'}"
    return fresh


def postgres_store(server: str) -> Store:
    return lambda: postgres_database(server)


def main(argv: list[str]) -> int:
    p = argparse.ArgumentParser(prog="scripts/probe", description=__doc__)
    p.add_argument("--pg", metavar="URL", help="a PostgreSQL server URL (databases made and dropped on it)")
    p.add_argument("--parallel", type=int, default=8, help="processes run at once (default 8)")
    p.add_argument("--kills", type=int, default=4, help="kill -9 of advance (default 4)")
    p.add_argument("--per-kind", type=int, default=20, help="hostile lines of each kind (default 20)")
    p.add_argument("--seed", type=int, default=1)
    args = p.parse_args(argv)
    facts, larger = (history_lines(scale, args.seed) for scale in (0.003, 0.02))
    stores = {"sqlite": sqlite_store(), **({"postgres": postgres_store(args.pg)} if args.pg else {})}
    results = {}
    for name, store in stores.items():
        results[name] = {
            "hostile file": hostile_file(store, facts, args.per_kind),
            "parallel runs": parallel_runs(store, facts, args.parallel),
            "kill -9 of advance": killed_advances(store, larger, args.kills, args.seed),
            "tampering": tampering(store, facts),
        }
        for step, figures in results[name].items():
            print(f"[{name}] {step}: " + ", ".join(f"{k} {v}" for k, v in figures.items()), flush=True)
    return 0 if all(step["held"] for backend in results.values() for step in backend.values()) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
