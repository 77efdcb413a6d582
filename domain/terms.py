"""Terms versions as data: every parameter of INTERPRETATION.md, validated by pydantic.

A terms version is a value: billing is a function of (facts, terms version), so an auditor
can replay history under any version by passing another one of these.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

PlanName = Literal["START", "GROW", "DEV", "SCALE"]
Money = Annotated[Decimal, Field(ge=0, decimal_places=2)]
Percent = Annotated[Decimal, Field(ge=0, le=100)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class DatedRate(_Strict):
    rate: Percent
    since: date


class Rule(_Strict):
    article: str = Field(min_length=1)


class VatTerms(Rule):
    standard_rates: list[DatedRate] = Field(min_length=1)
    exempt_mention: str = Field(min_length=1)
    # The exemption's code in the VATEX list (EN 16931 BT-121), for electronic invoices.
    exemption_code: str | None = Field(default=None, pattern=r"^VATEX-[A-Z0-9-]+$")

    @field_validator("standard_rates")
    @classmethod
    def _distinct_dates(cls, rates: list[DatedRate]) -> list[DatedRate]:
        if len({r.since for r in rates}) != len(rates):
            raise ValueError("two VAT rates start on the same date")
        return sorted(rates, key=lambda r: r.since)

    def standard_rate_on(self, day: date) -> Decimal:
        in_force = [r.rate for r in self.standard_rates if r.since <= day]
        if not in_force:
            raise ValueError(f"no standard VAT rate in force on {day}")
        return in_force[-1]


class Plan(_Strict):
    included: int = Field(ge=0)
    extra_price: Money


class ValidationTerms(Rule):
    anomaly_window_jours_ouvrables: int = Field(ge=0)


class CommitmentTerms(Rule):
    minimum_periods: int = Field(ge=1)
    notice_days: int = Field(ge=0)


class PrepaymentTerms(Rule):
    periods: int = Field(ge=1)
    discount_percent: Percent


class StarterPackTerms(Rule):
    appointments: int = Field(ge=1)
    price_ttc: Money


class BreachTerms(Rule):
    remedy_days: int = Field(ge=0)


class LatePaymentTerms(Rule):
    """Penalty rate = ecb_multiplier × ECB main refinancing rate + points, where the ECB rate
    is the one in force on the first day of the half-year (C. com. L441-10) or on the due date."""

    ecb_multiplier: Decimal = Field(ge=0)
    points: Decimal = Field(ge=0)
    ecb_rate_of: Literal["half_year", "due_date"]
    recovery_fee: Money
    consumer_clients: bool
    # The amount the interest runs on (INTERPRETATION.md): what is owed including VAT, or excluding it.
    interest_base: Literal["ttc", "ht"]
    day_count: int = Field(gt=0)
    mention: str = Field(min_length=1)
    penalty_mention: str = Field(min_length=1)
    # What is printed for consumer clients: the clauses above as the law lets them apply.
    consumer_mention: str | None = Field(default=None, min_length=1)
    consumer_penalty_mention: str | None = Field(default=None, min_length=1)

    @model_validator(mode="after")
    def _consumer_mentions(self) -> LatePaymentTerms:
        if self.consumer_clients and not (self.consumer_mention and self.consumer_penalty_mention):
            raise ValueError("a version for consumer clients states consumer_mention and consumer_penalty_mention "
                             "(what its invoices print, without the recovery fee)")
        return self

    # INTERPRETATION.md: the flat fee binds professionals only (C. com. L441-10, D441-5); put on a
    # consumer it is deemed unwritten (C. proc. civ. d'exécution L111-8): never claimed from one.
    @property
    def claimable_fee(self) -> Decimal:
        return Decimal("0.00") if self.consumer_clients else self.recovery_fee

    @property
    def printed_mention(self) -> str:
        return self.consumer_mention if self.consumer_clients else self.mention

    @property
    def printed_penalty_mention(self) -> str:
        return self.consumer_penalty_mention if self.consumer_clients else self.penalty_mention


class ArticleRefs(_Strict):
    subscription_fee: str
    extra_appointments: str
    multicanal: str
    starter_pack: str
    periods: str


class _Version(_Strict):
    """What every terms version states about itself."""

    reference: str = Field(min_length=1)
    title: str
    effective_from: date
    source: str | None = None
    derived_from: str | None = None
    invoice_prefix: str = Field(pattern=r"^[A-Z]{2,5}$")
    payment_due_days: int = Field(ge=0)


class BtbTerms(_Version):
    provider: Literal["btbconnect"]
    vat: VatTerms
    plans: dict[PlanName, Plan]
    validation: ValidationTerms
    commitment: CommitmentTerms
    prepayment: PrepaymentTerms
    multicanal: CommitmentTerms
    starter_pack: StarterPackTerms
    breach: BreachTerms
    late_payment: LatePaymentTerms
    articles: ArticleRefs

    @field_validator("plans")
    @classmethod
    def _every_plan(cls, plans: dict[str, Plan]) -> dict[str, Plan]:
        missing = {"START", "GROW", "DEV", "SCALE"} - set(plans)
        if missing:
            raise ValueError(f"plans missing: {', '.join(sorted(missing))}")
        return plans


class CancellationTerms(Rule):
    notice_hours: int = Field(ge=0)


class SapTerms(Rule):
    eligible_places: list[Literal["home", "remote", "elsewhere"]]
    requires_student_present: bool


class AvanceImmediateTerms(Rule):
    credit_percent: Percent
    validation_hours: int = Field(ge=0)
    debit_delay_days: int = Field(ge=0)
    failures_before_permanent_block: int = Field(ge=1)


class EtincelleArticleRefs(_Strict):
    session: str
    late_cancellation: str
    absence: str
    parking: str
    provider_late: str
    invoicing: str
    attestation: str
    client_age: str


class EtincelleTerms(_Version):
    provider: Literal["etincelle"]
    vat_mention: str = Field(min_length=1)
    vat_exemption_code: str | None = Field(default=None, pattern=r"^VATEX-[A-Z0-9-]+$")  # EN 16931 BT-121
    minimum_client_age: int = Field(ge=0)
    cancellation: CancellationTerms
    force_majeure: Rule
    sap: SapTerms
    avance_immediate: AvanceImmediateTerms
    late_payment: LatePaymentTerms
    attestation_deadline: str = Field(pattern=r"^\d{2}-\d{2}$")
    articles: EtincelleArticleRefs


Terms = Annotated[BtbTerms | EtincelleTerms, Field(discriminator="provider")]
