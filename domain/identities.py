"""Who issues and who receives (INTERPRETATION.md; C. com. L441-9, R123-237; CGI art. 242
nonies A): each provider's legal identity as data, with the day each version takes effect, and
the copies of both parties that an issued document keeps.

A value the law asks for but the provider has not given yet is listed in `missing`, never
invented: `billing providers check` reports it and the documents say it is missing.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator
from stdnum.fr import siren, siret, tva

from domain.text import printable


def _checked(module: Any, what: str, prefix: str = "") -> Any:
    def check(number: str) -> str:
        if not module.is_valid(number):
            raise ValueError(f"is not a valid {what} (python-stdnum)")
        return prefix + module.compact(number)
    return check


Siren = Annotated[str, AfterValidator(_checked(siren, "SIREN"))]
Siret = Annotated[str, AfterValidator(_checked(siret, "SIRET"))]
VatNumber = Annotated[str, AfterValidator(_checked(tva, "French VAT number", "FR"))]
Short = Annotated[str, Field(min_length=1, max_length=200), AfterValidator(printable)]


class PostalAddress(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid", frozen=True)
    line1: Short
    line2: Short | None = None
    postal_code: Annotated[str, Field(pattern=r"^[0-9A-Z][0-9A-Z -]{1,9}$")]
    city: Short
    country: Annotated[str, Field(pattern=r"^[A-Z]{2}$", description="ISO 3166 alpha-2")] = "FR"

    @model_validator(mode="after")
    def _french_postal_code(self) -> PostalAddress:
        if self.country == "FR" and not (len(self.postal_code) == 5 and self.postal_code.isdigit()):
            raise ValueError("a French postal code has 5 digits")
        return self

    def as_dict(self) -> dict:
        return self.model_dump(exclude_none=True)


class UrssafCodes(BaseModel):
    """How URSSAF's API names the provider's activity (InputPrestation codeNature, codeActivite)
    and what complement2 carries; data, as the provider's declaration says."""
    model_config = ConfigDict(extra="forbid", frozen=True)
    code_nature: Short
    code_activite: Short | None = None
    complement2: Short | None = None
    id_tiers_facturation: Short | None = None  # URSSAF's id of the provider, given when it is habilitated


OPTIONAL = ("legal_form", "capital", "representative", "address", "siren", "siret", "rcs", "vat_number", "orias",
            "sap_declaration", "sap_nature", "email", "phone", "website")


class ProviderIdentity(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    provider: Literal["btbconnect", "etincelle"]
    since: date
    name: Short
    legal_form: Short | None = None
    capital: Annotated[Decimal, Field(ge=0, decimal_places=2)] | None = None
    representative: Short | None = None
    address: PostalAddress | None = None
    siren: Siren | None = None
    siret: Siret | None = None
    rcs: Short | None = None
    vat_number: VatNumber | None = None
    orias: Short | None = None
    sap_declaration: Short | None = None
    sap_nature: Short | None = None  # the activity of services à la personne, as declared
    email: Short | None = None
    phone: Short | None = None
    website: Short | None = None
    urssaf: UrssafCodes | None = None
    missing: tuple[str, ...] = ()

    @model_validator(mode="after")
    def _consistent(self) -> ProviderIdentity:
        for name in self.missing:
            if name not in OPTIONAL or getattr(self, name) is not None:
                raise ValueError(f"'missing' names {name!r}, which is not an identity field left empty")
        if self.siret and self.siren and not self.siret.startswith(self.siren):
            raise ValueError(f"SIRET {self.siret} is not an establishment of SIREN {self.siren}")
        if self.vat_number and self.siren and self.vat_number[4:] != self.siren:
            raise ValueError(f"VAT number {self.vat_number} is not derived from SIREN {self.siren}")
        return self

    def gaps(self) -> list[str]:
        """What the documents need and this version lacks: what it lists as missing, and any value
        the law asks of every invoice (C. com. R123-237, L441-9) left out without saying so."""
        registered = self.siren or self.siret or {"siren", "siret"} & set(self.missing)
        required = ["address"] + ([] if registered else ["siren"])
        if self.legal_form != "EI":  # a company: its registry and capital (R123-237)
            required += ["rcs", "capital"]
        absent = [name for name in required if getattr(self, name) is None and name not in self.missing]
        return [*self.missing, *(f"{name} (not listed as missing)" for name in absent)]

    def as_party(self) -> dict:
        """The seller as a document keeps it (CONTRACT.md: `siren`, `vat_number`, `address` always
        there, null when unknown)."""
        party = {"name": self.name, "siren": self.siren, "vat_number": self.vat_number, "address": None,
                 **{n: _plain(getattr(self, n)) for n in OPTIONAL if getattr(self, n) is not None}}
        return party | ({"missing": list(self.missing)} if self.missing else {})


def _plain(value: Any) -> Any:
    if isinstance(value, PostalAddress):
        return value.as_dict()
    return str(value) if isinstance(value, Decimal) else value


class ProviderIdentities:
    """Every version of every provider's identity; the one in force on a day."""

    def __init__(self, versions: list[ProviderIdentity]) -> None:
        self.versions = sorted(versions, key=lambda v: (v.provider, v.since))

    def on(self, provider: str, day: date) -> ProviderIdentity | None:
        found = [v for v in self.versions if v.provider == provider and v.since <= day]
        return found[-1] if found else None

    def seller(self, provider: str, day: date) -> dict:
        identity = self.on(provider, day)
        if identity is None:
            return {"name": None, "siren": None, "vat_number": None, "address": None, "missing": ["identity"]}
        return identity.as_party()


def buyer(client: Any, at: datetime) -> dict:
    """The client as a document issued at `at` keeps it: name and postal address on every
    invoice, and a business client's SIREN (e-invoicing reform); what is not known is missing."""
    party = {"client_id": client.client_id, "siren": None, "address": None, **client.identity_at(at)}
    wanted = ("address", "siren") if client.provider == "btbconnect" else ("address",)
    missing = [name for name in wanted if party[name] is None]
    return party | ({"missing": missing} if missing else {})
