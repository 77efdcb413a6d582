"""Issuing: drafts become numbered documents, the numbers taken in the same transaction.

The document sequence is loaded before the history is read and saved with the documents it
numbers, so a concurrent run that issued in between makes this save fail; the work then reads
the history again and issues only what is still missing. Nothing is issued twice, no number
is skipped.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import TYPE_CHECKING

import structlog
from eventsourcing.application import AggregateNotFoundError
from eventsourcing.persistence import IntegrityError

from application.app import BillingApp
from application.unit_of_work import save_together
from domain.calendar import end_of_day
from domain.clients import Client
from domain.documents import Draft
from domain.identities import ProviderIdentities, buyer
from domain.issuing import DocumentSequence, IssuedDocument, Parties
from application.ledger import Ledger, follow, read_ledger
from application.progress import Progress, no_progress

if TYPE_CHECKING:
    from application.advance_parts import Drafted

log = structlog.get_logger("billing.issue")

BATCH = 500
ATTEMPTS = 20
PREFIXES = {"btbconnect": "BTB", "etincelle": "ETS"}

DraftsFor = Callable[[Ledger], list[Draft]]


class Issuer:
    def __init__(self, app: BillingApp, clock: Callable[[], datetime], identities: ProviderIdentities,
                 ledger: Ledger | None = None):
        """`identities`: the providers' (the seller each document names); `ledger`: a history
        already folded (without fact records) by an earlier run of the same process; only what
        was recorded since is read."""
        self.app = app
        self.clock = clock
        self.identities = identities
        self.ledger = ledger

    def issue(self, drafts_for: DraftsFor, at: datetime, progress: Progress = no_progress) -> list[IssuedDocument]:
        """Issues the drafts `drafts_for(ledger)` names, in their order, retrying on conflicts.
        Afterwards `self.ledger` is the history it worked from, with the documents it issued."""
        issued: list[IssuedDocument] = []
        for attempt in range(ATTEMPTS):
            try:
                self._issue_once(drafts_for, at, issued, progress)
                return issued
            except IntegrityError:
                log.info("issue_conflict_retry", attempt=attempt + 1)
        raise RuntimeError("issuing kept conflicting with concurrent runs; run it again")

    def _issue_once(self, drafts_for: DraftsFor, at: datetime, issued: list[IssuedDocument],
                    progress: Progress) -> None:
        sequences = self.sequences()
        if self.ledger is None:
            self.ledger = read_ledger(self.app, facts=False)
        else:
            follow(self.app, self.ledger)
        self._number(sequences, drafts_for(self.ledger), at, self._parties, issued, progress)

    def issue_drafted(self, sequences: dict[str, DocumentSequence], drafted: list[Drafted], at: datetime,
                      progress: Progress = no_progress) -> list[IssuedDocument]:
        """Numbers drafts made apart (application/advance_parts.py), in their order, on the
        sequences as they were read before drafting; IntegrityError if another run issued since."""
        buyers = {d.draft.key: d.buyer for d in drafted}
        issued: list[IssuedDocument] = []

        def parties(draft: Draft, issued_on: date) -> tuple[dict, dict]:
            return self.identities.seller(draft.provider, issued_on), buyers[draft.key]

        self._number(sequences, [d.draft for d in drafted], at, parties, issued, progress)
        return issued

    def _number(self, sequences: dict[str, DocumentSequence], drafts: list[Draft], at: datetime, parties: Parties,
                issued: list[IssuedDocument], progress: Progress) -> None:
        for provider, sequence in sequences.items():
            mine = [d for d in drafts if d.provider == provider]
            for start in range(0, len(mine), BATCH):
                documents = sequence.issue_batch(mine[start:start + BATCH], at, self.clock(), parties)
                save_together(self.app, [sequence, *documents])
                if self.ledger is not None:
                    self.ledger.include(documents)
                issued.extend(documents)
                progress(len(issued), len(drafts))
                for doc in documents:
                    log.info("document_issued", number=doc.number, key=doc.key, kind=doc.kind,
                             client_id=doc.client_id, issued_on=doc.issued_on.isoformat(),
                             total_ttc=str(doc.draft.total_ttc))

    def sequences(self) -> dict[str, DocumentSequence]:
        """Each provider's numbering as stored now (read before the history it numbers)."""
        return {p: self._sequence(p) for p in PREFIXES}

    def _parties(self, draft: Draft, issued_on: date) -> tuple[dict, dict]:
        """Both identities as of the issue date (INTERPRETATION.md, "Who issues and who receives")."""
        client = self.ledger.aggregates[Client.id_for(draft.client_id)]
        return self.identities.seller(draft.provider, issued_on), buyer(client, end_of_day(issued_on))

    def _sequence(self, provider: str) -> DocumentSequence:
        try:
            return self.app.repository.get(DocumentSequence.id_for(provider))
        except AggregateNotFoundError:
            now = self.clock()
            return DocumentSequence.open(provider, PREFIXES[provider], now, now)
