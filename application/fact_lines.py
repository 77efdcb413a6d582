"""JSON Lines in: each line decoded on its own (a bad line is one refused fact), and the report."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from domain.errors import InvalidFact


@dataclass
class IngestReport:
    recorded: int = 0
    duplicates: int = 0
    refused: list[dict[str, str]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"recorded": self.recorded, "duplicates": self.duplicates, "refused": self.refused}


def decode(line: str, number: int) -> dict:
    try:
        raw = json.loads(line)
    except json.JSONDecodeError as exc:
        raise InvalidFact(f"line {number}: not valid JSON ({exc.msg} at column {exc.colno})") from None
    if not isinstance(raw, dict):
        raise InvalidFact(f"line {number}: a fact must be a JSON object")
    return raw


def decoded(chunk: list[tuple[int, str]]) -> dict[int, dict]:
    """The chunk's lines that are JSON objects, by line number (the others are refused later)."""
    raws = {}
    for number, line in chunk:
        try:
            raws[number] = decode(line, number)
        except InvalidFact:
            continue
    return raws


def key_of(line: str, number: int) -> str:
    try:
        key = json.loads(line).get("key")
    except (json.JSONDecodeError, AttributeError):
        key = None
    return key if isinstance(key, str) else f"line {number}"
