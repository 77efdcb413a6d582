"""The facts about a client (contract: "Both providers"): its registration and later changes of
the details its documents carry (INTERPRETATION.md, "Who issues and who receives")."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from pydantic import AfterValidator, Field, model_validator
from stdnum.fr import siren

from application.facts import Fact, Id, Text, printable, register_fact_types
from domain.identities import PostalAddress


def valid_siren(number: str) -> str:
    if not siren.is_valid(number):
        raise ValueError("is not a SIREN: 9 digits whose last is the Luhn check digit")
    return number


Siren = Annotated[str, Field(pattern=r"^[0-9]{9}$"), AfterValidator(valid_siren)]
# What a mailbox needs to receive an invoice; whether it exists is for the sender to find out.
Email = Annotated[str, Field(max_length=254, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$"), AfterValidator(printable)]


class ClientRegistered(Fact):
    type: Literal["client.registered"]
    client_id: Id
    provider: Literal["btbconnect", "etincelle"]
    name: Text
    address: PostalAddress | None = None
    email: Email | None = None
    siren: Siren | None = None
    adult: bool | None = None
    invoicing: Literal["per_session", "monthly"] | None = None
    birth_date: date | None = None


class ClientDetailsChanged(Fact):
    type: Literal["client.details_changed"]
    client_id: Id
    name: Text | None = None
    address: PostalAddress | None = None
    email: Email | None = None
    siren: Siren | None = None

    @model_validator(mode="after")
    def _changes_something(self) -> ClientDetailsChanged:
        if not self.changes():
            raise ValueError("names none of name, address, email, siren: nothing to change")
        return self

    def changes(self) -> dict:
        found = {"name": self.name, "address": self.address.as_dict() if self.address else None,
                 "email": self.email, "siren": self.siren}
        return {k: v for k, v in found.items() if v is not None}


register_fact_types(ClientRegistered, ClientDetailsChanged)
