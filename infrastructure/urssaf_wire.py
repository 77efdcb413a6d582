"""The bodies of URSSAF's "API Tiers de prestation" (the Swagger in shared/reference/urssaf): the
engine's requests and registrations as the API's JSON, and its answers read back. Pure: no I/O.

Amounts go out as JSON numbers whose text is exactly the decimal amount; dates as the Swagger
shows them (`2019-12-01T00:00:00Z`). A line is sent by the hour when its hours times its rate
give its amount to the cent, else as one FORFAIT of its amount (mntPrestationTTC must equal
mntUnitaireTTC × quantite).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, timezone
from decimal import Decimal
from typing import Any

from application.urssaf_port import PaymentRequest, RequestLine, RequestStatus, Submission
from domain.identities import UrssafCodes

CENT = Decimal("0.01")
ONE = Decimal(1)


class WrongShape(ValueError):
    """An answer that is not what the Swagger describes."""


# -- requests -----------------------------------------------------------------------------


def request_json(request: PaymentRequest, id_tiers_facturation: str, codes: UrssafCodes) -> dict[str, Any]:
    amount = money(request.amount)
    return {
        "idTiersFacturation": id_tiers_facturation,
        "idClient": request.urssaf_client_id,
        "dateNaissanceClient": day_start(request.birth_date),
        "numFactureTiers": request.invoice_number,
        "dateFacture": day_start(invoice_date(request)),
        "dateDebutEmploi": day_start(request.first_day),
        "dateFinEmploi": day_end(request.last_day),
        "mntAcompte": 0,
        "mntFactureTTC": amount,
        "mntFactureHT": amount,  # no VAT: CGV art. 3 (art. 293 B du CGI)
        "inputPrestations": [line_json(line, codes) for line in request.lines],
    }


def invoice_date(request: PaymentRequest) -> date:
    """dateFacture: the invoice's issue date (the last day of the period for requests made without it)."""
    return request.issued_on or request.last_day


def line_json(line: RequestLine, codes: UrssafCodes) -> dict[str, Any]:
    amount = money(line.amount)
    by_hour = line.hours > 0 and exact(line.hours) and line.hours * line.unit_price == line.amount
    quantity, unit, unit_price = (line.hours, "HEURE", line.unit_price) if by_hour else (ONE, "FORFAIT", line.amount)
    return {
        **({"codeActivite": codes.code_activite} if codes.code_activite else {}),
        "codeNature": codes.code_nature,
        "quantite": number(quantity),
        "unite": unit,
        "mntUnitaireTTC": money(unit_price),
        "mntPrestationTTC": amount,
        "mntPrestationHT": amount,
        "mntPrestationTVA": 0,
        "complement1": line.description,
        **({"complement2": codes.complement2} if codes.complement2 else {}),
    }


def particulier_json(data: Mapping[str, Any]) -> dict[str, Any]:
    """InputParticulierDTO from the opened registration (its fields as CONTRACT.md names them)."""
    born_in_france = {"departementNaissance": data.get("birth_department"),
                      "communeNaissance": {"codeCommune": data["birth_commune_code"]}
                      if data.get("birth_commune_code") else None}
    return _present({
        "civilite": data["civility"],
        "nomNaissance": data["birth_name"],
        "nomUsage": data.get("usage_name"),
        "prenoms": data["first_names"],
        "dateNaissance": day_start(date.fromisoformat(str(data["birth_date"]))),
        "lieuNaissance": _present({"codePaysNaissance": data["birth_country_code"], **born_in_france}),
        "numeroTelephonePortable": data["mobile_phone"],
        "adresseMail": data["email"],
        "adressePostale": address_json(data["postal_address"]),
        "coordonneeBancaire": {"bic": data["bic"], "iban": data["iban"], "titulaire": data["account_holder"]},
    })


ADDRESS_NAMES = {"street_number": "numeroVoie", "street_letter": "lettreVoie", "street_type_code": "codeTypeVoie",
                 "street_name": "libelleVoie", "complement": "complement", "locality": "lieuDit",
                 "commune_name": "libelleCommune", "commune_code": "codeCommune", "postal_code": "codePostal",
                 "country_code": "codePays"}


