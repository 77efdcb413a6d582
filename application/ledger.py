"""The ledger: every aggregate rebuilt from the notification log, in recorded order.

Billing, replay and the read models are functions of this fold. `known_at` keeps only the
facts recorded up to that moment (recorded time is the event's timestamp).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterator
from datetime import datetime
from functools import cache
from typing import Any
from uuid import UUID

from eventsourcing.application import Application
from eventsourcing.domain import Aggregate

from domain.event_topics import event_topics
from projections.store_reads import select_rows

from domain.appointments import Appointment
from domain.btb_billing import BtbBook
from domain.clients import Client
from domain.ets_billing import EtsBook
from domain.issuing import DocumentCancellation, DocumentSequence, IssuedDocument
from domain.log_seal import LogSeal
from domain.records import Payment
from domain.sessions import TutoringSession
from domain.starter_packs import StarterPack
from domain.subscriptions import Subscription
from domain.tax_attestations import TaxAttestation
from domain.urssaf_requests import UrssafRequest
from domain.urssaf_account import UrssafAccount

PAGE = 1000
# What drafting never reads: the documents, their numbering, the URSSAF requests about them, the
# log's seal.
NOT_DRAFTED = (IssuedDocument, DocumentSequence, UrssafRequest, LogSeal, TaxAttestation)


class Ledger:
    def __init__(self, topics: tuple[str, ...] = ()) -> None:
        self.aggregates: dict[UUID, Any] = {}
        self.by_type: dict[type, dict[UUID, Any]] = defaultdict(dict)
        self.position = 0
        self.topics = topics
        # What changed since `forget_changes`: the clients whose facts did, or everything.
        self.changed: set[str] = set()
        self.all_changed = True
        # The clients any of whose aggregates changed since `forget_touched` (their documents and
        # URSSAF requests too: what their accounts and attestations read), or everything.
        self.touched: set[str] = set()
        self.all_touched = True
        self.included: set[UUID] = set()
        self.parties: dict[str, dict] = {}

    def apply(self, event: Any) -> None:
        aggregate = event.mutate(self.aggregates.get(event.originator_id))
        if type(aggregate) is IssuedDocument:
            self.share_parties(aggregate)
        self.aggregates[event.originator_id] = aggregate
        self.by_type[type(aggregate)][event.originator_id] = aggregate
        if type(aggregate) not in NOT_DRAFTED:
            client_id = getattr(aggregate, "client_id", None)
            if client_id is None:
                self.all_changed = True
            else:
                self.changed.add(client_id)
            self.touch(client_id)
        elif type(aggregate) in SETTLED_BY:
            self.touch(SETTLED_BY[type(aggregate)](self, aggregate))

    def touch(self, client_id: str | None) -> None:
        if client_id is None:
            self.all_touched = True
        else:
            self.touched.add(client_id)

    def include(self, documents: list[IssuedDocument]) -> None:
        """Documents this process has just saved: following the log then skips their events
        (an issued document has one event) instead of decoding them again."""
        for doc in documents:
            self.share_parties(doc)
            self.aggregates[doc.id] = self.by_type[IssuedDocument][doc.id] = doc
            self.included.add(doc.id)
            self.touched.add(doc.client_id)

    def share_parties(self, doc: IssuedDocument) -> None:
        """One object per distinct party: a client's documents, and all of a provider's, repeat
        the same identities (a copy each would cost memory in proportion to the documents)."""
        if doc.seller is not None:
            doc.seller = self.parties.setdefault(party_key(doc.seller), doc.seller)
            doc.buyer = self.parties.setdefault(party_key(doc.buyer), doc.buyer)

    def skips(self, notification: Any) -> bool:
        if notification.originator_id in self.included:
            self.included.discard(notification.originator_id)
            return True
        return False

    def forget_changes(self) -> None:
        self.changed.clear()
        self.all_changed = False

    def forget_touched(self) -> None:
        self.touched.clear()
        self.all_touched = False

    def of_type(self, cls: type[Aggregate]) -> Iterator[Any]:
        return iter(self.by_type[cls].values())

    def clients(self, provider: str | None = None) -> list[Client]:
        return [c for c in self.of_type(Client) if provider in (None, c.provider)]

    def documents(self, of: Callable[[IssuedDocument], bool] | None = None) -> list[IssuedDocument]:
        """The issued documents in number order; with `of`, only those it accepts."""
        found = self.of_type(IssuedDocument)
        return sorted(found if of is None else filter(of, found), key=lambda d: (d.provider, d.issued_on, d.number))

    def cancelled(self) -> dict[str, str]:
        """Keys of invoices cancelled by a fact, with the reason."""
        return {c.key: c.reason for c in self.of_type(DocumentCancellation)}

    def issued_keys(self) -> set[str]:
        return {d.key for d in self.of_type(IssuedDocument)}

    def payments(self) -> list[Payment]:
        return list(self.of_type(Payment))

    def document(self, number: str) -> IssuedDocument | None:
        return self.aggregates.get(IssuedDocument.id_for(number))

    def ets_books(self) -> dict[str, EtsBook]:
        books = {c.client_id: EtsBook(c) for c in self.clients("etincelle")}
        for session in self.of_type(TutoringSession):
            books[session.client_id].sessions.append(session)
        for account in self.of_type(UrssafAccount):
            books[account.client_id].account = account
        return books

    def btb_books(self) -> dict[str, BtbBook]:
        books = {c.client_id: BtbBook(c) for c in self.clients("btbconnect")}
        for pack in self.of_type(StarterPack):
            books[pack.client_id].pack = pack
        for sub in self.of_type(Subscription):
            books[sub.client_id].subscriptions.append(sub)
        for appt in self.of_type(Appointment):
            books[appt.client_id].appointments.append(appt)
        return books


def party_key(value: Any) -> str:
    """The same for identities recorded alike (the same fields in the same order), different for
    any two that differ: their repr (two equal ones recorded in another order are merely not shared)."""
    return repr(value)


def request_client(ledger: Ledger, request: UrssafRequest) -> str | None:
    doc = ledger.document(request.invoice_number)
    return doc.client_id if doc is not None else None


# Whose account an aggregate drafting never reads is part of (`Ledger.touched`).
SETTLED_BY: dict[type, Callable[[Ledger, Any], str | None]] = {
    IssuedDocument: lambda ledger, doc: doc.client_id,
    TaxAttestation: lambda ledger, attestation: attestation.client_id,
    UrssafRequest: request_client,
}



def read_ledger(app: Application, known_at: datetime | None = None, facts: bool = True) -> Ledger:
    """The whole history; without `facts`, the idempotency records (a third of the log, which
    billing never reads) are left out."""
    ledger = Ledger(() if facts else billing_topics())
    follow(app, ledger, known_at)
    return ledger


@cache
def billing_topics() -> tuple[str, ...]:
    """The domain's event topics but the fact records' (domain/event_topics.py), found once."""
    return event_topics()


def follow(app: Application, ledger: Ledger, known_at: datetime | None = None) -> None:
    """Applies the events recorded after the ledger's position, in pages."""
    while True:
        page = select_rows(app.recorder, ledger.position, PAGE, ledger.topics)
        for notification in page:
            if ledger.included and ledger.skips(notification):
                ledger.position = notification.id
                continue
            event = app.mapper.to_domain_event(notification)
            if known_at is None or event.timestamp <= known_at:
                ledger.apply(event)
            ledger.position = notification.id
        if len(page) < PAGE:
            return

