"""Aggregate ids are derived from business ids: no random ids in the domain."""

from uuid import UUID, uuid5

_NAMESPACE = UUID("6f1c2a52-9a55-4d0e-9c39-2b3f0c8a7e11")


def aggregate_id(kind: str, business_id: str) -> UUID:
    return uuid5(_NAMESPACE, f"{kind}:{business_id}")
