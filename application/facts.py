"""The contract's facts (shared/contract/CONTRACT.md), validated by pydantic.

Each fact is one JSON object; unknown types, missing or extra fields and wrong formats are
refused with a message naming the key and the field.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime, timezone
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field, ValidationError

from domain.calendar import out_of_range
from domain.errors import InvalidFact
from domain.text import NOT_PRINTABLE, printable  # noqa: F401 - NOT_PRINTABLE is read from here

def business_time(moment: datetime) -> datetime:
    problem = out_of_range(moment.date())
    if problem:
        raise ValueError(problem)
    return moment.astimezone(timezone.utc)


Id = Annotated[str, Field(min_length=1, max_length=200, pattern=r"^[A-Za-z0-9][A-Za-z0-9._:/@-]*$")]
Key = Annotated[str, Field(min_length=1, max_length=200), AfterValidator(printable)]
Text = Annotated[str, Field(min_length=1, max_length=2000), AfterValidator(printable)]
Amount = Annotated[  # ASCII digits only
    str, Field(pattern=r"^[0-9]{1,12}(\.[0-9]{1,2})?$", description="euros as a string, e.g. \"159.00\""),
    AfterValidator(Decimal),
]
Moment = Annotated[AwareDatetime, AfterValidator(business_time)]


class Fact(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid", frozen=True)
    key: Key
    type: str
    at: Moment


# --- both providers -----------------------------------------------------------------------

class PaymentReceived(Fact):
    type: Literal["payment.received"]
    client_id: Id
    amount: Amount
    method: Literal["direct_debit", "card", "transfer", "cash"]
    invoice: Id | None = None


class PaymentFailed(Fact):
    type: Literal["payment.failed"]
    client_id: Id
    amount: Amount
    invoice: Id


class InvoiceCancelled(Fact):
    type: Literal["invoice.cancelled"]
    invoice: Id
    reason: Text


# --- BTBCONNECT ----------------------------------------------------------------------------

class StarterPackOrdered(Fact):
    type: Literal["starter_pack.ordered"]
    pack_id: Id
    client_id: Id
    terms: Id | None = None


class StarterPackCampaignStarted(Fact):
    type: Literal["starter_pack.campaign_started"]
    pack_id: Id


class SubscriptionStarted(Fact):
    type: Literal["subscription.started"]
    subscription_id: Id
    client_id: Id
    plan: Literal["START", "GROW", "DEV", "SCALE"]
    monthly_fee: Amount
    prepaid_quarterly: bool = False
    terms: Id | None = None


class OptionActivated(Fact):
    type: Literal["subscription.option_activated"]
    subscription_id: Id
    option: Literal["multicanal"]
    monthly_fee_ht: Amount


class CancellationNotified(Fact):
    type: Literal["subscription.cancellation_notified"]
    subscription_id: Id


class OptionCancellationNotified(Fact):
    type: Literal["subscription.option_cancellation_notified"]
    subscription_id: Id
    option: Literal["multicanal"]


class FormalNoticeSent(Fact):
    type: Literal["subscription.formal_notice_sent"]
    subscription_id: Id
    reason: Text


class BreachRemedied(Fact):
    type: Literal["subscription.breach_remedied"]
    subscription_id: Id


class SuspendedForBreach(Fact):
    type: Literal["subscription.suspended_for_breach"]
    subscription_id: Id


class TerminatedForBreach(Fact):
    type: Literal["subscription.terminated_for_breach"]
    subscription_id: Id


class AppointmentScheduled(Fact):
    type: Literal["appointment.scheduled"]
    appointment_id: Id
    client_id: Id
    starts_at: Moment
    subscription_id: Id | None = None
    pack_id: Id | None = None


class AppointmentHonoured(Fact):
    type: Literal["appointment.honoured"]
    appointment_id: Id


class AnomalyDeclared(Fact):
    type: Literal["appointment.anomaly_declared"]
    appointment_id: Id
    reason: Text


class AppointmentCancelled(Fact):
    type: Literal["appointment.cancelled"]
    appointment_id: Id


FACT_TYPES: dict[str, type[Fact]] = {
    model.model_fields["type"].annotation.__args__[0]: model  # type: ignore[union-attr]
    for model in Fact.__subclasses__()
}


def register_fact_types(*models: type[Fact]) -> None:
    """Providers' modules add their facts here."""
    for model in models:
        FACT_TYPES[model.model_fields["type"].annotation.__args__[0]] = model  # type: ignore[union-attr]


def parse_fact(raw: Any) -> Fact:
    """Validates one decoded JSON object; InvalidFact names the key and the field."""
    if not isinstance(raw, dict):
        raise InvalidFact("a fact must be a JSON object")
    key = raw.get("key")
    label = f"fact {key!r}" if isinstance(key, str) else "fact without a 'key'"
    fact_type = raw.get("type")
    if not isinstance(fact_type, str) or fact_type not in FACT_TYPES:
        known = ", ".join(sorted(FACT_TYPES))
        raise InvalidFact(f"{label}: unknown type {fact_type!r} (known: {known})")
    try:
        return FACT_TYPES[fact_type].model_validate_json(json.dumps(raw))
    except ValidationError as exc:
        raise InvalidFact(f"{label} ({fact_type}): {describe(exc)}") from None


def describe(exc: ValidationError) -> str:
    parts = []
    for err in exc.errors():
        field = ".".join(str(p) for p in err["loc"]) or "(fact)"
        message = "unknown field, not allowed" if err["type"] == "extra_forbidden" else err["msg"]
        if err["type"] == "missing":
            message = "required field is missing"
        parts.append(f"field {field!r}: {message}")
    return "; ".join(parts)


def digest(raw: dict) -> str:
    """The fact's content, key excluded, as a stable hash for idempotency."""
    content = {k: v for k, v in raw.items() if k != "key"}
    canonical = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


# The providers' modules register their facts as they load (circular by design: they read this
# module's types): loaded here, every importer of parse_fact knows every type.
from application import client_facts, ets_facts  # noqa: E402, F401
