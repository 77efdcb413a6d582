"""Which providers a fact concerns, so that a token writes only within its provider scope.

Everything the fact names counts: its own ``provider`` (client.registered), its type's family
(``subscription.*`` is BTBCONNECT's, ``session.*`` L'Étincelle's), the provider of the client it
names, of the client behind the pack, subscription, appointment or session it names, and of the
invoice it names. A fact none of these place is allowed only to a token holding both providers.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from uuid import UUID

from application.context import id_of
from application.fact_providers import family_provider
from domain.errors import BillingError
from domain.appointments import Appointment
from domain.clients import Client
from domain.issuing import IssuedDocument
from domain.sessions import TutoringSession
from domain.starter_packs import StarterPack
from domain.subscriptions import Subscription

OWNED = {"pack_id": StarterPack, "subscription_id": Subscription, "appointment_id": Appointment,
         "session_id": TutoringSession}


Lookup = Callable[[UUID], Any]  # a stored aggregate by id, or None


class OutOfScope(BillingError):
    """A fact that concerns a provider beyond the token's scope (403)."""


class ScopeCheck:
    """What the ingest service asks of each fact of a token's batch (IngestService.scoped); it
    keeps the providers it found for each key, which the API's metrics count by."""

    def __init__(self, scope: tuple[str, ...]):
        self.scope = scope
        self.providers: dict[str, set[str]] = {}

    def __call__(self, fact: dict[str, Any], lookup: Lookup) -> None:
        providers = self.providers[fact["key"]] = providers_of(lookup, fact)
        why = out_of_scope(providers, self.scope)
        if why:
            raise OutOfScope(f"fact {fact['key']!r} {why}")


def providers_of(lookup: Lookup, fact: dict[str, Any]) -> set[str]:
    found = {family_provider(str(fact.get("type", "")))}
    if fact.get("type") == "client.registered":
        found.add(fact.get("provider"))
    found.add(_client_provider(lookup, fact.get("client_id")))
    for field, cls in OWNED.items():
        owner = _load(lookup, cls, fact.get(field))
        found.add(_client_provider(lookup, getattr(owner, "client_id", None)))
    document = _load(lookup, IssuedDocument, fact.get("invoice"))
    found.add(getattr(document, "provider", None))
    return {p for p in found if isinstance(p, str)}


def out_of_scope(providers: set[str], scope: tuple[str, ...]) -> str | None:
    """Why a fact of these providers is beyond ``scope``, or None when it is within."""
    if not providers and set(scope) != {"btbconnect", "etincelle"}:
        return "names nothing this token's provider scope holds"
    if providers - set(scope):
        return f"concerns a provider outside this token's scope ({', '.join(scope)})"
    return None


def _client_provider(lookup: Lookup, client_id: object) -> str | None:
    return getattr(_load(lookup, Client, client_id), "provider", None)


def _load(lookup: Lookup, cls: Any, business_id: object) -> Any:
    if not isinstance(business_id, str) or not business_id:
        return None
    return lookup(id_of(cls, business_id))
