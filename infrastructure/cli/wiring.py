"""Builds the application services a command needs, on the store its --db names."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime

import structlog

from application.app import BillingApp
from domain.identities import ProviderIdentities
from domain.terms_catalog import TermsCatalog
from infrastructure.clock import system_clock
from infrastructure.provider_files import load_identities
from infrastructure.secrets import key_from_environment
from infrastructure.runtime import tune_garbage_collection
from infrastructure.store import database_url, environment, open_app
from infrastructure.terms_files import load_catalog
from infrastructure.vault import Vault
from application.client_folds import (client_events, client_ledger, document_client, documents_horizon,
                                      ledgers_by_group, rows_followed)
from application.kept_rows import refresh
from infrastructure.parallel_rows import rewrite_in_parallel
from infrastructure.workers import PARALLEL_FROM, workers
from projections.row_writes import stale_marks
from application.progress import Progress, no_progress
from projections.stream_queries import all_clients
from projections.row_reads import kept_explanation, up_to_date
from projections.row_writes import keep_explanation
from domain.errors import NotFound
from application.ledger import Ledger, read_ledger
from projections.persisted import Follower
from infrastructure.view_sql import SqlSession

if TYPE_CHECKING:
    from application.advance import AdvanceService
    from application.ingest import IngestService

log = structlog.get_logger("billing.projections")
URSSAF_LOCK_KEY = 0x62696C6C75727373  # "billurss"
LOG_KEY_ENV = "BILLING_LOG_KEY"


def log_key() -> bytes | None:
    """`BILLING_LOG_KEY`: the base64 of 32 bytes keying the log's chain (README, "Tamper evidence")."""
    return key_from_environment(LOG_KEY_ENV)


