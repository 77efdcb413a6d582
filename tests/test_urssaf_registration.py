"""The registration's checks are URSSAF's own: the patterns of the Swagger, compared with the file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from application.urssaf_registration import SWAGGER_PATTERNS, swagger_match, unflattened, flattened

SWAGGER = Path(__file__).parent / "reference" / "api-tiers-de-prestation.swagger.json"
DEFINITIONS = json.loads(SWAGGER.read_text(encoding="utf-8"))["definitions"]


@pytest.mark.parametrize("kind", sorted(SWAGGER_PATTERNS))
def test_each_pattern_is_the_swaggers(kind: str) -> None:
    source, pattern = SWAGGER_PATTERNS[kind]
    definition, field = source.split(".")
    assert DEFINITIONS[definition]["properties"][field]["pattern"] == pattern


def test_the_reference_copy_is_the_shared_one() -> None:
    shared = Path(__file__).parents[2] / "shared" / "reference" / "urssaf" / SWAGGER.name
    if not shared.exists():
        pytest.skip("no shared/reference beside this checkout")
    assert json.loads(shared.read_text(encoding="utf-8")) == json.loads(SWAGGER.read_text(encoding="utf-8"))


@pytest.mark.parametrize(("kind", "value", "matches"), [
    ("name", "Le Gall-Durand", True), ("name", "O'Neil", True), ("name", "Éloïse", True),
    ("name", "Dupont2", False), ("name", "-Dupont", False), ("name", "Dupont-", False),  # a whole match
    ("first_names", "Eric-Antoine Derc'hen Jean alain", True), ("first_names", "Jean  Paul", False),
    ("mobile_phone", "0605040302", True), ("mobile_phone", "+33705040302", True), ("mobile_phone", "0105040302", False),
    ("birth_department", "02B", True), ("birth_department", "976", True), ("birth_department", "2B", False),
    ("commune_code", "2A004", True), ("commune_code", "2C004", False),
    ("street_number", "0", False), ("street_number", "12", True),
    ("bic", "BNAPFRPPXXX", True), ("bic", "BNAPFRPP", True), ("bic", "BNAP1RPP", False),
])
def test_patterns_read_as_urssaf_writes_them(kind: str, value: str, matches: bool) -> None:
    assert swagger_match(kind, value) is matches


def test_the_address_is_sealed_flat_and_opened_whole() -> None:
    fields = {"birth_name": "Durand", "postal_address": {"commune_name": "Gap", "postal_code": "05000"}}
    assert flattened(fields) == {"birth_name": "Durand", "postal_address.commune_name": "Gap",
                                 "postal_address.postal_code": "05000"}
    assert unflattened(flattened(fields)) == fields
