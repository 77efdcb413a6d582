"""Readable tables for people; JSON for machines goes straight to stdout."""

from __future__ import annotations

import json
import sys
from typing import Any


def print_json(data: Any) -> None:
    json.dump(data, sys.stdout, ensure_ascii=False, indent=2)
    sys.stdout.write("\n")


def table(headers: list[str], rows: list[list[str]], right: set[int] | None = None) -> str:
    right = right or set()
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(headers)]

    def fmt_row(cells: list[str]) -> str:
        return "  ".join(c.rjust(w) if i in right else c.ljust(w) for i, (c, w) in enumerate(zip(cells, widths)))

    lines = [fmt_row(headers), "  ".join("-" * w for w in widths)]
    return "\n".join([*lines, *(fmt_row(r) for r in rows)])


def invoices_table(rows: list[dict[str, Any]]) -> str:
    if not rows:
        return "No invoices."
    blocks = []
    for doc in rows:
        head = (f"{doc['number']}  {doc['kind']:<11} {doc['client_id']:<14} issued {doc['issued_on']}"
                f"  due {doc['due_on']}  terms {doc['terms']}")
        lines = [[ln["code"], ln["description"][:58], ln["quantity"], ln["unit_price"], ln["total_ht"],
                  ln["vat_rate"] + "%", ln["vat"], ln["total_ttc"]] for ln in doc["lines"]]
        body = table(["code", "description", "qty", "unit", "HT", "VAT%", "VAT", "TTC"], lines, {2, 3, 4, 5, 6, 7})
        mentions = sorted({ln["mention"] for ln in doc["lines"] if ln["mention"]})
        foot = (f"total HT {doc['total_ht']}  VAT {doc['total_vat']}  TTC {doc['total_ttc']}"
                f"  paid {doc['paid']}  balance {doc['balance']}")
        blocks.append("\n".join([head, body, *mentions, foot]))
    return "\n\n".join(blocks) + f"\n\n{len(rows)} document(s)."
