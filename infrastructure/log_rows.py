"""A row of the event log as the engine's bulk reads return it: no `Notification` object per row."""

from __future__ import annotations

from typing import Any, NamedTuple


class Row(NamedTuple):
    id: int
    originator_id: Any
    originator_version: int
    topic: str
    state: bytes
