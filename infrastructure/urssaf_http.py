"""HTTP adapter of the URSSAF port: the "API Tiers de Prestation" (avance immédiate).

Standard library only (``urllib.request`` + ``json``). Two calls:

- ``POST {base}/demandePaiement``: a JSON array, one object per payment request; the answer
  is an array in the same order, each element an ``idDemandePaiement`` or ``errors``.
- ``POST {base}/demandePaiement/rechercher``: ``{"idDemandePaiements": [...]}`` (10 ids at
  most per call); the answer is ``{"infoDemandePaiements": [...]}``.

Request bodies carry personal data (client ids, descriptions): they never appear in an
exception message. A failure that leaves the outcome unknown raises ``UrssafUnavailable``.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from datetime import date, datetime, timezone
from decimal import Decimal
from http.client import HTTPException
from typing import Any
from urllib.parse import urlsplit

from application.urssaf_port import (
    PaymentRequest,
    RequestLine,
    RequestStatus,
    Submission,
    UrssafUnavailable,
)
from domain.identities import UrssafCodes
from infrastructure.urssaf_oauth import ClientCredentials

SUBMIT_PATH = "/demandePaiement"
SEARCH_PATH = "/demandePaiement/rechercher"
SEARCH_CHUNK = 10
EMPTY_SEARCH = "ERR_RECHERCHE_VIDE"
DUPLICATE = "ERR_FACTURE_DOUBLON"
NO_BIRTH_DATE = ("not sent: the client's birth date (dateNaissanceClient, required by URSSAF) is not known; "
                 "its URSSAF registration is missing or was erased")
UNITE = "HEURE"
CENT = Decimal("0.01")
# 4xx answers that judge the content of the batch: every request of it is refused.
# Other 4xx (401, 403, 404, 408, 429...) say nothing about the requests: UrssafUnavailable.
REFUSAL_STATUSES = frozenset({400, 409, 422})


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """A redirect would resend (or drop) the body and the bearer elsewhere: refuse it."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):  # type: ignore[no-untyped-def]
        return None


class _HttpAnswer:
    """Status and raw body of one HTTP exchange."""

    def __init__(self, status: int, body: bytes) -> None:
        self.status = status
        self.body = body


