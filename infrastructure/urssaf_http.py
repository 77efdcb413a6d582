"""HTTP adapter of the URSSAF port: the "API Tiers de prestation" (avance immédiate).

Standard library only (``urllib.request`` + ``json``); bodies are made and read by
``infrastructure.urssaf_wire``. Three calls, under the API's base URL:

- ``POST /particulier``: registers a client, answers its ``idClient``;
- ``POST /demandePaiement``: an array of at most 10 payment requests; the answer is an array in
  the same order, each element an ``idDemandePaiement`` or ``errors``;
- ``POST /demandePaiement/rechercher``: by ``idDemandePaiements`` (10 at most) or by a period of
  invoice dates; the answer is ``{"infoDemandePaiements": [...]}``.

Bodies carry personal data: they never appear in an exception message. A failure that leaves
the outcome unknown raises ``UrssafUnavailable``; the next run asks again.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Mapping
from http.client import HTTPException
from typing import Any
from urllib.parse import urlsplit

from application.urssaf_port import (
    Enrolment, PaymentRequest, RequestStatus, Submission, UrssafUnavailable,
)
from domain.identities import UrssafCodes
from infrastructure import urssaf_wire as wire
from infrastructure.urssaf_oauth import ClientCredentials

REGISTER_PATH = "/particulier"
SUBMIT_PATH = "/demandePaiement"
SEARCH_PATH = "/demandePaiement/rechercher"
CHUNK = 10  # requests per POST /demandePaiement, ids per search (reference notes)
EMPTY_SEARCH = "ERR_RECHERCHE_VIDE"
DUPLICATE = "ERR_FACTURE_DOUBLON"
# Answers after which a request can never succeed as it is: recorded as refused for good (the
# client owes the amount directly). Any other refusal is sent again by the next run.
FINAL_ERRORS = frozenset({"ERR_PARTICULIER_INCONNU"})
NO_BIRTH_DATE = ("not sent: the client's birth date (dateNaissanceClient, required by URSSAF) is not known; "
                 "its URSSAF registration is missing or was erased")
TWO_MONTHS = "not sent: a payment request never spans two calendar months (INTERPRETATION.md, avance immédiate)"
NO_CLIENT_ID = "not sent yet: URSSAF has not registered the client (no idClient)"
# 4xx answers that judge the content of the call. Others (401, 403, 404, 408, 429...) say
# nothing about it: UrssafUnavailable.
REFUSAL_STATUSES = frozenset({400, 409, 422})


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """A redirect would resend (or drop) the body and the bearer elsewhere: refuse it."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):  # type: ignore[no-untyped-def]
        return None


class _HttpAnswer:
    def __init__(self, status: int, body: bytes) -> None:
        self.status = status
        self.body = body

    def json(self, path: str) -> Any:
        try:
            return json.loads(self.body)
        except (ValueError, UnicodeDecodeError):
            # `from None`: the decode error keeps the whole document, which may hold personal data.
            raise UrssafUnavailable(f"URSSAF POST {path}: answer is not JSON (HTTP {self.status})") from None

    def codes(self) -> tuple[str, ...]:
        try:
            return wire.error_codes(json.loads(self.body))
        except (ValueError, UnicodeDecodeError):
            return ()


