"""Facts in: each fact validated, judged by its aggregate, and saved atomically with its key.

The same key with the same content is a duplicate (no-op); with other content it is refused.
A refused fact records nothing; the other facts of the same file still go in.
"""

from __future__ import annotations

import copy
import logging
from itertools import islice
from collections.abc import Callable, Iterable, Sized
from datetime import datetime
from typing import Any

import structlog
from eventsourcing.application import AggregateNotFoundError
from eventsourcing.persistence import IntegrityError

from application import btb_appointments, btb_handlers, common_handlers, ets_handlers
from application.app import BillingApp
from application.context import Context, Sealer, named_ids
from application.fact_providers import fact_client, fact_provider
from application.fact_lines import IngestReport, decode, decoded, key_of
from application.facts import parse_fact
from application.progress import Progress, no_progress
from application.idempotency import already_recorded, content_digest, stored_record
from application.unit_of_work import DirtyBatch, UnitOfWork
from domain.base import Stamp
from domain.identities import ProviderIdentities
from domain.errors import AlreadyExists, BillingError, IdempotencyConflict, NotFound
from domain.records import FactRecord
from domain.terms_catalog import TermsCatalog

log = structlog.get_logger("billing.ingest")

Handler = Callable[[Any, Context], list[Any]]
HANDLERS: dict[str, Handler] = {
    **common_handlers.HANDLERS,
    **btb_handlers.HANDLERS,
    **btb_appointments.HANDLERS,
    **ets_handlers.HANDLERS,
}

RECORDED, DUPLICATE = "recorded", "duplicate"
CONFLICT_ATTEMPTS = 5
__all__ = ["HANDLERS", "IngestReport", "IngestService"]
Admit = Callable[[dict, Callable[[Any], Any]], None]  # raises a BillingError for a fact it refuses


def admit_all(raw: dict, lookup: Callable[[Any], Any]) -> None:
    """Every fact may be judged (`IngestService.scoped` narrows it)."""


