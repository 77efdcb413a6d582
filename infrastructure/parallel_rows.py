"""The kept rows of many stale clients rewritten by several processes at once (after a
month-end every client is stale): each process takes every Nth of them and rewrites their rows
from their own folds, exactly as one process does (application/kept_rows.py). A client's rows
never need another client's facts, and each group of clients is written in its own transaction
that clears only the marks it read, so the processes share nothing but the database."""

from __future__ import annotations

from infrastructure.workers import pool


def rewrite_in_parallel(url: str, stale: list[str], count: int) -> int:
    """Rewrites these clients' rows in `count` processes; returns how many were rewritten."""
    parts = [stale[i::count] for i in range(count)]
    with pool(count) as processes:
        return sum(processes.map(rewrite_part, [url] * count, parts))


def rewrite_part(url: str, clients: list[str]) -> int:
    from application.kept_rows import refresh
    from infrastructure.cli.wiring import services

    with services(url) as s, s._sql() as sql:
        return refresh(s.app, sql, s.catalog, s.identities, clients)
