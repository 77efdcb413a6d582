"""The table of the one-shot advance's runs (infrastructure/advance_run.py): which run a worker
joins, which partitions are drafted, whether a run is issued."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import datetime, timedelta, timezone

from application.billed_runs import BilledRun

# Workers join a run started this recently, no older one: its drafts would miss the facts recorded since.
JOIN_WITHIN = timedelta(minutes=10)


def joined_run(sql: object, state: str, head: int) -> tuple[str, bool]:
    """The run not issued yet that a worker started on the same store state less than
    `JOIN_WITHIN` ago, else a new one (named by the state, the log's head and the time); True if new."""
    now = datetime.now(timezone.utc)
    with sql.transaction(schema=True):  # one worker at a time opens a run
        sql.create_schema("advance")
        found = sql.execute("advance.open_run", (state, (now - JOIN_WITHIN).isoformat()))
        if found:
            return found[0][0], False
        run = f"{state}@{head}@{now.isoformat()}"
        sql.execute("advance.start_run", (run, state, now.isoformat()))
        return run, True


def scope(before: BilledRun | None, clients: Sequence[str]) -> str:
    """Workers join a run that drafts the same clients only: all of them, or the same few."""
    if before is None:
        return ""
    return "|" + hashlib.sha256("\n".join(clients).encode("utf-8")).hexdigest()[:16]


def drafted_parts(sql: object, run: str) -> set[int]:
    with sql.reading():
        return {row[0] for row in sql.execute("advance.drafted_parts", (run,))}


def is_issued(sql: object, run: str) -> bool:
    with sql.reading():
        return bool(sql.execute("advance.issued", (run,)))


def mark_issued(sql: object, run: str) -> None:
    with sql.transaction():
        sql.execute("advance.mark_issued", (datetime.now(timezone.utc).isoformat(), run))


def forget(sql: object, run: str) -> None:
    with sql.transaction():
        sql.execute("advance.forget_parts", (run,))
