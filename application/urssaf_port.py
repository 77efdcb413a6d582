"""The URSSAF "API Tiers de Prestation" as the engine needs it (CGV art. 8 bis).

Two adapters implement this port: an in-process simulator that follows the deemed timeline
of INTERPRETATION.md, and an HTTP client for the real API.
"""

from __future__ import annotations

from dataclasses import dataclass
from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Protocol

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
    urssaf_client_id: str | None = None  # URSSAF's id of the client (idClient), given at its registration


@dataclass(frozen=True)
class Submission:
    """URSSAF's answer to one request: its id, or the error that refused it."""

    invoice_number: str
    request_id: str | None = None
    error: str | None = None
    error_codes: tuple[str, ...] = ()  # URSSAF's codes of the refusal (ERR_FACTURE_DOUBLON, …)
    final: bool = False  # the request can never succeed as it is; otherwise it is sent again next run


@dataclass(frozen=True)
class Enrolment:
    """URSSAF's answer to registering a client (POST /particulier): its idClient, or the error."""

    client_id: str
    urssaf_client_id: str | None = None
    error: str | None = None


@dataclass(frozen=True)
class RequestStatus:
    request_id: str
    invoice_number: str
    code: int
    changed_at: datetime | None = None
    rejection: str | None = None  # infoRejet: its code and the client's comment
    paid: Decimal | None = None  # infoVirement: what URSSAF paid the provider
    paid_at: datetime | None = None  # infoVirement: when

    @property
    def label(self) -> str:
        return STATUS_LABELS.get(self.code, f"statut {self.code}")


class UrssafGateway(Protocol):
    # True: the engine registers each client with URSSAF and sends its requests only once the
    # client activated the account (the real API); False: every registered client is taken as
    # known and active (the simulator).
    registers_clients: bool

    def register(self, client_id: str, registration: Mapping[str, Any]) -> Enrolment:
        """Registers a client from its opened registration data (personal data: never logged)."""

    def submit(self, requests: list[PaymentRequest]) -> list[Submission]:
        """Sends the requests; one Submission per request, in the same order."""

    def statuses(self, request_ids: list[str]) -> list[RequestStatus]:
        """The current status of each known request."""


class UrssafUnavailable(Exception):
    """The URSSAF API could not be reached or answered garbage; nothing was decided."""
