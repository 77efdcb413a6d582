"""What URSSAF's `POST /particulier` needs beyond what the simulator knows (CONTRACT.md,
`urssaf.client_registered`), checked with the Swagger's own patterns (InputParticulierDTO and
its parts, `shared/reference/urssaf`). They use `\\pL` (any letter), which Python's `re` does not
know: the `regex` package reads them as written. Each pattern must match the whole value (the
descriptions say what the whole value is made of).

Personal data: every refusal names the field and the rule, never the value.
"""

from __future__ import annotations

from typing import Any

import regex

# Verbatim from the Swagger; tests/test_urssaf_registration.py compares them with the file.
SWAGGER_PATTERNS = {
    "name": ("InputParticulierDTO.nomNaissance", r"^[\pL]+(([\pL'\- ])*)+([\pL])|(^[\pL])$"),
    "first_names": ("InputParticulierDTO.prenoms", r"^[\pL]+(['\-]*[\pL]+)*((\ ){1}[\pL]+(['\-]*[\pL]+)*)*$"),
    "mobile_phone": ("InputParticulierDTO.numeroTelephonePortable", r"^(0|\+33)[6-7]([0-9]{2}){4}$"),
    "email": ("InputParticulierDTO.adresseMail",
              r"^[-A-Za-z0-9_]+(\.[-A-Za-z0-9_]+)*@[A-Za-z0-9]+((-|\.)[A-Za-z0-9]+)*\.[A-Za-z]+$"),
    "country_code": ("InputLieuNaissanceDTO.codePaysNaissance", r"^[0-9]{5}$"),
    "birth_department": ("InputLieuNaissanceDTO.departementNaissance", r"^[09][0-9][0-9abAB]$"),
    "birth_commune_code": ("InputCommuneDTO.codeCommune", r"^[0-9]{3}$"),
    "street_number": ("InputAdresseDTO.numeroVoie", r"^(?!^0$)([0-9]){0,20}$"),
    "street_type_code": ("InputAdresseDTO.codeTypeVoie", r"^([0-9A-Za-z]){0,4}$"),
    "commune_code": ("InputAdresseDTO.codeCommune", r"^[0-9][0-9a-bA-B][0-9]{3}$"),
    "postal_code": ("InputAdresseDTO.codePostal", r"^[0-9]{5}$"),
    "bic": ("InputCoordonneeBancaireDTO.bic", r"^[a-zA-Z]{6}[0-9a-zA-Z]{2}([0-9a-zA-Z]{3})?$"),
    "iban": ("InputCoordonneeBancaireDTO.iban", r"^[a-zA-Z]{2}[0-9]{2}[a-zA-Z0-9]{4}[0-9]{7}([a-zA-Z0-9]?){0,16}$"),
}
_COMPILED = {kind: regex.compile(pattern) for kind, (_, pattern) in SWAGGER_PATTERNS.items()}

FRANCE = "99100"  # INSEE code of France
# What POST /particulier requires that the simulator's registration does not have.
API_FIELDS = ("civility", "first_names", "birth_country_code", "mobile_phone", "postal_address", "bic",
              "account_holder")
BORN_IN_FRANCE = ("birth_department", "birth_commune_code")
# The registration's field → the Swagger pattern it must match once registered through the API.
API_PATTERNS = {"birth_name": "name", "usage_name": "name", "first_names": "first_names",
                "mobile_phone": "mobile_phone", "email": "email", "birth_country_code": "country_code",
                "birth_department": "birth_department", "birth_commune_code": "birth_commune_code",
                "bic": "bic", "iban": "iban"}
ADDRESS_PATTERNS = {"street_number": "street_number", "street_type_code": "street_type_code",
                    "commune_code": "commune_code", "postal_code": "postal_code", "country_code": "country_code"}


def swagger_match(kind: str, value: str) -> bool:
    return _COMPILED[kind].fullmatch(value) is not None


def rule_of(kind: str) -> str:
    source, _ = SWAGGER_PATTERNS[kind]
    return f"does not match URSSAF's pattern for {source}"


def api_problems(fields: dict[str, Any]) -> list[str]:
    """What keeps a registration from being sent to POST /particulier; [] when it can be, and
    when it gives none of the API's fields (a registration for the simulator only)."""
    if not any(fields.get(name) is not None for name in API_FIELDS):
        return []
    problems = [f"{name}: required to register the client with URSSAF's API (POST /particulier)"
                for name in missing_for_api(fields)]
    problems += _birth_place_problems(fields)
    problems += [f"{name}: {rule_of(kind)}" for name, kind in API_PATTERNS.items()
                 if isinstance(fields.get(name), str) and not swagger_match(kind, fields[name])]
    return problems


def missing_for_api(fields: dict[str, Any]) -> list[str]:
    """The fields POST /particulier requires that this registration lacks."""
    missing = [name for name in API_FIELDS if fields.get(name) is None]
    if fields.get("birth_country_code") == FRANCE:
        missing += [name for name in BORN_IN_FRANCE if fields.get(name) is None]
    return missing


def _birth_place_problems(fields: dict[str, Any]) -> list[str]:
    country = fields.get("birth_country_code")
    given = [name for name in BORN_IN_FRANCE if fields.get(name) is not None]
    if country is not None and country != FRANCE and given:
        return [f"{name}: given only for a client born in France (birth_country_code {FRANCE})" for name in given]
    return []


def address_problems(address: dict[str, Any]) -> list[str]:
    return [f"postal_address.{name}: {rule_of(kind)}" for name, kind in ADDRESS_PATTERNS.items()
            if isinstance(address.get(name), str) and not swagger_match(kind, address[name])]


def flattened(fields: dict[str, Any]) -> dict[str, str]:
    """The registration as the vault seals it: strings only, `postal_address.x` for the address."""
    flat = {name: value for name, value in fields.items() if value is not None and name != "postal_address"}
    address = fields.get("postal_address") or {}
    flat.update({f"postal_address.{name}": value for name, value in address.items() if value is not None})
    return flat


def unflattened(sealed: dict[str, Any]) -> dict[str, Any]:
    """The opened registration with its address as an object again."""
    fields = {name: value for name, value in sealed.items() if not name.startswith("postal_address.")}
    address = {name.split(".", 1)[1]: value for name, value in sealed.items() if name.startswith("postal_address.")}
    return {**fields, "postal_address": address} if address else fields