def address_json(address: Mapping[str, Any]) -> dict[str, Any]:
    return {ADDRESS_NAMES[name]: value for name, value in address.items() if value is not None}


def _present(fields: dict[str, Any]) -> dict[str, Any]:
    return {name: value for name, value in fields.items() if value is not None}


def money(value: Decimal) -> float:
    """A euro amount as a JSON number; refuses sub-cent amounts instead of rounding them."""
    if value != value.quantize(CENT):
        raise ValueError(f"amount {value} has more than 2 decimals")
    return number(value)


def exact(value: Decimal) -> bool:
    return Decimal(repr(float(value))) == value


def number(value: Decimal) -> float:
    """A Decimal as a float whose JSON text (shortest repr) is exactly the decimal value."""
    if not exact(value):
        raise ValueError(f"{value} cannot be sent exactly as a JSON number")
    return float(value)


def day_start(day: date) -> str:
    return f"{day.isoformat()}T00:00:00Z"


def day_end(day: date) -> str:
    return f"{day.isoformat()}T23:59:59Z"


# -- answers ------------------------------------------------------------------------------


def error_codes(body: Any) -> tuple[str, ...]:
    """The codes of an error answer (an array of `{code, message, description}`, or one)."""
    errors = body if isinstance(body, list) else [body]
    return tuple(e["code"] for e in errors if isinstance(e, dict) and isinstance(e.get("code"), str))


def error_text(body: Any) -> str | None:
    errors = body if isinstance(body, list) else [body]
    texts = [_one_error(e) for e in errors if isinstance(e, dict) and "code" in e]
    return "; ".join(texts) or None


def _one_error(error: dict[str, Any]) -> str:
    code, message = error.get("code"), error.get("message")
    return f"{code}: {message}" if message else str(code)


def submission(request: PaymentRequest, element: Any, final_codes: frozenset[str]) -> Submission:
    if not isinstance(element, dict):
        raise WrongShape("an element is not an object")
    if element.get("numFactureTiers", request.invoice_number) != request.invoice_number:
        raise WrongShape("elements not in the order of the requests")
    errors = element.get("errors")
    if isinstance(errors, list) and errors:
        codes = error_codes(errors)
        return Submission(request.invoice_number, error=error_text(errors) or "refused", error_codes=codes,
                          final=bool(final_codes.intersection(codes)))
    request_id = element.get("idDemandePaiement")
    if not isinstance(request_id, str) or not request_id:
        raise WrongShape("an element has neither idDemandePaiement nor errors")
    return Submission(request.invoice_number, request_id=request_id)


def request_status(info: Any) -> RequestStatus:
    """InfoDemandePaiement: the invoice number is in the nested `demandePaiement`."""
    try:
        status, paid, rejected = info["statut"], info.get("infoVirement") or {}, info.get("infoRejet")
        return RequestStatus(
            request_id=_text(info["idDemandePaiement"]),
            invoice_number=_text(info["demandePaiement"]["numFactureTiers"]),
            code=_status_code(status["code"]),
            changed_at=timestamp(info.get("dateModification") or paid.get("dateVirement")),
            rejection=" – ".join(str(rejected[k]) for k in ("code", "commentaire") if rejected.get(k))
            if rejected else None,
            paid=_paid(paid.get("mntVirement")),
            paid_at=timestamp(paid.get("dateVirement")),
        )
    except (KeyError, TypeError, ValueError):
        raise WrongShape("malformed infoDemandePaiements element") from None


def _paid(value: Any) -> Decimal | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise ValueError("mntVirement must be a number")
    return Decimal(str(value))


def _text(value: Any) -> str:
    if not isinstance(value, str) or not value:
        raise ValueError("expected a non-empty string")
    return value


def _status_code(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise ValueError("status code must be a string or an integer")
    return int(value)


def timestamp(value: Any) -> datetime | None:
    """ISO 8601 timestamp; a timestamp without offset is taken as UTC."""
    if value is None:
        return None
    moment = datetime.fromisoformat(_text(value))
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def enrolment_id(body: Any) -> str:
    """OutputParticulierDTO: `{idClient}`."""
    urssaf_id = body.get("idClient") if isinstance(body, dict) else None
    if not isinstance(urssaf_id, str) or not urssaf_id:
        raise WrongShape("no idClient")
    return urssaf_id
