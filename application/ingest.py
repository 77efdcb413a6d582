"""Facts in: each fact validated, judged by its aggregate, and saved atomically with its key.

The same key with the same content is a duplicate (no-op); with other content it is refused.
A refused fact records nothing; the other facts of the same file still go in.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

import structlog
from eventsourcing.application import AggregateNotFoundError
from eventsourcing.persistence import IntegrityError

from application import btb_appointments, btb_handlers, common_handlers, ets_handlers
from application.app import BillingApp
from application.context import Context, Sealer, id_of, named_ids
from application.ets_facts import PERSONAL_DATA_FACTS
from application.fact_lines import IngestReport, decode, decoded, key_of
from application.facts import Fact, digest, parse_fact
from application.unit_of_work import DirtyBatch, UnitOfWork
from domain.errors import AlreadyExists, BillingError, IdempotencyConflict, InvalidFact
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
__all__ = ["HANDLERS", "IngestReport", "IngestService"]


class IngestService:
    def __init__(
        self, app: BillingApp, catalog: TermsCatalog, clock: Callable[[], datetime],
        vault: Sealer | None = None,
    ):
        self.app = app
        self.catalog = catalog
        self.clock = clock
        self.vault = vault

    def ingest_lines(self, lines: Iterable[str], batch: int = 1) -> IngestReport:
        """Records the facts of JSON lines; with batch > 1, that many per transaction."""
        report = IngestReport()
        numbered = [(n, line) for n, line in enumerate(lines, start=1) if line.strip()]
        work = UnitOfWork(self.app)
        for start in range(0, len(numbered), batch):
            chunk = numbered[start:start + batch]
            if batch == 1 or not self._batch(chunk, report, work):
                # A conflict with a concurrent writer, or a dirty batch: nothing of it was saved.
                work = UnitOfWork(self.app)
                for number, line in chunk:
                    self._count(report, number, line)
        return report

    def _batch(self, chunk: list[tuple[int, str]], report: IngestReport, work: UnitOfWork) -> bool:
        """Records a chunk in one transaction. The aggregates stay loaded for the next chunk:
        if another writer changed one meanwhile, that chunk's save fails and is redone."""
        raws = decoded(chunk)
        work.prefetch(i for raw in raws.values() for i in named_ids(raw))
        seen: dict[str, str] = {}
        outcome = IngestReport()
        records = []
        for number, line in chunk:
            try:
                record = self._judge(raws.get(number) or decode(line, number), work, seen)
            except BillingError as exc:
                try:
                    work.reject()
                except DirtyBatch:
                    return False
                outcome.refused.append({"key": key_of(line, number), "error": str(exc)})
                continue
            if record is None:
                outcome.duplicates += 1
            else:
                records.append(record)
        try:
            work.save(*records)
        except IntegrityError:
            return False
        work.trim()
        self._report(report, outcome, records)
        return True

    def _judge(self, raw: dict, work: UnitOfWork, seen: dict[str, str]) -> FactRecord | None:
        fact = parse_fact(raw)
        fact_digest = self._digest(fact, raw)
        if fact.key in seen:
            if seen[fact.key] != fact_digest:
                raise IdempotencyConflict(f"fact {fact.key!r}: this key was already used with other content; "
                                          "use a new key for a new fact")
            return None
        if self._known(work.lookup(id_of(FactRecord, fact.key)), fact, fact_digest):
            return None
        ctx = Context(self.app, self.catalog, self.clock(), self.vault, work)
        caused = work.accept(HANDLERS[fact.type](fact, ctx))
        seen[fact.key] = fact_digest
        return FactRecord.accept(fact.key, fact.type, fact_digest, caused, fact.at, ctx.recorded_at)

    def _report(self, report: IngestReport, outcome: IngestReport, records: list[FactRecord]) -> None:
        report.recorded += len(records)
        report.duplicates += outcome.duplicates
        report.refused += outcome.refused
        for record in records:
            log.info("fact_recorded", key=record.key, type=record.type, at=record.at.isoformat())
        for refusal in outcome.refused:
            log.warning("fact_refused", key=refusal["key"], error=refusal["error"])

    def _count(self, report: IngestReport, number: int, line: str) -> None:
        try:
            outcome = self.ingest(decode(line, number))
        except BillingError as exc:
            report.refused.append({"key": key_of(line, number), "error": str(exc)})
            log.warning("fact_refused", key=key_of(line, number), error=str(exc))
            return
        if outcome == RECORDED:
            report.recorded += 1
        else:
            report.duplicates += 1

    def ingest(self, raw: dict) -> str:
        fact = parse_fact(raw)
        fact_digest = self._digest(fact, raw)
        if self._seen(fact, fact_digest):
            return DUPLICATE
        ctx = Context(self.app, self.catalog, self.clock(), self.vault)
        changed = HANDLERS[fact.type](fact, ctx)
        caused = [f"{e.originator_id}:{e.originator_version}" for a in changed for e in a.pending_events]
        record = FactRecord.accept(fact.key, fact.type, fact_digest, caused, fact.at, ctx.recorded_at)
        try:
            self.app.save(record, *changed)
        except IntegrityError:
            # Someone recorded this key (or the same aggregate) at the same moment.
            if self._seen(fact, fact_digest):
                return DUPLICATE
            raise AlreadyExists(f"fact {fact.key!r} conflicts with a fact recorded at the same time; retry it") from None
        log.info("fact_recorded", key=fact.key, type=fact.type, at=fact.at.isoformat())
        return RECORDED

    def _digest(self, fact: Fact, raw: dict) -> str:
        """Personal data is never hashed in clear: a keyed digest with the client's key."""
        if fact.type not in PERSONAL_DATA_FACTS:
            return digest(raw)
        if self.vault is None:
            raise InvalidFact(f"fact {fact.key!r}: personal data cannot be recorded without a vault")
        return self.vault.keyed_digest(raw["client_id"], {k: v for k, v in raw.items() if k != "key"})

    def _seen(self, fact: Fact, fact_digest: str) -> bool:
        try:
            record = self.app.repository.get(FactRecord.id_for(fact.key))
        except AggregateNotFoundError:
            record = None
        return self._known(record, fact, fact_digest)

    @staticmethod
    def _known(record: FactRecord | None, fact: Fact, fact_digest: str) -> bool:
        """True if this key is recorded with this content; refused if with other content."""
        if record is None:
            return False
        if record.digest != fact_digest:
            raise IdempotencyConflict(
                f"fact {fact.key!r}: this key was already used by another {record.type} fact with "
                "other content; use a new key for a new fact"
            )
        return True
