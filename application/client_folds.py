"""Reads about some clients fold only their events: the `streams` view says which aggregates are
each client's, and the store gives all of their events in one query (INTERPRETATION.md: billing
one client never needs another client's facts). The result is the ledger the whole fold would
give, cut to those clients: every read computed from it is the same for them."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from datetime import date, datetime
from operator import attrgetter
from typing import Any
from uuid import UUID

from eventsourcing.application import Application

from domain.issuing import IssuedDocument
from application.ledger import PAGE, Ledger, billing_topics
from projections.persisted import Follower
from projections.row_reads import FOLLOWING, last_due_on
from projections.sql import ViewSql
from projections.stream_queries import all_clients, position, stream_owner, stream_owners
from projections.store_reads import select_events, select_rows
from projections.views import VIEWS

STREAMS = "streams"
GROUP = 50  # clients folded per query of the event store, in reads of all clients
INVOICES = "invoices"


def client_ledger(app: Application, sql: ViewSql, client_ids: Sequence[str], known_at: datetime | None = None,
                  facts: bool = True) -> Ledger:
    """These clients' aggregates only; `known_at` keeps the events recorded up to then."""
    brought_up_to_date(app, sql)
    ledger = Ledger(() if facts else billing_topics())
    for stored in select_events(app.recorder, in_id_order(stream_owners(sql, client_ids, facts))):
        event = app.mapper.to_domain_event(stored)
        if known_at is None or event.timestamp <= known_at:
            ledger.apply(event)
    return ledger


def in_id_order(ids: Iterable[UUID]) -> list[UUID]:
    """Sorted as UUIDs compare (by their number), without a Python comparison per pair."""
    return sorted(ids, key=attrgetter("int"))


def ledgers_by_group(app: Application, sql: ViewSql, known_at: datetime | None = None,
                     group: int = GROUP, share: tuple[int, int] = (0, 1)) -> Iterator[Ledger]:
    """Every client's aggregates, `group` clients at a time in the order of their ids: a read of
    all clients computed group by group holds one group's fold, not the log's. `share` (k, n):
    only the k-th of every n groups, for n workers sharing the clients."""
    brought_up_to_date(app, sql)
    clients = all_clients(sql)
    taken, workers = share
    for i in range(group * taken, len(clients), group * workers):
        yield client_ledger(app, sql, clients[i:i + group], known_at, facts=False)


def client_ledgers(app: Application, sql: ViewSql, client_ids: Sequence[str]) -> dict[str, Ledger]:
    """Each of these clients' own ledger (no fact records), from one query of their events."""
    brought_up_to_date(app, sql)
    owners = stream_owners(sql, client_ids, facts=False)
    ledgers = {client_id: Ledger(billing_topics()) for client_id in sorted(set(owners.values()))}
    for stored in select_events(app.recorder, in_id_order(owners)):
        ledgers[owners[stored.originator_id]].apply(app.mapper.to_domain_event(stored))
    return ledgers


def document_client(app: Application, sql: ViewSql, number: str) -> str | None:
    """The client of an issued document, None if no such document was issued."""
    brought_up_to_date(app, sql)
    return stream_owner(sql, IssuedDocument.id_for(number))


def brought_up_to_date(app: Application, sql: ViewSql) -> None:
    """The streams view (and the rows' marks, which follow it) as far as the log goes: read
    first, caught up only when behind."""
    head = app.recorder.max_notification_id() or 0
    if min(position(sql, name) for name in FOLLOWING) < head:
        Follower(app, sql, {name: VIEWS[name] for name in FOLLOWING}).catch_up_all()


def rows_followed(app: Application, sql: ViewSql) -> None:
    """The streams and rows views as far as the log goes, their tables created first (a store
    kept by an earlier version may lack the newest of them)."""
    Follower(app, sql, {name: VIEWS[name] for name in FOLLOWING}).catch_up_all()


def client_events(app: Application, sql: ViewSql, client_ids: Sequence[str]) -> dict[str, list[Any]]:
    """Each client's domain events (no fact records), for checks made client by client."""
    brought_up_to_date(app, sql)
    owners = stream_owners(sql, client_ids, facts=False)
    events: dict[str, list[Any]] = {client_id: [] for client_id in sorted(set(owners.values()))}
    for stored in select_events(app.recorder, in_id_order(owners)):
        events[owners[stored.originator_id]].append(app.mapper.to_domain_event(stored))
    return events


def documents_horizon(app: Application, sql: ViewSql) -> date | None:
    """The last due date of all issued documents, the invoices view caught up first."""
    Follower(app, sql, {INVOICES: VIEWS[INVOICES]}).catch_up(INVOICES)
    return last_due_on(sql)


def followed_clients(app: Application, ledger: Ledger, client_ids: set[str]) -> Ledger:
    """A ledger of these clients (its `position` the log's head when it was folded), after the
    events recorded since about them: their clients' own, and those about their documents."""
    while True:
        page = select_rows(app.recorder, ledger.position, PAGE, billing_topics())
        for event in map(app.mapper.to_domain_event, page):
            if is_about(event, ledger, client_ids):
                ledger.apply(event)
        ledger.position = page[-1].id if page else ledger.position
        if len(page) < PAGE:
            return ledger


def is_about(event: Any, ledger: Ledger, client_ids: set[str]) -> bool:
    known = ledger.aggregates.get(event.originator_id)
    if known is not None:
        return event.originator_version > known.version  # folded already when recorded during the fold
    client_id = getattr(event, "client_id", None)
    if client_id is not None:
        return client_id in client_ids
    # a URSSAF request or a cancellation names its document; a sequence's or the seal's events name none
    number = getattr(event, "invoice_number", None) or getattr(event, "number", None)
    return isinstance(number, str) and IssuedDocument.id_for(number) in ledger.aggregates
