"""Documents: invoices and credit notes, computed as drafts and issued as immutable facts."""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from domain.money import ZERO, percent_of, to_cents


AMOUNTS = ("quantity", "unit_price", "total_ht", "vat_rate", "vat", "total_ttc", "hours")
_decimals: dict[str, Decimal] = {}


def shared_decimal(value: str | Decimal) -> Decimal:
    """One object per written amount ("390.00"): issued documents repeat few distinct amounts.
    Keyed by the text, so "1.0" and "1.00" stay apart (the hash chain covers the text)."""
    text = str(value)
    found = _decimals.get(text)
    if found is None:
        found = _decimals[text] = Decimal(text)
    return found


@dataclass(frozen=True, slots=True)
class Line:
    code: str
    description: str
    quantity: Decimal
    unit_price: Decimal
    total_ht: Decimal
    vat_rate: Decimal
    vat: Decimal
    total_ttc: Decimal
    mention: str | None
    article: str
    sources: tuple[str, ...] = ()
    eligible: bool = False
    hours: Decimal = ZERO

    def as_dict(self) -> dict:
        return {"code": self.code, "description": self.description, "quantity": self.quantity,
                "unit_price": self.unit_price, "total_ht": self.total_ht, "vat_rate": self.vat_rate,
                "vat": self.vat, "total_ttc": self.total_ttc, "mention": self.mention, "article": self.article,
                "sources": list(self.sources), "eligible": self.eligible, "hours": self.hours}

    def as_record(self) -> dict:
        """As stored in an issued document: amounts as their exact text, plain JSON throughout."""
        data = self.as_dict()
        for name in AMOUNTS:
            data[name] = str(data[name])
        return data

    @classmethod
    def from_dict(cls, data: dict) -> Line:
        """From `as_dict` or `as_record` (older documents store amounts as Decimal)."""
        mention = data.get("mention")
        return cls(
            sys.intern(data["code"]), sys.intern(data["description"]), shared_decimal(data["quantity"]),
            shared_decimal(data["unit_price"]), shared_decimal(data["total_ht"]),
            shared_decimal(data["vat_rate"]), shared_decimal(data["vat"]), shared_decimal(data["total_ttc"]),
            None if mention is None else sys.intern(mention), sys.intern(data["article"]),
            tuple(data.get("sources", ())), data.get("eligible", False), shared_decimal(data.get("hours", ZERO)),
        )


def exempt_line(
    code: str, description: str, quantity: int, unit_price: Decimal, mention: str, article: str,
    sources: tuple[str, ...] = (),
) -> Line:
    """A VAT-exempt line: HT equals TTC, the exemption mention is printed."""
    total = to_cents(unit_price * quantity)
    return Line(code, description, Decimal(quantity), unit_price, total, ZERO, ZERO, total,
                mention, article, sources)


def taxed_line(
    code: str, description: str, quantity: int, unit_price_ht: Decimal, vat_rate: Decimal,
    article: str, sources: tuple[str, ...] = (),
) -> Line:
    total_ht = to_cents(unit_price_ht * quantity)
    vat = percent_of(total_ht, vat_rate)
    return Line(code, description, Decimal(quantity), unit_price_ht, total_ht, vat_rate, vat,
                total_ht + vat, None, article, sources)


def taxed_line_from_ttc(
    code: str, description: str, price_ttc: Decimal, vat_rate: Decimal, article: str,
    sources: tuple[str, ...] = (),
) -> Line:
    """A price stated TTC: HT = TTC / (1 + rate) to the cent, VAT = TTC − HT."""
    total_ht = to_cents(price_ttc / (1 + vat_rate / Decimal(100)))
    return Line(code, description, Decimal(1), total_ht, total_ht, vat_rate,
                price_ttc - total_ht, price_ttc, None, article, sources)


@dataclass(frozen=True)
class Draft:
    """What a document should be, by the rules; issuing gives it a number and an issue date."""

    key: str
    kind: str
    provider: str
    client_id: str
    due_on: date
    terms: str
    lines: tuple[Line, ...]
    notes: tuple[str, ...] = field(default=())
    payment_days: int = 0
    details: dict = field(default_factory=dict)

    def as_dict(self) -> dict:
        """Plain data (amounts as Decimal, dates as date), for `from_dict` in another process."""
        return {"key": self.key, "kind": self.kind, "provider": self.provider, "client_id": self.client_id,
                "due_on": self.due_on, "terms": self.terms, "lines": [line.as_dict() for line in self.lines],
                "notes": list(self.notes), "payment_days": self.payment_days, "details": self.details}

    @classmethod
    def from_dict(cls, data: dict) -> Draft:
        return cls(data["key"], data["kind"], data["provider"], data["client_id"], data["due_on"], data["terms"],
                   tuple(Line.from_dict(line) for line in data["lines"]), tuple(data["notes"]),
                   data["payment_days"], data["details"])

    @property
    def total_ht(self) -> Decimal:
        return sum((line.total_ht for line in self.lines), ZERO)

    @property
    def total_vat(self) -> Decimal:
        return sum((line.vat for line in self.lines), ZERO)

    @property
    def total_ttc(self) -> Decimal:
        return sum((line.total_ttc for line in self.lines), ZERO)
