"""The URSSAF "API Tiers de Prestation" as the engine needs it (CGV art. 8 bis).

Two adapters implement this port: an in-process simulator that follows the deemed timeline
of INTERPRETATION.md, and an HTTP client for the real API.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Protocol

# URSSAF status codes of a payment request ("statut" of demandePaiement).
STATUS_LABELS = {
    10: "Intégrée",
    20: "En attente de validation",
    30: "Validée",
    40: "Refusée",
    50: "Prélevée",
    60: "En refus de prélèvement",
    70: "Payée",
    110: "Annulée",
    111: "Annulée après impayé",
    112: "Annulée après recouvrement",
    120: "Recouvrée",
}


@dataclass(frozen=True)
class RequestLine:
    """One prestation of a request: hours at a unit price, TTC (no VAT: art. 293 B)."""

    description: str
    hours: Decimal
    unit_price: Decimal
    amount: Decimal


@dataclass(frozen=True)
class PaymentRequest:
    """A payment request for the eligible lines of one invoice; never spans two months."""

    invoice_number: str
    client_id: str
    first_day: date
    last_day: date
    amount: Decimal
    lines: tuple[RequestLine, ...]
    issued_on: date | None = None
    birth_date: date | None = None  # the client's (dateNaissanceClient), opened from its sealed registration


@dataclass(frozen=True)
class Submission:
    """URSSAF's answer to one request: its id, or the error that refused it."""

    invoice_number: str
    request_id: str | None = None
    error: str | None = None
    error_codes: tuple[str, ...] = ()  # URSSAF's codes of the refusal (ERR_FACTURE_DOUBLON, …)


@dataclass(frozen=True)
class RequestStatus:
    request_id: str
    invoice_number: str
    code: int
    changed_at: datetime | None = None
    rejection: str | None = None  # infoRejet: its code and the client's comment
    paid: Decimal | None = None  # infoVirement: what URSSAF paid the provider

    @property
    def label(self) -> str:
        return STATUS_LABELS.get(self.code, f"statut {self.code}")


class UrssafGateway(Protocol):
    def submit(self, requests: list[PaymentRequest]) -> list[Submission]:
        """Sends the requests; one Submission per request, in the same order."""

    def statuses(self, request_ids: list[str]) -> list[RequestStatus]:
        """The current status of each known request."""


class UrssafUnavailable(Exception):
    """The URSSAF API could not be reached or answered garbage; nothing was decided."""