class UrssafHttpGateway:
    """``UrssafGateway`` over HTTP; one instance per base URL and credentials."""

    def __init__(
        self,
        base_url: str,
        token: str | None = None,
        timeout: float = 10.0,
        id_tiers_facturation: str = "etincelle",
        credentials: ClientCredentials | None = None,
        codes: UrssafCodes | None = None,
    ) -> None:
        """`credentials`: OAuth2 client credentials (the API's); `token`: a bearer given as is."""
        if urlsplit(base_url).scheme not in ("http", "https"):
            raise ValueError(f"URSSAF base URL must be http(s): {base_url!r}")
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.id_tiers_facturation = id_tiers_facturation
        self._token = token
        self._credentials = credentials
        if codes is None:
            raise ValueError("the URSSAF codes of the activity are required (the provider's file, [version.urssaf])")
        self.codes = codes
        self._opener = urllib.request.build_opener(_NoRedirect())

    # -- the port ----------------------------------------------------------------------

    def submit(self, requests: list[PaymentRequest]) -> list[Submission]:
        """Sends the requests; one Submission per request, in the same order."""
        unknown = [r for r in requests if r.birth_date is None]
        known = [r for r in requests if r.birth_date is not None]
        refused = {r.invoice_number: Submission(r.invoice_number, error=NO_BIRTH_DATE) for r in unknown}
        sent = {s.invoice_number: s for s in self._submit(known)}
        return [refused.get(r.invoice_number) or sent[r.invoice_number] for r in requests]

    def _submit(self, requests: list[PaymentRequest]) -> list[Submission]:
        if not requests:
            return []
        payload = [self._request_json(request) for request in requests]
        answer = self._post(SUBMIT_PATH, payload)
        if answer.status in REFUSAL_STATUSES:
            error = _batch_error(SUBMIT_PATH, answer)
            return [Submission(r.invoice_number, error=error) for r in requests]
        self._require_ok(SUBMIT_PATH, answer)
        return [self._adopted(request, s) for request, s in zip(requests, _submissions(requests, _json(SUBMIT_PATH, answer)))]

    def _adopted(self, request: PaymentRequest, submission: Submission) -> Submission:
        """A request refused as a duplicate invoice was received before (its answer lost): the
        engine looks it up by its invoice date and adopts it instead of recording a refusal."""
        if DUPLICATE not in submission.error_codes:
            return submission
        day = invoice_date(request)
        answer = self._post(SEARCH_PATH, {"dateDebut": _day_start(day), "dateFin": _day_end(day)})
        if answer.status == 400 and EMPTY_SEARCH in _error_codes(answer):
            return submission
        self._require_ok(SEARCH_PATH, answer)
        infos = _json(SEARCH_PATH, answer).get("infoDemandePaiements") or []
        found = [s for s in map(_request_status, infos) if s.invoice_number == request.invoice_number]
        return Submission(request.invoice_number, request_id=found[0].request_id) if found else submission

    def statuses(self, request_ids: list[str]) -> list[RequestStatus]:
        """The current status of each request URSSAF knows; unknown ids are left out."""
        found: list[RequestStatus] = []
        for start in range(0, len(request_ids), SEARCH_CHUNK):
            chunk = request_ids[start : start + SEARCH_CHUNK]
            found.extend(self._search(chunk))
        return found

    # -- HTTP --------------------------------------------------------------------------

    def _search(self, request_ids: list[str]) -> list[RequestStatus]:
        answer = self._post(SEARCH_PATH, {"idDemandePaiements": request_ids})
        if answer.status == 400 and EMPTY_SEARCH in _error_codes(answer):
            return []  # none of these ids is known yet: not an outage
        self._require_ok(SEARCH_PATH, answer)
        body = _json(SEARCH_PATH, answer)
        infos = body.get("infoDemandePaiements") if isinstance(body, dict) else None
        if not isinstance(infos, list):
            raise _wrong_shape(SEARCH_PATH, "no infoDemandePaiements array")
        return [_request_status(info) for info in infos]

    def _post(self, path: str, payload: Any) -> _HttpAnswer:
        """One call; after a 401 with client credentials, once more with a new token."""
        answer = self._post_once(path, payload)
        if answer.status == 401 and self._credentials is not None:
            self._credentials.forget()
            answer = self._post_once(path, payload)
        return answer

    def _post_once(self, path: str, payload: Any) -> _HttpAnswer:
        request = urllib.request.Request(
            self.base_url + path, data=_dumps(payload), headers=self._headers(), method="POST"
        )
        try:
            with self._opener.open(request, timeout=self.timeout) as response:
                return _HttpAnswer(response.status, response.read())
        except urllib.error.HTTPError as error:
            return _HttpAnswer(error.code, _read_error_body(error))
        except (OSError, HTTPException) as error:  # URLError, timeouts, resets
            reason = getattr(error, "reason", None) or type(error).__name__
            raise UrssafUnavailable(f"URSSAF POST {path}: unreachable ({reason})") from None

    def _headers(self) -> dict[str, str]:
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        if self._credentials is not None:
            headers["Authorization"] = f"Bearer {self._credentials.bearer()}"
        elif self._token:
            headers["Authorization"] = f"Bearer {self._token}"
        return headers

    def _require_ok(self, path: str, answer: _HttpAnswer) -> None:
        if not 200 <= answer.status < 300:
            raise UrssafUnavailable(f"URSSAF POST {path}: HTTP {answer.status}")

    # -- request body ------------------------------------------------------------------

    def _request_json(self, request: PaymentRequest) -> dict[str, Any]:
        amount = _money(request.amount)
        return {
            "idTiersFacturation": self.id_tiers_facturation,
            "idClient": request.client_id,
            "dateNaissanceClient": _day_start(request.birth_date),
            "numFactureTiers": request.invoice_number,
            "dateFacture": invoice_date(request).isoformat(),
            "dateDebutEmploi": _day_start(request.first_day),
            "dateFinEmploi": _day_end(request.last_day),
            "mntAcompte": 0,
            "mntFactureTTC": amount,
            "mntFactureHT": amount,
            "inputPrestations": [_line_json(line, self.codes) for line in request.lines],
        }


# -- request helpers -----------------------------------------------------------------------


def invoice_date(request: PaymentRequest) -> date:
    """dateFacture: the invoice's issue date (the last day of the period for requests made without it)."""
    return request.issued_on or request.last_day


def _line_json(line: RequestLine, codes: UrssafCodes) -> dict[str, Any]:
    amount = _money(line.amount)
    return {
        **({"codeActivite": codes.code_activite} if codes.code_activite else {}),
        "codeNature": codes.code_nature,
        "quantite": _number(line.hours),
        "unite": UNITE,
        "mntUnitaireTTC": _money(line.unit_price),
        "mntPrestationTTC": amount,
        "mntPrestationHT": amount,
        "mntPrestationTVA": 0,
        "complement1": line.description,
        **({"complement2": codes.complement2} if codes.complement2 else {}),
    }


def _money(value: Decimal) -> float:
    """A euro amount as a JSON number; refuses sub-cent amounts instead of rounding them."""
    if value != value.quantize(CENT):
        raise ValueError(f"amount {value} has more than 2 decimals")
    return _number(value)


def _number(value: Decimal) -> float:
    """A Decimal as a float whose JSON text (shortest repr) is exactly the decimal value."""
    number = float(value)
    if Decimal(repr(number)) != value:
        raise ValueError(f"{value} cannot be sent exactly as a JSON number")
    return number


