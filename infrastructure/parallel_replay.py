"""`billing replay` shared between processes (issue 17): each takes every Nth group of clients,
replays it as one process would (application/replay.py: replay_by_group), and the reports are
merged. A document key is one client's, so the merged report is the one process's, line for
line."""

from __future__ import annotations

from concurrent.futures import as_completed
from datetime import date

from application.progress import Progress, no_progress
from application.replay import ReplayReport, merged
from infrastructure.terms_files import load_version
from infrastructure.workers import pool

Filters = tuple["str | None", "date | None", "date | None"]  # provider, from, to


def replay_shared(url: str, terms: str, horizon: date | None, filters: Filters, count: int,
                  progress: Progress = no_progress) -> ReplayReport:
    """The replay of every client under `terms` (a reference or an auditor's file) by `count`
    processes; `progress` is told the shares done."""
    with pool(count) as processes:
        futures = [processes.submit(replay_share, url, terms, horizon, filters, (k, count)) for k in range(count)]
        parts = []
        for future in as_completed(futures):
            parts.append(future.result())
            progress(len(parts), count)
    return merged(load_version(terms)[1].reference, parts)


def replay_share(url: str, terms: str, horizon: date | None, filters: Filters, share: tuple[int, int]) -> ReplayReport:
    from application.replay import replay_by_group
    from infrastructure.cli.wiring import services

    catalog, version = load_version(terms)
    provider, from_date, to_date = filters
    with services(url) as s:
        return replay_by_group(s.ledgers(share=share), catalog, version, horizon, provider, None, from_date, to_date)
