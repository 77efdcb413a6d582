"""A one-shot `billing advance` shared by workers (issue 17; application/advance_by_parts.py).

A run is named by what its partitions are drafted against (the date, the horizon, each
sequence's version, the number of partitions): every worker that starts on the same store state
joins the same run, on this machine or another. A worker takes a partition by its lock
(infrastructure/locks.py: an advisory lock on PostgreSQL, a byte of a side file on SQLite), drafts
it and keeps its drafts in `billing_advance_parts`; a worker that dies lets its lock go and the
others take the partition. When every partition is drafted, the first worker to take the
issuing lock numbers them all, in short transactions on the sequences alone; the others find the
run issued and stop. SQLite has one writer: its workers share one machine.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date

import structlog

from application.advance_by_parts import attesting
from application.billed_runs import BilledRun, billed_run
from application.advance_parts import CLIENTS_PER_PART, PartDrafts, RunStart, draft_part, groups, part_count, part_of
from application.client_folds import brought_up_to_date, client_ledger
from application.ledger import Ledger
from application.log_chain import sealed_before
from application.log_owners import Earlier
from domain.clients import Client
from domain.issuing import DocumentSequence
from infrastructure.billed_run_store import advance_tables, billing_digest, changed_since, keep_billed, last_billed
from infrastructure.advance_run_table import drafted_parts, forget, is_issued, joined_run, mark_issued, scope
from infrastructure.locks import lock_for, part_locks_for
from infrastructure.workers import PARALLEL_FROM, pool
from projections.stream_queries import all_clients

log = structlog.get_logger("billing.advance")
POLL = 0.2  # seconds between two looks at what the other workers have done
ISSUE_LOCK_KEY = 0x62696C6C69737375  # "billissu"
PART_CLIENTS_ENV = "BILLING_PART_CLIENTS"  # clients per partition (application/advance_parts.py: CLIENTS_PER_PART)


@dataclass
class StoreRun:
    """The `PartsRun` of application/advance_by_parts.py on a store; `helpers`: how many more
    processes of this machine draft with this one."""

    services: object  # infrastructure/cli/wiring.py: Services
    helpers: int = 0
    full: bool = False  # every client drafted, whatever the last run billed
    run: str = ""
    parts: int = 1
    opened: bool = False  # this process opened the run (its helpers joined it)
    head: int = 0  # the log's head before anything was read
    to: date | None = None
    digest: str = ""
    before: BilledRun | None = None  # the run this one starts from
    drafted: set[str] = field(default_factory=set)

    def horizon(self) -> date | None:
        return self.services.documents_horizon()

    def draft(self, start: RunStart) -> None:
        s = self.services
        with s._sql() as sql:
            self.head = s.app.recorder.max_notification_id() or 0  # before the views: they cover it
            brought_up_to_date(s.app, sql)
            clients = self._to_draft(sql, start.to)
            self.parts = part_count(len(clients), int(os.environ.get(PART_CLIENTS_ENV) or CLIENTS_PER_PART))
            self.run, self.opened = joined_run(sql, start.name(self.parts) + scope(self.before, clients), self.head)
        helpers = self.helpers if len(clients) >= PARALLEL_FROM else 0
        with pool(max(1, helpers)) as processes:
            futures = [processes.submit(draft_elsewhere, s.url, self.run, start, self.parts, clients)
                       for _ in range(helpers)]
            draft_parts(s, self.run, start, self.parts, clients)
            wait_for(futures)

    def _to_draft(self, sql: object, to: date) -> list[str]:
        """Every client; after a run that billed as far on the same terms and engine, only those
        something was written about since (application/billed_runs.py)."""
        s = self.services
        everyone = all_clients(sql)
        advance_tables(sql)
        self.to, self.digest = to, billing_digest(s.catalog, s.identities)
        before = None if self.full else last_billed(sql)
        self.before = before if before and before.covers(to, self.digest, self.head) else None
        if self.before is None:
            self.drafted = set(everyone)
            return everyone
        self.drafted = changed_since(s.app, sql, self.before, self.head)
        log.info("advance_from_billed_run", to=to.isoformat(), billed_to=self.before.to.isoformat(),
                 clients=len(everyone), drafted=len(self.drafted))
        return [c for c in everyone if c in self.drafted]

    @contextmanager
    def billing(self) -> Iterator[Callable[[list[PartDrafts]], None]]:
        """Notes what this process writes meanwhile; a run told what it issued (every partition's
        drafts) is kept as the start of the next one, if it opened its run itself."""
        issued: list[list[PartDrafts]] = []
        with self.services.app.recorder.noting() as written:
            yield issued.append
        if issued and self.opened and written.complete:
            with self.services._sql() as sql:
                keep_billed(sql, self.run, billed_run(self.to, self.digest, self.head, written.positions, issued[-1]))

    def _part(self, part: int) -> PartDrafts:
        s = self.services
        with s._sql() as sql, sql.reading():
            text = sql.execute("advance.part", (self.run, part))[0][0]
        return PartDrafts.from_dict(s.app.mapper.transcoder.decode(text.encode("utf-8")))

    @contextmanager
    def turn_to_issue(self, start: RunStart) -> Iterator[list[PartDrafts] | None]:
        lock = lock_for(self.services.url, ISSUE_LOCK_KEY, ".advance-issue.lock", "billing advance")
        while not lock.try_acquire():
            time.sleep(POLL)  # another worker numbers a run: this one's, or one before it
        try:
            with self.services._sql() as sql:
                if is_issued(sql, self.run):
                    yield None
                    return
                try:
                    carried = [self.before.carried(self.drafted)] if self.before else []
                    yield [self._part(part) for part in range(self.parts)] + carried
                finally:
                    forget(sql, self.run)
                mark_issued(sql, self.run)
        finally:
            lock.release()

    def ledger(self, client_ids: Sequence[str]) -> Ledger:
        head = self.services.app.recorder.max_notification_id() or 0
        with self.services._sql() as sql:
            ledger = client_ledger(self.services.app, sql, client_ids, facts=False)
        ledger.position = head
        return ledger

    def seal_owners(self, providers: dict[str, str]) -> Earlier:
        """Each aggregate's provider through its client (the streams view), a sequence's its own."""
        s = self.services
        with s._sql() as sql:
            brought_up_to_date(s.app, sql)
            with sql.reading():
                owners = dict(sql.select_in("streams.of", sorted(str(i) for i in sealed_before(s.app))))
        known = {DocumentSequence.id_for(p): p for p in ("btbconnect", "etincelle")}
        known |= {Client.id_for(client): provider for client, provider in providers.items()}

        def earlier(aggregate_id: object) -> str | None:
            client = owners.get(str(aggregate_id))
            return providers.get(client) if client else known.get(aggregate_id)

        return earlier


def draft_parts(s: object, run: str, start: RunStart, parts: int, clients: Sequence[str]) -> None:
    """Drafts the partitions no other worker holds, until every one is drafted or another
    worker has issued the run meanwhile."""
    locks = part_locks_for(s.url)
    try:
        while True:
            with s._sql() as sql:
                done, issued = drafted_parts(sql, run), is_issued(sql, run)
            if issued or len(done) == parts:
                return
            if not any(take(s, locks, run, start, parts, part, clients) for part in range(parts) if part not in done):
                time.sleep(POLL)
    finally:
        locks.close()


def take(s: object, locks: object, run: str, start: RunStart, parts: int, part: int, clients: Sequence[str]) -> bool:
    """True if this worker drafted the partition."""
    if not locks.try_take(part):
        return False
    try:
        with s._sql() as sql:
            if part in drafted_parts(sql, run):
                return False
            mine = [c for c in clients if part_of(c, parts) == part]
            drafts = draft_part((ledger_of(s, sql, group) for group in groups(mine)), s.catalog, start,
                                attesting(s.advance, start.to))
            text = s.app.mapper.transcoder.encode(drafts.as_dict()).decode("utf-8")
            with sql.transaction():
                sql.execute("advance.keep_part", (run, part, text))
        log.info("advance_part_drafted", run=run, part=part, clients=len(mine), drafts=len(drafts.drafted))
        return True
    finally:
        locks.give_back(part)


def ledger_of(s: object, sql: object, client_ids: Sequence[str]) -> Ledger:
    return client_ledger(s.app, sql, client_ids, facts=False)


def draft_elsewhere(url: str, run: str, start: RunStart, parts: int, clients: Sequence[str]) -> None:
    """A helper process of this machine: drafts partitions of the same run."""
    from infrastructure.cli.wiring import services

    with services(url) as s:
        draft_parts(s, run, start, parts, clients)


def wait_for(futures: list[Future]) -> None:
    for future in futures:
        future.result()
