"""Single facts posted at the same time are judged and saved together (issue 17): a group commit.

One thread of the server judges the facts waiting in its queue as one batch of the ingest
service (each fact judged on its own, in arrival order, refused with its own status), saves them
in one transaction and only then answers each request. Eight callers posting at once cost one
commit and one read of the aggregates their facts name, not eight; a fact alone is judged at
once. Every guarantee of a single fact stays: it is recorded whole or not at all, a duplicate is
a no-op, and its answer comes after its commit.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from contextlib import contextmanager
from typing import Any

import structlog

log = structlog.get_logger("billing.http")
MOST = 500  # facts per group, as `billing ingest`'s batches

Outcome = tuple[int, str]  # (HTTP status, "recorded" / "duplicate" / why it was refused)
Group = list[tuple[dict, Any]]  # (fact, its request's scope check)
JudgeGroup = Callable[[Group], list[Outcome]]
_STOP = object()


class FactWriter:
    """`submit(fact, check)` gives a future of the fact's outcome; the writer's thread judges
    what waits, up to `most` facts at a time, with `judge_group`."""

    def __init__(self, judge_group: JudgeGroup, most: int = MOST):
        self.judge_group = judge_group
        self.most = most
        self._waiting: queue.SimpleQueue = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._run, name="billing-fact-writer", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        """The facts already waiting are judged first."""
        self._waiting.put(_STOP)
        self._thread.join()

    def submit(self, fact: dict, check: Any) -> Future:
        future: Future = Future()
        self._waiting.put((fact, check, future))
        return future

    def _run(self) -> None:
        stopping = False
        while not stopping:
            group, stopping = self._next_group()
            if group:
                self._judge(group)

    def _next_group(self) -> tuple[list, bool]:
        """What waits, at least one item (waited for), at most `most`; True once told to stop."""
        item = self._waiting.get()
        group = []
        while item is not _STOP:
            group.append(item)
            if len(group) >= self.most or self._waiting.empty():
                return group, False
            item = self._waiting.get()
        return group, True

    def _judge(self, group: list) -> None:
        try:
            outcomes = self.judge_group([(fact, check) for fact, check, _ in group])
        except BaseException as exc:  # noqa: BLE001 - the store's failure is each waiting request's answer
            for _, _, future in group:
                future.set_exception(exc)
            return
        for (_, _, future), outcome in zip(group, outcomes):
            future.set_result(outcome)
        log.debug("facts_judged_together", facts=len(group))


@contextmanager
def fact_writer(judge_group: JudgeGroup) -> Iterator[FactWriter]:
    writer = FactWriter(judge_group)
    writer.start()
    try:
        yield writer
    finally:
        writer.stop()
