"""A one-shot `billing advance` by partitions of the clients (issue 17; application/advance_parts.py):
the partitions are drafted by whichever workers take them (`PartsRun`, infrastructure/advance_run.py),
each group of clients attested as it is drafted when its drafts cannot change its attestations; one
worker numbers all their drafts in one order, then folds again the clients the drafting left (those
whose attestations wait for the issuing, those URSSAF's exchanges may concern), a group at a time,
and seals the log. No step holds more than one group's fold."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager
from datetime import date
from typing import Protocol

import structlog
from eventsourcing.persistence import IntegrityError

from application.advance import AdvanceReport, AdvanceService, Fresh
from application.advance_parts import (Attest, PartDrafts, RunStart, after_issuing_of, attested_of, groups,
                                      merged_drafts, providers_of)
from application.attesting import issue_attestations
from application.client_folds import followed_clients
from application.issuer import ATTEMPTS, Issuer
from application.log_chain import seal_log
from application.log_owners import Earlier
from application.ledger import Ledger
from application.progress import Progress, no_progress
from domain.calendar import end_of_day
from domain.issuing import DocumentSequence

log = structlog.get_logger("billing.advance")


class PartsRun(Protocol):
    def horizon(self) -> date | None:
        """The last due date of all issued documents."""

    def draft(self, start: RunStart) -> None:
        """Returns once every partition is drafted against `start`, here or by other workers (or
        another worker issued them)."""

    def turn_to_issue(self, start: RunStart) -> AbstractContextManager[list[PartDrafts] | None]:
        """Every partition's drafts inside, for the one worker that numbers them; None for the
        others. Marked done when the block ends without an error."""

    def ledger(self, client_ids: Sequence[str]) -> Ledger:
        """These clients' ledger as the store holds it now, its `position` the log's head then."""

    def seal_owners(self, providers: dict[str, str]) -> Earlier:
        """The provider of each aggregate created before the last seal, for the seal's chains."""

    def billing(self) -> AbstractContextManager[Callable[[list[PartDrafts]], None]]:
        """Around a run: told every partition's drafts once they are issued, it may keep what the
        run billed for the next one to start from (application/billed_runs.py)."""


def run_start(sequences: dict[str, DocumentSequence], to: date, horizon: date | None) -> RunStart:
    return RunStart(to, max(to, horizon or to), {p: s.last_issued_on for p, s in sequences.items()},
                    {p: s.version for p, s in sequences.items()})


def advance_by_parts(service: AdvanceService, to: date, run: PartsRun, progress: Progress = no_progress) -> AdvanceReport:
    """Issues every document due by the end of `to`, as `service.advance` would from a fresh process."""
    with run.billing() as billed:
        return issued_by_parts(service, to, run, billed, progress)


def issued_by_parts(service: AdvanceService, to: date, run: PartsRun, billed: Callable[[list[PartDrafts]], None],
                    progress: Progress) -> AdvanceReport:
    report = AdvanceReport(to)
    issuer = Issuer(service.app, service.clock, service.ingest.identities)
    for attempt in range(ATTEMPTS):
        sequences = issuer.sequences()
        start = run_start(sequences, to, run.horizon())
        run.draft(start)
        with run.turn_to_issue(start) as parts:
            if parts is None:
                log.info("advance_issued_by_another_worker", to=to.isoformat())
                return report
            try:
                documents = issuer.issue_drafted(sequences, merged_drafts(parts), end_of_day(to), progress)
            except IntegrityError:
                log.info("issue_conflict_retry", attempt=attempt + 1)
                continue
        report.issued = [doc.number for doc in documents]
        after_issuing(service, report, run, parts)
        billed(parts)
        return report
    raise RuntimeError("issuing kept conflicting with concurrent runs; run it again")


def after_issuing(service: AdvanceService, report: AdvanceReport, run: PartsRun, parts: list[PartDrafts]) -> None:
    """The attestations the drafting left, the URSSAF exchanges and the seal of the log, as
    `service.advance` makes them: each group of the clients left folded once for both."""
    report.attested = attested_of(parts)
    attested = attested_groups(service, report, run, after_issuing_of(parts))
    service.talk_to_urssaf(report.to, report, attested)
    for _ in attested:  # the groups URSSAF was not talked to about (none reachable, or another run's turn)
        pass
    report.sealed = seal_log(service.app, service.log_key, end_of_day(report.to), service.clock(),
                             run.seal_owners(providers_of(parts))).anchor()


def attested_groups(service: AdvanceService, report: AdvanceReport, run: PartsRun,
                    client_ids: Sequence[str]) -> Iterator[Fresh]:
    """For each group of clients, once its attestations are issued: its ledger, folded once, then
    following what was recorded about them since."""
    attest = attesting(service, report.to)
    for group in groups(client_ids):
        ledger = run.ledger(group)
        report.attested += attest(ledger)
        yield lambda group=group, ledger=ledger: followed_clients(service.app, ledger, set(group))


def attesting(service: AdvanceService, to: date) -> Attest:
    """Issues the attestations due by `to` of a group's ledger (application/attesting.py)."""
    return lambda ledger: issue_attestations(service.app, ledger, service.catalog, service.ingest.identities, to,
                                             service.clock)
