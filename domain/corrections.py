"""Corrections (INTERPRETATION.md: "an issued invoice is never changed: a correction is a credit
note plus a new invoice"). When the facts now call for other lines than those billed under a
document's key, a credit note takes back what was billed too much and a supplementary invoice
bills what is missing, both referring to the original (number and date). A cancelled invoice is
credited in full and never billed again."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal

from domain.documents import Draft, Line
from domain.issuing import IssuedDocument
from domain.money import ZERO

Signature = tuple[str, str, Decimal, Decimal, str | None, str]


@dataclass
class Billed:
    quantity: Decimal = Decimal(0)
    total_ht: Decimal = ZERO
    vat: Decimal = ZERO
    total_ttc: Decimal = ZERO
    sources: set[str] = field(default_factory=set)
    sample: Line | None = None

    def add(self, line: Line, sign: int = 1) -> None:
        self.quantity += line.quantity * sign
        self.total_ht += line.total_ht * sign
        self.vat += line.vat * sign
        self.total_ttc += line.total_ttc * sign
        self.sources |= set(line.sources)
        self.sample = self.sample or line


def signature(line: Line) -> Signature:
    return (line.code, line.description, line.unit_price, line.vat_rate, line.mention, line.article)


def tally(lines: list[Line]) -> dict[Signature, Billed]:
    result: dict[Signature, Billed] = defaultdict(Billed)
    for line in lines:
        result[signature(line)].add(line)
    return result


def correction_drafts(
    original: IssuedDocument, fixes: list[IssuedDocument], target: Draft | None, on: date, reason: str,
) -> list[Draft]:
    if not fixes and target is not None and tuple(original.lines) == target.lines:
        return []  # billed exactly as wanted: the common case, spared the tallies
    billed = tally([line for doc in [original, *fixes] for line in doc.lines])
    wanted = tally(list(target.lines)) if target else {}
    minus, plus = [], []
    for sig in sorted(set(billed) | set(wanted), key=str):
        line = difference(billed.get(sig, Billed()), wanted.get(sig, Billed()))
        if line is not None:
            (minus if line.total_ttc < 0 or (line.total_ttc == 0 and line.quantity < 0) else plus).append(line)
    n = len(fixes)
    drafts = []
    for kind, lines in (("credit_note", minus), ("invoice", plus)):
        if lines:
            n += 1
            drafts.append(correction(original, kind, lines, n, on, reason))
    return drafts


def difference(billed: Billed, wanted: Billed) -> Line | None:
    if (billed.quantity, billed.total_ttc) == (wanted.quantity, wanted.total_ttc):
        return None
    sample = wanted.sample or billed.sample
    losing = wanted.total_ttc < billed.total_ttc or wanted.quantity < billed.quantity
    sources = billed.sources - wanted.sources if losing else wanted.sources - billed.sources
    return replace(sample, quantity=wanted.quantity - billed.quantity, total_ht=wanted.total_ht - billed.total_ht,
                   vat=wanted.vat - billed.vat, total_ttc=wanted.total_ttc - billed.total_ttc,
                   sources=tuple(sorted(sources)))


def correction(original: IssuedDocument, kind: str, lines: list[Line], n: int, on: date, reason: str) -> Draft:
    what = "Avoir" if kind == "credit_note" else "Facture complémentaire"
    note = f"{what} sur la facture {original.number} du {original.issued_on:%d/%m/%Y} ({reason})."
    details = {"corrects": original.key, "reason": reason,
               "refers_to": {"number": original.number, "issued_on": original.issued_on}}
    return Draft(f"{original.key}~{n}", kind, original.provider, original.client_id, on, original.terms,
                 tuple(lines), (note, *original.notes), 0, details)


def corrections(
    documents: list[IssuedDocument], drafts: dict[str, Draft], cancelled: dict[str, str], on: date,
) -> list[Draft]:
    """Every correction the documents issued so far call for, against the drafts of now."""
    # A penalty invoice is corrected only when a draft says what it should have been (penalty_target).
    originals = {d.key: d for d in documents
                 if "corrects" not in d.details and (not d.key.startswith("penalty:") or d.key in drafts)}
    fixes: dict[str, list[IssuedDocument]] = defaultdict(list)
    for doc in documents:
        if "corrects" in doc.details:
            fixes[doc.details["corrects"]].append(doc)
    found = []
    for key, original in originals.items():
        if key in cancelled:
            found += correction_drafts(original, fixes[key], None, on, f"annulée : {cancelled[key]}")
        else:
            found += correction_drafts(original, fixes[key], drafts.get(key), on, "régularisation")
    return found
