"""Work shared between processes on one machine (issue 17): how many, from how many clients on,
and their pool. Each process opens the store itself (`spawn`: nothing of the parent's
connections is inherited); the work given to each is a share of the clients, which never need
each other's facts."""

from __future__ import annotations

import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor

from infrastructure.logs import configure_logging

WORKERS_ENV = "BILLING_WORKERS"
PARALLEL_FROM = 1000  # clients from which work is shared: below, starting processes costs more than it saves


def workers() -> int:
    """`BILLING_WORKERS`, else one process per processor."""
    return max(1, int(os.environ.get(WORKERS_ENV) or os.cpu_count() or 1))


def pool(count: int) -> ProcessPoolExecutor:
    """Each process logs as the command does: JSON on stderr (stdout is the command's output)."""
    return ProcessPoolExecutor(count, mp_context=multiprocessing.get_context("spawn"), initializer=configure_logging)
