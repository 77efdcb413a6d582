"""URSSAF registration data: validation that never echoes a value (CGV art. 8.5, 12)."""

from __future__ import annotations

import re
from datetime import date

import pytest

from application.personal_data import (
    UrssafRegistration, check_adult, masked_iban, registration_from_fact,
)
from domain.errors import InvalidFact, MinorClient

ON = date(2025, 3, 1)
IBAN_FR = "FR7630006000011234567890189"
FIELDS = {
    "birth_name": "Lefèvre",
    "usage_name": "Dupré",
    "birth_date": "1984-07-14",
    "birth_place": "Saint-Étienne",
    "address": "12 rue de l'Église, 42000 Saint-Étienne",
    "email": "noelle.lefevre@example.fr",
    "iban": IBAN_FR,
}


def refusal(fields: dict) -> str:
    with pytest.raises(InvalidFact) as caught:
        registration_from_fact(fields, on=ON)
    return str(caught.value)


def test_valid_registration() -> None:
    reg = registration_from_fact(FIELDS, on=ON)
    assert reg.birth_name == "Lefèvre" and reg.usage_name == "Dupré"
    assert reg.birth_date == date(1984, 7, 14)
    assert reg.iban == IBAN_FR
    assert reg.sealable() == FIELDS


def test_usage_name_is_optional_and_left_out_of_the_sealable_record() -> None:
    fields = {k: v for k, v in FIELDS.items() if k != "usage_name"}
    reg = registration_from_fact(fields, on=ON)
    assert reg.usage_name is None
    assert "usage_name" not in reg.sealable()


def test_repr_and_str_hide_personal_data() -> None:
    reg = registration_from_fact(FIELDS, on=ON)
    for text in (repr(reg), str(reg), f"{reg}"):
        assert not any(value in text for value in FIELDS.values())
        assert "1984" not in text


def test_iban_with_bad_checksum_is_refused_without_its_digits() -> None:
    bad = "FR76 3000 6000 0112 3456 7890 188"  # last digit changed: the checksum fails
    message = refusal({**FIELDS, "iban": bad})
    assert "iban: not a valid IBAN (checksum or format)" in message
    assert not re.search(r"\d{3,}", message)
    for group in bad.split():
        assert group not in message


@pytest.mark.parametrize("bad", ["FR76", "XX00 1234", "FR76300060000112345678901890000", "not an iban"])
def test_malformed_iban_is_refused_without_echoing_it(bad: str) -> None:
    message = refusal({**FIELDS, "iban": bad})
    assert "iban: not a valid IBAN (checksum or format)" in message
    assert bad not in message


def test_french_iban_with_spaces_is_normalised() -> None:
    reg = registration_from_fact({**FIELDS, "iban": " fr76 3000 6000 0112 3456 7890 189 "}, on=ON)
    assert reg.iban == IBAN_FR


def test_minor_is_refused_without_the_birth_date_in_the_message() -> None:
    with pytest.raises(MinorClient) as caught:
        registration_from_fact({**FIELDS, "birth_date": "2007-03-02"}, on=ON)  # 18 tomorrow
    message = str(caught.value)
    assert "under 18" in message
    assert "2007" not in message and "03-02" not in message


def test_eighteenth_birthday_is_enough() -> None:
    assert registration_from_fact({**FIELDS, "birth_date": "2007-03-01"}, on=ON).birth_date == date(2007, 3, 1)


def test_check_adult_boundaries() -> None:
    check_adult(date(2000, 6, 15), on=date(2018, 6, 15), minimum_age=18)
    with pytest.raises(MinorClient):
        check_adult(date(2000, 6, 15), on=date(2018, 6, 14), minimum_age=18)
    with pytest.raises(MinorClient):  # born 29 February: 18 on 1 March of a common year
        check_adult(date(2004, 2, 29), on=date(2022, 2, 28), minimum_age=18)
    check_adult(date(2004, 2, 29), on=date(2022, 3, 1), minimum_age=18)
    with pytest.raises(MinorClient, match="under 21"):
        check_adult(date(2003, 1, 1), on=date(2023, 12, 31), minimum_age=21)


def test_model_validate_takes_the_reference_date_from_the_context() -> None:
    fields = {**FIELDS, "birth_date": "2007-03-02"}
    with pytest.raises(MinorClient):
        UrssafRegistration.model_validate(fields, context={"on": ON})
    assert UrssafRegistration.model_validate(fields, context={"on": date(2025, 3, 2)}).birth_name == "Lefèvre"


@pytest.mark.parametrize("email", ["noelle.example.fr", "noelle@", "@example.fr", "no elle@example.fr",
                                   "noelle@example", "a@b@example.fr"])
def test_bad_email_is_refused_without_echoing_it(email: str) -> None:
    message = refusal({**FIELDS, "email": email})
    assert "email: not a valid email address" in message
    assert email not in message


def test_several_wrong_fields_are_named_never_their_values() -> None:
    fields = {**FIELDS, "birth_name": "", "address": "rue", "birth_date": "14/07/1984",
              "secret_extra": "Noëlle"}
    del fields["birth_place"]
    message = refusal(fields)
    for name in ("birth_name", "address", "birth_date", "birth_place", "secret_extra"):
        assert name in message
    assert "rue" not in message.replace("required", "") and "14/07/1984" not in message
    assert "Noëlle" not in message


@pytest.mark.parametrize("birth_date", [0, 441590400, 1984.5, True, ["1984-07-14"]])
def test_birth_date_must_be_a_date_string(birth_date: object) -> None:
    assert "birth_date: a date YYYY-MM-DD" in refusal({**FIELDS, "birth_date": birth_date})


def test_invalid_fact_error_does_not_chain_the_validation_error() -> None:
    with pytest.raises(InvalidFact) as caught:
        registration_from_fact({**FIELDS, "iban": "FR7630006000011234567890188"}, on=ON)
    assert caught.value.__cause__ is None and caught.value.__context__ is None


def test_not_an_object_is_refused() -> None:
    with pytest.raises(InvalidFact, match="object"):
        registration_from_fact(["Lefèvre"], on=ON)  # type: ignore[arg-type]


@pytest.mark.parametrize("iban, masked", [
    ("FR7630006000011234567890189", "FR76 **** **** **** **** **** 189"),
    ("fr76 3000 6000 0112 3456 7890 189", "FR76 **** **** **** **** **** 189"),
    ("DE89370400440532013000", "DE89 **** **** **** ***0 00"),
    ("FR76123", "**** ***"),
])
def test_masked_iban(iban: str, masked: str) -> None:
    assert masked_iban(iban) == masked


def test_masked_iban_hides_the_account_number() -> None:
    masked = masked_iban(IBAN_FR)
    assert masked.startswith("FR76 ") and masked.endswith("189")
    assert "3000" not in masked and "0112" not in masked
    assert masked.count("*") == len(IBAN_FR) - 7
