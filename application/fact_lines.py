"""JSON Lines in: each line decoded on its own (a bad line is one refused fact), and the report."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from application.facts import NOT_PRINTABLE
from domain.errors import InvalidFact


@dataclass
class IngestReport:
    recorded: int = 0
    duplicates: int = 0
    refused: list[dict[str, str]] = field(default_factory=list)
    # by line (or item) number: "recorded", "duplicate" or "refused", and the refusal's error
    outcomes: dict[int, str] = field(default_factory=dict, repr=False)
    errors: dict[int, Exception] = field(default_factory=dict, repr=False)

    def refuse(self, number: int, key: str, error: Exception) -> None:
        self.refused.append({"key": key, "error": str(error)})
        self.outcomes[number], self.errors[number] = "refused", error

    def as_dict(self) -> dict[str, Any]:
        return {"recorded": self.recorded, "duplicates": self.duplicates, "refused": self.refused}


# A byte that is not UTF-8, as the file readers decode it (errors="surrogateescape").
NOT_UTF8 = re.compile("[\udc80-\udcff]")
# A JSON escape of a surrogate code unit: a pair stands for one character, a lone one for none.
SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F][0-9a-fA-F]{2}")
LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def decode(line: str, number: int) -> dict:
    bad_byte = NOT_UTF8.search(line)
    if bad_byte:
        raise InvalidFact(f"line {number}: not UTF-8 (byte 0x{ord(bad_byte.group()) - 0xDC00:02X} at column "
                          f"{bad_byte.start() + 1}); send UTF-8 text")
    raw = parsed_json(line, number)
    if not isinstance(raw, dict):
        raise InvalidFact(f"line {number}: a fact must be a JSON object")
    if SURROGATE_ESCAPE.search(line) and any(LONE_SURROGATE.search(text) for text in strings(raw)):
        raise InvalidFact(f"line {number}: a string holds a lone surrogate escape (\\uD800-\\uDFFF without its "
                          "pair), which is no character")
    return raw


def parsed_json(line: str, number: int) -> Any:
    try:
        return json.loads(line)
    except json.JSONDecodeError as exc:
        raise InvalidFact(f"line {number}: not valid JSON ({exc.msg} at column {exc.colno})") from None
    except RecursionError:
        raise InvalidFact(f"line {number}: JSON nested too deeply to be a fact") from None
    except ValueError:  # the one other refusal of json.loads: an integer of more than 4 300 digits
        raise InvalidFact(f"line {number}: a number too long to be read (over 4 300 digits)") from None


def strings(value: Any) -> Iterator[str]:
    """Every string of a decoded JSON value, keys included, without recursion."""
    todo = [value]
    while todo:
        item = todo.pop()
        if isinstance(item, str):
            yield item
        elif isinstance(item, dict):
            todo += [*item.keys(), *item.values()]
        elif isinstance(item, list):
            todo += item


def decoded(chunk: list[tuple[int, str | dict]]) -> dict[int, dict]:
    """The chunk's facts that are JSON objects, by number (the others are refused later); an
    item already decoded (the API's) is taken as it is."""
    raws = {}
    for number, line in chunk:
        try:
            raws[number] = line if isinstance(line, dict) else decode(line, number)
        except InvalidFact:
            continue
    return raws


def key_of(line: str | dict, number: int) -> str:
    """The fact's key to report it by; its line number when it has none that prints."""
    try:
        key = (line if isinstance(line, dict) else json.loads(line)).get("key")
    except (ValueError, RecursionError, AttributeError):
        key = None
    printable = isinstance(key, str) and not NOT_PRINTABLE.search(key) and not NOT_UTF8.search(key)
    return key[:200] if printable else f"line {number}"
