"""`billing verify`'s drift checks shared between processes (issue 17): the chain and the
numbering are checked in one pass by the command's own process; then each of N processes
recomputes the documents of every Nth group of clients from their own events, and the findings
are put back in the clients' order, as one process finds them (application/verify_by_client.py)."""

from __future__ import annotations

from application.verify_by_client import DriftOf, GroupFindings
from infrastructure.workers import pool


def shared_drift(url: str, count: int) -> DriftOf:
    def drift(clients: list[str], altered: set[str]) -> GroupFindings:
        with pool(count) as processes:
            shares = processes.map(drift_share, [url] * count, [clients] * count, [altered] * count,
                              [(k, count) for k in range(count)])
            return [group for share in shares for group in share]

    return drift


def drift_share(url: str, clients: list[str], altered: set[str], share: tuple[int, int]) -> GroupFindings:
    from application.verify_by_client import groups_drift
    from infrastructure.cli.wiring import services

    with services(url) as s:
        return groups_drift(s.catalog, s.client_events, clients, altered, share)