class UrssafHttpGateway:
    """``UrssafGateway`` over HTTP; one instance per base URL and credentials."""

    registers_clients = True

    def __init__(self, base_url: str, token: str | None = None, timeout: float = 10.0,
                 id_tiers_facturation: str = "etincelle", credentials: ClientCredentials | None = None,
                 codes: UrssafCodes | None = None) -> None:
        """`credentials`: OAuth2 client credentials (the API's); `token`: a bearer given as is."""
        if urlsplit(base_url).scheme not in ("http", "https"):
            raise ValueError(f"URSSAF base URL must be http(s): {base_url!r}")
        if codes is None:
            raise ValueError("the URSSAF codes of the activity are required (the provider's file, [version.urssaf])")
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.id_tiers_facturation = id_tiers_facturation
        self.codes = codes
        self._token = token
        self._credentials = credentials
        self._opener = urllib.request.build_opener(_NoRedirect())

    # -- the port ----------------------------------------------------------------------

    def register(self, client_id: str, registration: Mapping[str, Any]) -> Enrolment:
        answer = self._post(REGISTER_PATH, wire.particulier_json(registration))
        if answer.status in REFUSAL_STATUSES:
            return Enrolment(client_id, error=self._refusal(REGISTER_PATH, answer))
        self._require_ok(REGISTER_PATH, answer)
        try:
            return Enrolment(client_id, urssaf_client_id=wire.enrolment_id(answer.json(REGISTER_PATH)))
        except wire.WrongShape as error:
            raise _wrong_shape(REGISTER_PATH, str(error)) from None

    def submit(self, requests: list[PaymentRequest]) -> list[Submission]:
        """Sends the requests, 10 per call; one Submission per request, in the same order."""
        local = {r.invoice_number: s for r in requests if (s := _not_sendable(r)) is not None}
        ready = [r for r in requests if r.invoice_number not in local]
        sent: dict[str, Submission] = {}
        for start in range(0, len(ready), CHUNK):
            sent.update((s.invoice_number, s) for s in self._submit(ready[start:start + CHUNK]))
        return [local.get(r.invoice_number) or sent[r.invoice_number] for r in requests]

    def statuses(self, request_ids: list[str]) -> list[RequestStatus]:
        """The current status of each request URSSAF knows; unknown ids are left out."""
        found: list[RequestStatus] = []
        for start in range(0, len(request_ids), CHUNK):
            found.extend(self._search({"idDemandePaiements": request_ids[start:start + CHUNK]}))
        return found

    # -- payment requests --------------------------------------------------------------

    def _submit(self, requests: list[PaymentRequest]) -> list[Submission]:
        payload = [wire.request_json(r, self.id_tiers_facturation, self.codes) for r in requests]
        answer = self._post(SUBMIT_PATH, payload)
        if answer.status in REFUSAL_STATUSES and len(requests) > 1:
            # One bad request must not hold back the others: each is sent on its own.
            return [s for request in requests for s in self._submit([request])]
        if answer.status in REFUSAL_STATUSES:
            error, codes = self._refusal(SUBMIT_PATH, answer), answer.codes()
            return [self._adopted(requests[0], Submission(requests[0].invoice_number, error=error, error_codes=codes,
                                                          final=bool(FINAL_ERRORS.intersection(codes))))]
        self._require_ok(SUBMIT_PATH, answer)
        return [self._adopted(r, s) for r, s in zip(requests, self._submissions(requests, answer))]

    def _submissions(self, requests: list[PaymentRequest], answer: _HttpAnswer) -> list[Submission]:
        body = answer.json(SUBMIT_PATH)
        if not isinstance(body, list) or len(body) != len(requests):
            raise _wrong_shape(SUBMIT_PATH, "not an array of one element per request")
        try:
            return [wire.submission(r, element, FINAL_ERRORS) for r, element in zip(requests, body)]
        except wire.WrongShape as error:
            raise _wrong_shape(SUBMIT_PATH, str(error)) from None

    def _adopted(self, request: PaymentRequest, submission: Submission) -> Submission:
        """A request refused as a duplicate invoice was received before (its answer lost): the
        engine looks it up by its invoice date and adopts it instead of recording a refusal."""
        if DUPLICATE not in submission.error_codes:
            return submission
        day = wire.invoice_date(request)
        found = [s for s in self._search({"dateDebut": wire.day_start(day), "dateFin": wire.day_end(day)})
                 if s.invoice_number == request.invoice_number]
        return Submission(request.invoice_number, request_id=found[0].request_id) if found else submission

    def _search(self, body: dict[str, Any]) -> list[RequestStatus]:
        answer = self._post(SEARCH_PATH, body)
        if answer.status == 400 and EMPTY_SEARCH in answer.codes():
            return []  # none of these is known yet: not an outage
        self._require_ok(SEARCH_PATH, answer)
        found = answer.json(SEARCH_PATH)
        infos = found.get("infoDemandePaiements") if isinstance(found, dict) else None
        if not isinstance(infos, list):
            raise _wrong_shape(SEARCH_PATH, "no infoDemandePaiements array")
        try:
            return [wire.request_status(info) for info in infos]
        except wire.WrongShape as error:
            raise _wrong_shape(SEARCH_PATH, str(error)) from None

    # -- HTTP --------------------------------------------------------------------------

    def _post(self, path: str, payload: Any) -> _HttpAnswer:
        """One call; after a 401 with client credentials, once more with a new token."""
        answer = self._post_once(path, payload)
        if answer.status == 401 and self._credentials is not None:
            self._credentials.forget()
            answer = self._post_once(path, payload)
        return answer

    def _post_once(self, path: str, payload: Any) -> _HttpAnswer:
        data = json.dumps(payload, ensure_ascii=False, allow_nan=False).encode("utf-8")
        request = urllib.request.Request(self.base_url + path, data=data, headers=self._headers(), method="POST")
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
        bearer = self._credentials.bearer() if self._credentials is not None else self._token
        if bearer:
            headers["Authorization"] = f"Bearer {bearer}"
        return headers

    def _require_ok(self, path: str, answer: _HttpAnswer) -> None:
        if not 200 <= answer.status < 300:
            raise UrssafUnavailable(f"URSSAF POST {path}: HTTP {answer.status}")

    def _refusal(self, path: str, answer: _HttpAnswer) -> str:
        """The error of a refused call, ``code: message``; UrssafUnavailable if not readable."""
        text = wire.error_text(answer.json(path))
        if text is None:
            raise _wrong_shape(path, f"HTTP {answer.status} without an error code")
        return text


def _not_sendable(request: PaymentRequest) -> Submission | None:
    """What keeps a request from being sent at all."""
    if request.birth_date is None:
        return Submission(request.invoice_number, error=NO_BIRTH_DATE, final=True)
    if request.urssaf_client_id is None:
        return Submission(request.invoice_number, error=NO_CLIENT_ID)
    if (request.first_day.year, request.first_day.month) != (request.last_day.year, request.last_day.month):
        return Submission(request.invoice_number, error=TWO_MONTHS, final=True)
    return None


def _wrong_shape(path: str, what: str) -> UrssafUnavailable:
    return UrssafUnavailable(f"URSSAF POST {path}: unexpected answer ({what})")


def _read_error_body(error: urllib.error.HTTPError) -> bytes:
    try:
        return error.read()
    except (OSError, HTTPException):
        return b""
    finally:
        error.close()