class IngestService:
    def __init__(
        self, app: BillingApp, catalog: TermsCatalog, clock: Callable[[], datetime],
        vault: Sealer | None = None, identities: ProviderIdentities | None = None,
    ):
        """`identities`: the providers' legal identities, for the documents issued from the facts
        (AdvanceService reads them here beside the terms)."""
        self.app = app
        self.catalog = catalog
        self.clock = clock
        self.vault = vault
        self.identities = identities or ProviderIdentities([])
        self.admit: Admit = admit_all

    def scoped(self, admit: Admit) -> IngestService:
        """This service, refusing what `admit(fact, lookup)` raises about before it judges a fact
        (the API's token scope), the facts recorded before in the same batch known to `lookup`."""
        service = copy.copy(self)
        service.admit = admit
        return service

    def ingest_lines(self, lines: Iterable[str], batch: int = 1, progress: Progress = no_progress,
                     total: int | None = None) -> IngestReport:
        """Records the facts of JSON lines; with batch > 1, that many per transaction. The lines are
        read as they are judged: a file of any size is never held whole. `total`: how many facts
        they hold, for `progress` (a list's are counted)."""
        if total is None and isinstance(lines, Sized):
            total = sum(1 for line in lines if line.strip())
        return self.ingest_items(((n, line) for n, line in enumerate(lines, start=1) if line.strip()), batch,
                                 progress, total)

    def ingest_items(self, numbered: Iterable[tuple[int, str | dict]], batch: int = 1,
                     progress: Progress = no_progress, total: int | None = None) -> IngestReport:
        """Records numbered facts, JSON lines or objects already decoded (the API's batches);
        with batch > 1, that many per transaction. The report tells each number's outcome;
        `progress(done, total)` is told after each transaction (total None if not known)."""
        report = IngestReport()
        work = UnitOfWork(self.app)
        total = len(numbered) if total is None and isinstance(numbered, Sized) else total
        items, done = iter(numbered), 0
        progress(done, total)
        while chunk := list(islice(items, batch)):
            if batch == 1 or not self._batch(chunk, report, work):
                # A conflict with a concurrent writer, or a dirty batch: nothing of it was saved.
                work = UnitOfWork(self.app)
                for number, line in chunk:
                    self._count(report, number, line)
            done += len(chunk)
            progress(done, total)
        return report

    def _batch(self, chunk: list[tuple[int, str | dict]], report: IngestReport, work: UnitOfWork) -> bool:
        """Records a chunk in one transaction. The aggregates stay loaded for the next chunk:
        if another writer changed one meanwhile, that chunk's save fails and is redone."""
        try:
            outcome, records = self._judge_chunk(chunk, work)
            work.save(*records)
        except (DirtyBatch, IntegrityError):
            return False
        work.trim()
        self._report(report, outcome, records)
        return True

    def _judge_chunk(self, chunk: list[tuple[int, str | dict]],
                     work: UnitOfWork) -> tuple[IngestReport, list[FactRecord]]:
        """Judges each fact against what one query read first; DirtyBatch if a refused fact left an event."""
        raws = decoded(chunk)
        work.prefetch(i for raw in raws.values() for i in named_ids(raw))
        seen: dict[tuple, str] = {}
        outcome, records = IngestReport(), []
        for number, line in chunk:
            try:
                record = self._judge(raws[number] if number in raws else decode(str(line), number), work, seen)
            except BillingError as exc:
                work.reject()
                outcome.refuse(number, key_of(line, number), exc)
                continue
            outcome.duplicates += record is None
            outcome.outcomes[number] = DUPLICATE if record is None else RECORDED
            records += [record] if record is not None else []
        return outcome, records

    def _judge(self, raw: dict, work: UnitOfWork, seen: dict[tuple, str]) -> FactRecord | None:
        fact = parse_fact(raw)
        self.admit(raw, work.lookup)
        fact_digest = content_digest(fact, raw, self.vault)
        scoped = (fact_provider(fact, work.lookup), fact.key)
        if scoped in seen:
            if seen[scoped] != fact_digest:
                raise IdempotencyConflict(f"fact {fact.key!r}: this key was already used with other content; "
                                          "use a new key for a new fact")
            return None
        if already_recorded(stored_record(work.lookup, fact), fact, fact_digest):
            return None
        ctx = self._context(fact, work)
        changed = HANDLERS[fact.type](fact, ctx)
        caused = work.accept(changed)
        seen[scoped] = fact_digest
        return FactRecord.accept(provider_of(fact, work.lookup), fact.type, fact_digest, caused, ctx.stamp,
                                 fact_client(fact, changed, work.lookup))

    def _context(self, fact: Any, work: UnitOfWork | None = None) -> Context:
        return Context(self.app, self.catalog, Stamp(fact.at, self.clock(), fact.key), fact.type, self.vault, work)

    def _report(self, report: IngestReport, outcome: IngestReport, records: list[FactRecord]) -> None:
        report.recorded += len(records)
        report.duplicates += outcome.duplicates
        report.refused += outcome.refused
        report.outcomes |= outcome.outcomes
        report.errors |= outcome.errors
        logger = log.bind()  # once per chunk, not per fact
        if getattr(logger, "is_enabled_for", lambda level: True)(logging.INFO):
            for record in records:
                logger.info("fact_recorded", key=record.key, type=record.type, at=record.at.isoformat())
        for refusal in outcome.refused:
            logger.warning("fact_refused", key=refusal["key"], error=refusal["error"])

    def _count(self, report: IngestReport, number: int, line: str | dict) -> None:
        try:
            outcome = self.ingest(line if isinstance(line, dict) else decode(line, number))
        except BillingError as exc:
            report.refuse(number, key_of(line, number), exc)
            log.warning("fact_refused", key=key_of(line, number), error=str(exc))
            return
        report.outcomes[number] = outcome
        if outcome == RECORDED:
            report.recorded += 1
        else:
            report.duplicates += 1

    def ingest(self, raw: dict) -> str:
        fact = parse_fact(raw)
        self.admit(raw, self.lookup)
        fact_digest = content_digest(fact, raw, self.vault)
        for attempt in range(1, CONFLICT_ATTEMPTS + 1):
            if already_recorded(stored_record(self.lookup, fact), fact, fact_digest):
                return DUPLICATE
            if self._record(fact, fact_digest):
                log.info("fact_recorded", key=fact.key, type=fact.type, at=fact.at.isoformat())
                return RECORDED
            # Another writer changed an aggregate of this fact meanwhile: judged again on what it wrote.
            log.info("fact_conflict_retry", key=fact.key, attempt=attempt)
        raise AlreadyExists(f"fact {fact.key!r} conflicted {CONFLICT_ATTEMPTS} times with facts recorded at the "
                            "same time; send it again")

    def holds_key(self, raw: dict) -> bool:
        """True if this fact's key is taken within its provider (by it or another fact)."""
        return stored_record(self.lookup, parse_fact(raw)) is not None

    def lookup(self, aggregate_id: Any) -> Any:
        """A stored aggregate, or None."""
        try:
            return self.app.repository.get(aggregate_id)
        except AggregateNotFoundError:
            return None

    def _record(self, fact: Any, fact_digest: str) -> bool:
        """Judges and saves the fact; False if a concurrent writer got there first."""
        ctx = self._context(fact)
        changed = HANDLERS[fact.type](fact, ctx)
        caused = [f"{e.originator_id}:{e.originator_version}" for a in changed for e in a.pending_events]
        try:
            self.app.save(FactRecord.accept(provider_of(fact, self.lookup), fact.type, fact_digest, caused, ctx.stamp,
                                            fact_client(fact, changed, self.lookup)), *changed)
        except IntegrityError:
            return False
        return True


def provider_of(fact: Any, lookup: Any) -> str:
    """The provider of a fact its handler accepted (so its client is known)."""
    provider = fact_provider(fact, lookup)
    if provider is None:
        raise NotFound(f"fact {fact.key!r}: names no registered client or issued invoice; send that first")
    return provider
