"""Idempotency: each fact's key is taken once, by a FactRecord holding its content's digest.

The same key with the same content again is a duplicate (no-op); with other content it is refused.
"""

from __future__ import annotations

from typing import Any

from eventsourcing.application import AggregateNotFoundError

from application.ets_facts import PERSONAL_DATA_FACTS
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


def stored_record(app: Any, key: str) -> FactRecord | None:
    try:
        return app.repository.get(FactRecord.id_for(key))
    except AggregateNotFoundError:
        return None


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
