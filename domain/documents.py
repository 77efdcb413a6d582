"""Documents: invoices and credit notes, computed as drafts and issued as immutable facts."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date
from decimal import Decimal

from domain.money import ZERO, percent_of, to_cents


@dataclass(frozen=True)
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
        data = asdict(self)
        data["sources"] = list(self.sources)
        return data

    @classmethod
    def from_dict(cls, data: dict) -> Line:
        return cls(**{**data, "sources": tuple(data.get("sources", ()))})


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

    @property
    def total_ht(self) -> Decimal:
        return sum((line.total_ht for line in self.lines), ZERO)

    @property
    def total_vat(self) -> Decimal:
        return sum((line.vat for line in self.lines), ZERO)

    @property
    def total_ttc(self) -> Decimal:
        return sum((line.total_ttc for line in self.lines), ZERO)
