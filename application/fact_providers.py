"""Which provider a fact belongs to: its idempotency key is unique within that provider only.

Every fact type belongs to one provider by its family (`subscription.*` is BTBCONNECT's,
`session.*` L'Étincelle's), or by the client it registers or names (`client.*`, `payment.*`), or
by the invoice it cancels.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from uuid import UUID

from domain.clients import Client
from domain.issuing import IssuedDocument

PROVIDERS = ("btbconnect", "etincelle")
FAMILIES = {"starter_pack": "btbconnect", "subscription": "btbconnect", "appointment": "btbconnect",
            "session": "etincelle", "urssaf": "etincelle"}
Lookup = Callable[[UUID], Any]


def family_provider(fact_type: str) -> str | None:
    return FAMILIES.get(fact_type.split(".")[0])


def fact_provider(fact: Any, lookup: Lookup) -> str | None:
    """The provider of a parsed fact; None when the client or invoice it names is unknown."""
    if family_provider(fact.type):
        return family_provider(fact.type)
    if fact.type == "client.registered":
        return fact.provider
    if fact.type == "invoice.cancelled":
        return getattr(lookup(IssuedDocument.id_for(fact.invoice)), "provider", None)
    return client_provider(getattr(fact, "client_id", None), lookup)


def candidate_providers(raw: dict) -> tuple[str, ...]:
    """The providers a raw (unvalidated) fact may belong to, before its client is read."""
    fact_type = raw.get("type") if isinstance(raw.get("type"), str) else ""
    known = family_provider(fact_type) or (raw.get("provider") if fact_type == "client.registered" else None)
    return (known,) if known in PROVIDERS else PROVIDERS


def client_provider(client_id: object, lookup: Lookup) -> str | None:
    if not isinstance(client_id, str) or not client_id:
        return None
    return getattr(lookup(Client.id_for(client_id)), "provider", None)


def fact_client(fact: Any, changed: list[Any], lookup: Lookup) -> str | None:
    """The client a recorded fact is about: the one of what it changed, or of the invoice it cancels."""
    for aggregate in changed:
        if getattr(aggregate, "client_id", None) is not None:
            return aggregate.client_id
    if fact.type == "invoice.cancelled":
        return getattr(lookup(IssuedDocument.id_for(fact.invoice)), "client_id", None)
    return getattr(fact, "client_id", None)
