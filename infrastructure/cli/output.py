"""Readable tables for people; JSON for machines goes straight to stdout."""

from __future__ import annotations

import json
import shutil
import sys
import textwrap
from collections.abc import Iterable
from typing import Any


def print_json(data: Any) -> None:
    """`json.dumps(data, indent=2)`, written a row at a time when `data` is a list, or an object
    of lists (a report's lines): the rows are encoded one by one, never all in one string."""
    if isinstance(data, list):
        print_json_rows(data)
    elif isinstance(data, dict) and data:
        sys.stdout.write("{")
        for i, (key, value) in enumerate(data.items()):
            sys.stdout.write(("," if i else "") + "\n  " + json.dumps(key, ensure_ascii=False) + ": ")
            write_value(value, "  ")
        sys.stdout.write("\n}\n")
    else:
        sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2) + "\n")


def print_json_rows(rows: Iterable[Any]) -> None:
    """A list as `print_json` prints it, written row by row as the rows come."""
    write_value(rows, "")
    sys.stdout.write("\n")


def write_value(value: Any, indent: str) -> None:
    """`value` as `json.dumps(…, indent=2)` writes it at this depth; a list (or any iterable
    that is not a mapping nor a string) row by row."""
    if isinstance(value, (dict, str, int, float, bool)) or value is None:
        sys.stdout.write(json.dumps(value, ensure_ascii=False, indent=2).replace("\n", "\n" + indent))
        return
    opened, inner = False, indent + "  "
    for row in value:
        sys.stdout.write(("," if opened else "[") + "\n" + inner
                         + json.dumps(row, ensure_ascii=False, indent=2).replace("\n", "\n" + inner))
        opened = True
    sys.stdout.write(("\n" + indent + "]") if opened else "[]")


GAP = "  "
NARROWEST = 8  # a text column is never wrapped narrower than this, nor than its header


def table(headers: list[str], rows: list[list[str]], right: set[int] | None = None,
          width: int | None = None) -> str:
    """Columns of cells; `right`: the columns aligned right (amounts: never cut). With a width
    (by default the terminal's, when stdout is one), the text columns are wrapped to fit it."""
    right = right or set()
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(headers)]
    widths = fitted(widths, headers, right, terminal_width() if width is None else width)
    lines = [*row_lines(headers, widths, right), GAP.join("-" * w for w in widths)]
    return "\n".join([*lines, *(line for r in rows for line in row_lines(r, widths, right))])


def terminal_width() -> int | None:
    return shutil.get_terminal_size().columns if sys.stdout.isatty() else None


def fitted(widths: list[int], headers: list[str], right: set[int], limit: int | None) -> list[int]:
    """The widths narrowed to `limit`, the widest text column first, amounts kept whole."""
    widths = list(widths)
    while limit is not None and (over := sum(widths) + len(GAP) * (len(widths) - 1) - limit) > 0:
        text = [i for i in range(len(widths)) if i not in right and widths[i] > max(NARROWEST, len(headers[i]))]
        if not text:
            break  # only amounts and narrow text left: wider than the terminal rather than cut
        widest = max(text, key=lambda i: widths[i])
        widths[widest] -= min(over, widths[widest] - max(NARROWEST, len(headers[widest])))
    return widths


def row_lines(cells: list[str], widths: list[int], right: set[int]) -> list[str]:
    """One row, its text cells wrapped to their widths over as many lines as they need."""
    wrapped = [[c] if i in right or len(c) <= w else textwrap.wrap(c, w, break_on_hyphens=False) or [""]
               for i, (c, w) in enumerate(zip(cells, widths))]
    return [GAP.join((part[k] if k < len(part) else "").rjust(w) if i in right else
                     (part[k] if k < len(part) else "").ljust(w)
                     for i, (part, w) in enumerate(zip(wrapped, widths)))
            for k in range(max(len(part) for part in wrapped))]


def invoices_table(rows: list[dict[str, Any]]) -> str:
    from infrastructure.cli.document_text import document_text  # it builds on `table` above

    if not rows:
        return "No invoices."
    return "\n\n".join(document_text(doc) for doc in rows) + f"\n\n{len(rows)} document(s)."


def print_invoices(rows: Iterable[dict[str, Any]]) -> None:
    """`print(invoices_table(rows))`, written document by document as the rows come."""
    from infrastructure.cli.document_text import document_text

    count = 0
    for row in rows:
        sys.stdout.write(("\n\n" if count else "") + document_text(row))
        count += 1
    sys.stdout.write(f"\n\n{count} document(s).\n" if count else "No invoices.\n")
