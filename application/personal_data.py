"""A client's URSSAF registration data (L'Étincelle du Savoir CGV art. 8.5, 12): validated here.

This is personal data: it goes into the event store only sealed by ``infrastructure.vault``,
and it must never reach a log or an error message. So:

- every refusal names the field(s) and the rule, never a value (``registration_from_fact``
  replaces pydantic's messages, whose errors carry the input, with fixed texts);
- the model's ``repr``/``str`` hide every field;
- ``masked_iban`` is the only form of the IBAN meant for display.

The adult check needs a reference date: pass ``on`` (the fact's date) to
``registration_from_fact``, or ``context={"on": ..., "minimum_age": ...}`` to
``UrssafRegistration.model_validate``. Without one, today's date in Paris and 18 years apply.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel, ConfigDict, Field, ValidationError, ValidationInfo, field_validator, model_validator,
)
from schwifty import IBAN
from schwifty.exceptions import SchwiftyException

from application.urssaf_registration import address_problems, api_problems, flattened, missing_for_api
from domain.calendar import PARIS
from domain.errors import InvalidFact, MinorClient

MINIMUM_AGE = 18
IBAN_ERROR = "not a valid IBAN (checksum or format)"
EMAIL_PATTERN = re.compile(r"^[^@\s]+@[^@\s.]+(\.[^@\s.]+)+$")

# Fixed refusal texts: pydantic's own messages are not used, so no input can leak into them.
FIELD_RULES = {
    "birth_name": "1 to 100 characters",
    "usage_name": "1 to 100 characters, or null",
    "birth_date": "a date YYYY-MM-DD",
    "birth_place": "1 to 100 characters",
    "address": "5 to 300 characters",
    "email": "not a valid email address",
    "iban": IBAN_ERROR,
    "civility": '"1" (Monsieur) or "2" (Madame)',
    "first_names": "1 to 256 characters",
    "birth_country_code": "an INSEE country code of 5 characters",
    "birth_department": "an INSEE department code of 3 characters",
    "birth_commune_code": "an INSEE commune code of 3 characters",
    "mobile_phone": "10 to 12 characters",
    "bic": "8 to 11 characters",
    "account_holder": "1 to 100 characters",
    "postal_address": "an object: commune_name, commune_code, postal_code, country_code, and optional "
                      "street_number, street_letter, street_type_code, street_name, complement, locality",
}

ADDRESS_RULES = {"street_number": "1 to 20 characters", "street_letter": "1 character", "street_type_code": "1 to 4 characters",
                 "street_name": "1 to 28 characters", "complement": "1 to 38 characters", "locality": "1 to 38 characters",
                 "commune_name": "1 to 50 characters", "commune_code": "5 characters", "postal_code": "5 characters",
                 "country_code": "5 characters"}

Name = Annotated[str, Field(min_length=1, max_length=100, repr=False)]


def _text(low: int, high: int) -> Any:
    return Annotated[str | None, Field(min_length=low, max_length=high, repr=False)]


class PostalAddress(BaseModel):
    """InputAdresseDTO of URSSAF's API, with its lengths; its patterns are checked with the rest."""

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)

    street_number: _text(1, 20) = None
    street_letter: _text(1, 1) = None
    street_type_code: _text(1, 4) = None
    street_name: _text(1, 28) = None
    complement: _text(1, 38) = None
    locality: _text(1, 38) = None  # lieuDit
    commune_name: Annotated[str, Field(min_length=1, max_length=50, repr=False)]
    commune_code: Annotated[str, Field(min_length=5, max_length=5, repr=False)]
    postal_code: Annotated[str, Field(min_length=5, max_length=5, repr=False)]
    country_code: Annotated[str, Field(min_length=5, max_length=5, repr=False)]


