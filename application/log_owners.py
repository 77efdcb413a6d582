"""Which provider each stored event belongs to, for the per-provider chains of the log's seal.

An aggregate's provider is read from its first event: its own `provider`, else the provider of
the client it names (`client_id`), else that of the document it names (`number`,
`invoice_number`); every later event of the aggregate belongs to the same provider. What names
none of them (the seal itself) is in the shared chain, and so are the idempotency records (key,
type, digest of each fact): the fact's substance is in the events it caused, in its provider's
chain, and a record is known by its type without decoding a third of the log at every seal.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from uuid import UUID

from domain.clients import Client
from domain.issuing import IssuedDocument
from domain.records import FactRecord

SHARED = "shared"
RECORD_TOPIC = f"{FactRecord.FactAccepted.__module__}:{FactRecord.FactAccepted.__qualname__}"
Earlier = Callable[[UUID], "str | None"]


def owner_from(fields: Any, owner_of: Callable[[UUID], str | None]) -> str:
    """The provider an aggregate's first event (or the aggregate itself) names."""
    provider = getattr(fields, "provider", None)
    if isinstance(provider, str):
        return provider
    client_id = getattr(fields, "client_id", None)
    if isinstance(client_id, str):
        return owner_of(Client.id_for(client_id)) or SHARED
    number = getattr(fields, "number", None) or getattr(fields, "invoice_number", None)
    if isinstance(number, str):
        return owner_of(IssuedDocument.id_for(number)) or SHARED
    return SHARED


class Owners:
    """The owner of each row, in log order. `earlier`: the owner of an aggregate created before
    the first row read (a seal goes on from where the last one stopped), or None if unknown."""

    def __init__(self, mapper: Any, earlier: Earlier = lambda _: None) -> None:
        self.mapper = mapper
        self.earlier = earlier
        self.known: dict[int, str] = {}  # by the id's int: the UUID objects are not kept

    def of(self, row: Any) -> str:
        if row.topic == RECORD_TOPIC:
            return SHARED
        if row.originator_version == 1:
            # An aggregate already folded tells its owner as its first event does, without decoding it.
            owner = self.earlier(row.originator_id) or owner_from(self.mapper.to_domain_event(row), self.owner_of)
            self.known[row.originator_id.int] = owner
            return owner
        return self.owner_of(row.originator_id) or SHARED

    def owner_of(self, aggregate_id: UUID) -> str | None:
        return self.known.get(aggregate_id.int) or self.earlier(aggregate_id)


def ledger_owners(aggregates: Callable[[UUID], Any]) -> Earlier:
    """Owners of aggregates already folded (`aggregates`: by id, or None), by the same rule."""

    def earlier(aggregate_id: UUID) -> str | None:
        aggregate = aggregates(aggregate_id)
        return None if aggregate is None else owner_from(aggregate, earlier)

    return earlier