@dataclass
class Services:
    app: BillingApp
    vault: Vault
    catalog: TermsCatalog
    url: str = ""
    identities: ProviderIdentities = field(default_factory=load_identities)
    _idle: list = field(default_factory=list, repr=False)  # list.pop and append are atomic
    _opened: list = field(default_factory=list, repr=False)
    kept: dict = field(default_factory=dict, repr=False)  # what a serving process keeps of its reads, by name

    @property
    def postgres(self) -> bool:
        return environment(self.url)["PERSISTENCE_MODULE"] == "eventsourcing.postgres"

    def ledger(self, client: str | None = None, known_at: datetime | None = None, facts: bool = False) -> Ledger:
        """The fold a read needs: about one client, that client's events only (the streams view)."""
        if client is None:
            return read_ledger(self.app, known_at, facts)
        with self._sql() as sql:
            return client_ledger(self.app, sql, [client], known_at, facts)

    def ledgers(self, client: str | None = None, known_at: datetime | None = None,
                share: tuple[int, int] = (0, 1)) -> Iterator[Ledger]:
        """About one client, that client's ledger; else every client's, a group at a time (with
        `share` (k, n), the k-th of every n groups)."""
        if client is not None:
            yield self.ledger(client, known_at)
            return
        with self._sql() as sql:
            yield from ledgers_by_group(self.app, sql, known_at, share=share)

    def documents_horizon(self) -> date | None:
        """The last due date of all issued documents (a replay made a group of clients at a time)."""
        with self._sql() as sql:
            return documents_horizon(self.app, sql)

    def document_client(self, number: str) -> str | None:
        with self._sql() as sql:
            return document_client(self.app, sql, number)

    def explanation(self, number: str) -> dict[str, Any]:
        """A document's explanation (application/explain.py): as kept since its client's rows were
        last rewritten, else worked out from its client's events and kept."""
        from application.explain import explain

        head, client = self.app.recorder.max_notification_id() or 0, self.document_client(number)
        if client is None:
            raise NotFound(f"no document {number!r} was issued")
        with self.rows([client]) as sql:
            kept = kept_explanation(sql, number)
        if kept is not None:
            return kept
        data = explain(self.document_ledger(number, facts=True), self.catalog, number)
        with self.rows([client]) as sql:
            keep_explanation(sql, number, client, json.dumps(data, ensure_ascii=False), head)
        return data

    def document_ledger(self, number: str, known_at: datetime | None = None, facts: bool = False) -> Ledger:
        """The events of the client of that document (none when no such document was issued)."""
        with self._sql() as sql:
            client = document_client(self.app, sql, number)
            return client_ledger(self.app, sql, [client] if client else [], known_at, facts)

    @contextmanager
    def rows(self, client_ids: Sequence[str] | None = None) -> Iterator[SqlSession]:
        """A session on the kept rows (projections/row_reads.py), those of these clients (all by
        default) rewritten first if events changed them since."""
        with self._sql() as sql:
            if not up_to_date(sql, self.app.recorder.max_notification_id() or 0, client_ids):
                self._rewrite_stale(sql, client_ids)
            yield sql

    def _rewrite_stale(self, sql: SqlSession, client_ids: Sequence[str] | None) -> None:
        """The stale clients' rows rewritten: shared between processes when they are many
        (infrastructure/parallel_rows.py), then whatever is left by this one."""
        count = workers()
        if client_ids is None and count > 1:
            rows_followed(self.app, sql)
            stale = sorted(stale_marks(sql, None))
            if len(stale) >= PARALLEL_FROM:
                rewrite_in_parallel(self.url, stale, count)
        refresh(self.app, sql, self.catalog, self.identities, client_ids)

    def client_events(self, client_ids: Sequence[str]) -> dict[str, list[Any]]:
        """Each of these clients' domain events (billing verify's checks client by client)."""
        with self._sql() as sql:
            return client_events(self.app, sql, client_ids)

    @contextmanager
    def _sql(self) -> Iterator[SqlSession]:
        """A SQL session for one read, taken from those kept idle: the API answers reads from its
        thread pool, and a session opened per thread would make many connections, each cold."""
        try:
            session = self._idle.pop()
        except IndexError:
            session = SqlSession(self.url)
            self._opened.append(session)
        try:
            yield session
        finally:
            self._idle.append(session)

    def close(self) -> None:
        for session in self._opened:
            session.close()

    def follower(self) -> Follower:
        return Follower(self.app, SqlSession(self.url))

    def client_count(self) -> int:
        """How many clients own an aggregate (the streams view)."""
        with self._sql() as sql:
            return len(all_clients(sql))

    def follow_projections(self, progress: Progress = no_progress) -> None:
        """Brings the persisted views up to date with what was just recorded. The command's own
        work is committed by then: a view that cannot follow is logged and left behind (`billing
        projections status` shows its lag, `rebuild` catches up), never a failure of the command."""
        try:
            self._follow(progress)
        except Exception as exc:  # noqa: BLE001 - whatever a view's code or SQL raises
            log.error("projections_not_followed", error=str(exc), error_type=type(exc).__name__,
                      hint="billing projections status; billing projections rebuild")

    def _follow(self, progress: Progress) -> None:
        with self._sql() as sql:  # a session kept idle: the API follows before many of its reads
            Follower(self.app, sql).catch_up_all(progress=progress)  # one pass over the new events for every view

    @property
    def ingest(self) -> IngestService:
        from application.ingest import IngestService

        return IngestService(self.app, self.catalog, system_clock, self.vault, self.identities)

    @property
    def advance(self) -> AdvanceService:
        from application.advance import AdvanceService
        from infrastructure.urssaf_gateway import gateway_for

        return AdvanceService(self.ingest, system_clock, gateway_for, self.urssaf_turn, log_key())

    def urssaf_turn(self) -> AbstractContextManager[bool]:
        """One process at a time talks to URSSAF for this store (infrastructure/locks.py)."""
        from infrastructure.locks import holding, lock_for

        return holding(lock_for(self.url, URSSAF_LOCK_KEY, ".urssaf.lock", "billing urssaf"))


@contextmanager
def services(db: str | None) -> Iterator[Services]:
    tune_garbage_collection()
    url = database_url(db)
    app = open_app(url)
    vault = None
    try:
        vault = Vault(url)
        running = Services(app, vault, load_catalog(), url)
        try:
            yield running
        finally:
            running.close()
    finally:
        if vault is not None:
            vault.close()
        app.close()
