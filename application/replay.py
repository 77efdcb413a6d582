"""`billing replay`: the documents of the recorded history recomputed under a terms version,
issuing nothing, beside what was issued (original documents and their corrections), per client
and per line, with the money impact."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from collections.abc import Iterable
from typing import Any

from application.progress import Progress, no_progress
from application.advance import all_drafts
from domain.documents import Line
from domain.money import ZERO, fmt
from domain.terms_catalog import AnyTerms, TermsCatalog
from application.ledger import Ledger


@dataclass
class Cell:
    quantity: Decimal = Decimal(0)
    total_ttc: Decimal = ZERO

    def add(self, line: Line) -> None:
        self.quantity += line.quantity
        self.total_ttc += line.total_ttc


@dataclass
class ReplayReport:
    terms: str
    rows: list[dict[str, Any]] = field(default_factory=list)
    clients: dict[str, dict[str, Decimal]] = field(default_factory=dict)

    @property
    def difference(self) -> Decimal:
        return sum((c["difference"] for c in self.clients.values()), ZERO)

    def as_dict(self) -> dict[str, Any]:
        totals = {k: fmt(sum((c[k] for c in self.clients.values()), ZERO)) for k in ("issued", "replayed", "difference")}
        return {"terms": self.terms, "lines": self.rows, "totals": totals,
                "clients": [{"client_id": cid, **{k: fmt(v) for k, v in c.items()}}
                            for cid, c in sorted(self.clients.items())]}


def terms_resolver(catalog: TermsCatalog, version: AnyTerms):
    """Every contract of the version's provider under that version; the others as recorded."""
    return lambda ref: version if catalog.get(ref).provider == version.provider else catalog.get(ref)


def issued_lines(ledger: Ledger) -> dict[str, list[tuple[str, str, Line]]]:
    """Document key → (client, number, line) for every line billed under it, corrections included."""
    billed: dict[str, list[tuple[str, str, Line]]] = defaultdict(list)
    for doc in ledger.documents():
        if not doc.key.startswith("penalty:"):
            key = doc.details.get("corrects", doc.key)
            billed[key] += [(doc.client_id, doc.number, line) for line in doc.lines]
    return billed


def replay(
    ledger: Ledger, catalog: TermsCatalog, version: AnyTerms, provider: str | None = None,
    client_id: str | None = None, from_date: date | None = None, to_date: date | None = None,
    horizon: date | None = None,
) -> ReplayReport:
    """`horizon`: the last due date of all issued documents, when the ledger holds only some clients."""
    billed = issued_lines(ledger)
    horizon = horizon or max([d.due_on for d in ledger.documents()] or [to_date or date.min])
    drafts = {d.key: d for d in all_drafts(ledger, terms_resolver(catalog, version), to_date or horizon)}
    issued_due = {d.key: d.due_on for d in ledger.documents()}
    report = ReplayReport(version.reference)
    for key in sorted(set(billed) | set(drafts)):
        draft = drafts.get(key)
        owner = draft.client_id if draft else billed[key][0][0]
        kind_provider = draft.provider if draft else ledger.document(billed[key][0][1]).provider
        due = draft.due_on if draft else issued_due.get(key)
        if kind_provider != version.provider or provider not in (None, kind_provider) \
                or client_id not in (None, owner) or not in_range(due, from_date, to_date):
            continue
        compare(report, key, owner, billed.get(key, []), list(draft.lines) if draft else [])
    return report


def replay_by_group(
    ledgers: Iterable[Ledger], catalog: TermsCatalog, version: AnyTerms, horizon: date | None,
    provider: str | None = None, client_id: str | None = None, from_date: date | None = None,
    to_date: date | None = None, progress: Progress = no_progress,
) -> ReplayReport:
    """The replay of the whole history, a group of clients at a time: each client's documents
    follow from its own facts and the horizon alone, and a document key is one client's.
    `progress` is told the clients replayed."""
    parts, done = [], 0
    for ledger in ledgers:
        parts.append(replay(ledger, catalog, version, provider, client_id, from_date, to_date, horizon))
        done += len(ledger.clients())
        progress(done, None)
    return merged(version.reference, parts)


def merged(reference: str, parts: Iterable[ReplayReport]) -> ReplayReport:
    """One report of the replays of disjoint sets of clients: a document key is one client's."""
    report = ReplayReport(reference)
    for part in parts:
        report.rows += part.rows
        report.clients |= part.clients
    report.rows.sort(key=lambda row: row["key"])  # stable: each key's lines keep their order
    return report


def in_range(day: date | None, first: date | None, last: date | None) -> bool:
    return day is None or ((first is None or day >= first) and (last is None or day <= last))


def compare(report: ReplayReport, key: str, client_id: str, billed: list, replayed: list[Line]) -> None:
    issued_cells: dict[str, Cell] = defaultdict(Cell)
    replayed_cells: dict[str, Cell] = defaultdict(Cell)
    numbers = sorted({number for _, number, _ in billed})
    for _, _, line in billed:
        issued_cells[line.code].add(line)
    for line in replayed:
        replayed_cells[line.code].add(line)
    totals = report.clients.setdefault(client_id, {"issued": ZERO, "replayed": ZERO, "difference": ZERO})
    for code in sorted(set(issued_cells) | set(replayed_cells)):
        was, now = issued_cells[code], replayed_cells[code]
        totals["issued"] += was.total_ttc
        totals["replayed"] += now.total_ttc
        totals["difference"] += now.total_ttc - was.total_ttc
        report.rows.append({
            "client_id": client_id, "key": key, "documents": numbers, "code": code,
            "issued_quantity": str(was.quantity), "issued_ttc": fmt(was.total_ttc),
            "replayed_quantity": str(now.quantity), "replayed_ttc": fmt(now.total_ttc),
            "difference": fmt(now.total_ttc - was.total_ttc),
        })
