"""Idempotency: each fact's key is taken once per provider, by a FactRecord holding its content's
digest. The same key with the same content again is a duplicate (no-op); with other content it is
refused. The other provider's keys are never seen: the same key there is another fact.

Stores recorded before keys were scoped hold records under the key alone: those keys stay taken
for both providers (README, "Idempotency keys").
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any
from uuid import UUID

from application.ets_facts import PERSONAL_DATA_FACTS
from application.fact_providers import Lookup, candidate_providers, fact_provider
from application.facts import Fact, digest
from domain.errors import IdempotencyConflict, InvalidFact
from domain.records import FactRecord


def content_digest(fact: Fact, raw: dict, vault: Any) -> str:
    """Personal data is never hashed in clear: a keyed digest with the client's key."""
    if fact.type not in PERSONAL_DATA_FACTS:
        return digest(raw)
    if vault is None:
        raise InvalidFact(f"fact {fact.key!r}: personal data cannot be recorded without a vault")
    return vault.keyed_digest(raw["client_id"], {k: v for k, v in raw.items() if k != "key"})


@lru_cache(maxsize=4096)  # a chunk's keys: read, then judged
def record_id(provider: str, key: str) -> UUID:
    """`FactRecord.id_for`, remembered: a batch asks for it when reading and again when judging."""
    return FactRecord.id_for(provider, key)


@lru_cache(maxsize=4096)  # a chunk's keys: read, then judged
def unscoped_id(key: str) -> UUID:
    return FactRecord.unscoped_id(key)


def record_ids(raw: dict) -> list:
    """Where the record of a raw fact's key may be, for a batch to read them at once."""
    key = raw.get("key")
    if not isinstance(key, str):
        return []
    return [*(record_id(p, key) for p in candidate_providers(raw)), unscoped_id(key)]


def stored_record(lookup: Lookup, fact: Fact) -> FactRecord | None:
    """The record of this fact's key within its provider (or from before keys were scoped)."""
    provider = fact_provider(fact, lookup)
    scoped = lookup(record_id(provider, fact.key)) if provider else None
    return scoped if scoped is not None else lookup(unscoped_id(fact.key))


def already_recorded(record: FactRecord | None, fact: Fact, fact_digest: str) -> bool:
    """True if this key is recorded with this content; refused if with other content."""
    if record is None:
        return False
    if record.digest != fact_digest:
        raise IdempotencyConflict(
            f"fact {fact.key!r}: this key was already used by another {record.type} fact with "
            "other content; use a new key for a new fact"
        )
    return True