def _day_start(day: date) -> str:
    return f"{day.isoformat()}T00:00:00Z"


def _day_end(day: date) -> str:
    return f"{day.isoformat()}T23:59:59Z"


def _dumps(payload: Any) -> bytes:
    return json.dumps(payload, ensure_ascii=False, allow_nan=False).encode("utf-8")


# -- answer helpers ------------------------------------------------------------------------


def _read_error_body(error: urllib.error.HTTPError) -> bytes:
    try:
        return error.read()
    except (OSError, HTTPException):
        return b""
    finally:
        error.close()


def _json(path: str, answer: _HttpAnswer) -> Any:
    try:
        return json.loads(answer.body)
    except (ValueError, UnicodeDecodeError):
        # `from None`: the decode error keeps the whole document, which may hold personal data.
        raise UrssafUnavailable(
            f"URSSAF POST {path}: answer is not JSON (HTTP {answer.status})"
        ) from None


def _wrong_shape(path: str, what: str) -> UrssafUnavailable:
    return UrssafUnavailable(f"URSSAF POST {path}: unexpected answer ({what})")


def _batch_error(path: str, answer: _HttpAnswer) -> str:
    """The error of a refused batch, ``code: message``; UrssafUnavailable if not readable."""
    body = _json(path, answer)
    errors = body if isinstance(body, list) else [body]
    texts = [_error_text(e) for e in errors if isinstance(e, dict) and "code" in e]
    if not texts:
        raise _wrong_shape(path, f"HTTP {answer.status} without an error code")
    return "; ".join(texts)


def _error_text(error: dict[str, Any]) -> str:
    code, message = error.get("code"), error.get("message")
    return f"{code}: {message}" if message else str(code)


def _submissions(requests: list[PaymentRequest], body: Any) -> list[Submission]:
    if not isinstance(body, list) or len(body) != len(requests):
        raise _wrong_shape(SUBMIT_PATH, "not an array of one element per request")
    return [_submission(request, element) for request, element in zip(requests, body)]


def _submission(request: PaymentRequest, element: Any) -> Submission:
    if not isinstance(element, dict):
        raise _wrong_shape(SUBMIT_PATH, "an element is not an object")
    echoed = element.get("numFactureTiers", request.invoice_number)
    if echoed != request.invoice_number:
        raise _wrong_shape(SUBMIT_PATH, "elements not in the order of the requests")
    errors = element.get("errors")
    if isinstance(errors, list) and errors:
        texts = [_error_text(e) for e in errors if isinstance(e, dict)]
        codes = tuple(e["code"] for e in errors if isinstance(e, dict) and isinstance(e.get("code"), str))
        return Submission(request.invoice_number, error="; ".join(texts) or "refused", error_codes=codes)
    request_id = element.get("idDemandePaiement")
    if not isinstance(request_id, str) or not request_id:
        raise _wrong_shape(SUBMIT_PATH, "an element has neither idDemandePaiement nor errors")
    return Submission(request.invoice_number, request_id=request_id)


def _request_status(info: Any) -> RequestStatus:
    """InfoDemandePaiement: the invoice number is in the nested `demandePaiement`."""
    try:
        status, paid, rejected = info["statut"], info.get("infoVirement") or {}, info.get("infoRejet")
        return RequestStatus(
            request_id=_text(info["idDemandePaiement"]),
            invoice_number=_text(info["demandePaiement"]["numFactureTiers"]),
            code=_status_code(status["code"]),
            changed_at=_timestamp(info.get("dateModification") or paid.get("dateVirement")),
            rejection=" – ".join(str(rejected[k]) for k in ("code", "commentaire") if rejected.get(k)) if rejected else None,
            paid=_paid(paid.get("mntVirement")),
        )
    except (KeyError, TypeError, ValueError):
        raise _wrong_shape(SEARCH_PATH, "malformed infoDemandePaiements element") from None


def _paid(value: Any) -> Decimal | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise ValueError("mntVirement must be a number")
    return Decimal(str(value))


def _error_codes(answer: _HttpAnswer) -> set[str]:
    """The codes of an error answer (an array of `{code, message, description}`, or one)."""
    try:
        body = json.loads(answer.body)
    except ValueError:
        return set()
    errors = body if isinstance(body, list) else [body]
    return {e.get("code") for e in errors if isinstance(e, dict) and isinstance(e.get("code"), str)}


def _text(value: Any) -> str:
    if not isinstance(value, str) or not value:
        raise ValueError("expected a non-empty string")
    return value


def _status_code(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise ValueError("status code must be a string or an integer")
    return int(value)


def _timestamp(value: Any) -> datetime | None:
    """ISO 8601 timestamp; a timestamp without offset is taken as UTC."""
    if value is None:
        return None
    moment = datetime.fromisoformat(_text(value))
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)