class UrssafRegistration(BaseModel):
    """Registration data for URSSAF's avance immédiate; all of it personal data."""

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)

    birth_name: Name
    usage_name: Annotated[str | None, Field(min_length=1, max_length=100, repr=False)] = None
    birth_date: Annotated[date, Field(repr=False)]
    birth_place: Name
    address: Annotated[str, Field(min_length=5, max_length=300, repr=False)]
    email: Annotated[str, Field(min_length=3, max_length=254, repr=False)]
    iban: Annotated[str, Field(min_length=1, max_length=64, repr=False)]
    # For registration with URSSAF's API (POST /particulier); all or none of them.
    civility: Annotated[Literal["1", "2"] | None, Field(repr=False)] = None
    first_names: _text(1, 256) = None
    birth_country_code: _text(5, 5) = None
    birth_department: _text(3, 3) = None
    birth_commune_code: _text(3, 3) = None
    mobile_phone: _text(10, 12) = None
    postal_address: Annotated[PostalAddress | None, Field(repr=False)] = None
    bic: _text(8, 11) = None
    account_holder: _text(1, 100) = None

    @field_validator("birth_date", mode="before")
    @classmethod
    def _date_form(cls, value: Any) -> Any:
        # A date object or an ISO string only: no timestamps or other lax conversions.
        if isinstance(value, datetime) or not isinstance(value, (date, str)):
            raise ValueError(FIELD_RULES["birth_date"])
        return value

    @field_validator("email")
    @classmethod
    def _email(cls, value: str) -> str:
        if not EMAIL_PATTERN.fullmatch(value):
            raise ValueError(FIELD_RULES["email"])
        return value

    @field_validator("iban")
    @classmethod
    def _iban(cls, value: str) -> str:
        return compact_iban(value)

    @model_validator(mode="after")
    def _adult(self, info: ValidationInfo) -> UrssafRegistration:
        context = info.context if isinstance(info.context, dict) else {}
        on = context.get("on") or today_in_paris()
        check_adult(self.birth_date, on=on, minimum_age=context.get("minimum_age", MINIMUM_AGE))
        return self

    @model_validator(mode="after")
    def _ready_for_the_api(self) -> UrssafRegistration:
        # Texts that name fields and rules only (see describe).
        fields = self.model_dump(mode="json")
        problems = api_problems(fields) + address_problems(fields.get("postal_address") or {})
        if problems:
            raise ValueError("; ".join(problems))
        return self

    def missing_for_api(self) -> list[str]:
        """Names of what URSSAF's POST /particulier needs and this registration lacks."""
        return missing_for_api(self.model_dump(mode="json"))

    def sealable(self) -> dict[str, str]:
        """The record to give ``Vault.seal``: strings only (the address flattened), absent fields left out."""
        return flattened(self.model_dump(mode="json"))

    def __repr__(self) -> str:
        return f"{type(self).__name__}(<personal data hidden>)"

    __str__ = __repr__


def check_adult(birth_date: date, on: date, minimum_age: int = MINIMUM_AGE) -> None:
    """Refuses a client younger than ``minimum_age`` on ``on`` (CGV art. 1, 14).

    A birthday on 29 February falls on 1 March in common years. The message holds neither the
    birth date nor the age.
    """
    had_birthday = (on.month, on.day) >= (birth_date.month, birth_date.day)
    age = on.year - birth_date.year - (0 if had_birthday else 1)
    if age < minimum_age:
        raise MinorClient(
            f"birth_date: the client is under {minimum_age} on {on.isoformat()}: L'Étincelle du "
            f"Savoir contracts only with adults (CGV art. 1, 14); register the adult who pays"
        )


def registration_from_fact(
    fields: dict[str, Any], on: date | None = None, minimum_age: int = MINIMUM_AGE,
) -> UrssafRegistration:
    """Validates a fact's registration fields; ``on`` is the fact's date (default: today, Paris).

    Raises InvalidFact naming the wrong fields, or MinorClient; no message quotes a value.
    """
    if not isinstance(fields, dict):
        raise InvalidFact("URSSAF registration: expected an object of fields")
    context = {"on": on or today_in_paris(), "minimum_age": minimum_age}
    problems: list[str] | None = None
    try:
        return UrssafRegistration.model_validate(fields, context=context)
    except ValidationError as exc:
        problems = describe(exc)
    # Raised outside the except block: the ValidationError, which holds the input, is not chained.
    raise InvalidFact("URSSAF registration: " + "; ".join(problems))


def describe(exc: ValidationError) -> list[str]:
    """One fixed text per wrong field; pydantic's messages and inputs are left out."""
    problems: dict[str, str] = {}
    for error in exc.errors(include_input=False, include_url=False, include_context=False):
        field = ".".join(str(part) for part in error["loc"]) or "(registration)"
        if error["type"] == "value_error" and not error["loc"]:
            for problem in error["msg"].removeprefix("Value error, ").split("; "):
                problems.setdefault(problem.split(":", 1)[0], problem)
            continue
        if error["type"] == "missing":
            rule = "required field is missing"
        elif error["type"] == "extra_forbidden":
            rule = "unknown field, not allowed"
        else:
            rule = FIELD_RULES.get(field) or ADDRESS_RULES.get(field.removeprefix("postal_address."), "invalid value")
        problems.setdefault(field, f"{field}: {rule}")
    return list(problems.values())


def compact_iban(value: str) -> str:
    """The IBAN in compact form (no spaces, upper case) after schwifty's checks, BBAN included."""
    try:
        return IBAN(value, validate_bban=True).compact
    except (SchwiftyException, ValueError, TypeError):
        # schwifty's own messages quote the IBAN: never pass them on.
        pass
    raise ValueError(IBAN_ERROR)


def masked_iban(iban: str) -> str:
    """``FR76 **** **** **** **** **** 189``: country and check digits, then the last 3 characters.

    Works on any string without validating it; too short a string is masked entirely.
    """
    compact = "".join(str(iban).split()).upper()
    if len(compact) < 8:
        masked = "*" * len(compact)
    else:
        masked = compact[:4] + "*" * (len(compact) - 7) + compact[-3:]
    return " ".join(masked[i:i + 4] for i in range(0, len(masked), 4))


def today_in_paris() -> date:
    return datetime.now(PARIS).date()
