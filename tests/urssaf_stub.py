"""A stub of URSSAF's "API Tiers de Prestation" for tests, on 127.0.0.1 (free port).

    with UrssafStub(token="secret") as stub:
        gateway = UrssafHttpGateway(stub.url, token="secret")
        ...
        stub.received          # parsed JSON bodies (floats as Decimal), in arrival order
        stub.calls             # the same with path, headers and HTTP status answered

It checks each payment request (required fields, unite, amounts, one calendar month) and
answers an ``errors`` element for a bad one; ids are ``DP-0001``, ``DP-0002``...; statuses
default to 10 and are set with ``set_status``. ``fail_next`` / ``answer_next`` make the
next calls fail or answer a given raw body; ``delay_next`` makes them slow.
"""

from __future__ import annotations

import base64
import json
import threading
import time
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs

from functools import cache
from pathlib import Path

import jsonschema
import regex

from application.urssaf_port import STATUS_LABELS

# URSSAF's own description of the API (shared/reference/urssaf, copied here with the tests):
# every request body is validated against its definitions, and every answer the stub gives too.
SWAGGER = Path(__file__).parent / "reference" / "api-tiers-de-prestation.swagger.json"
SCHEMAS = {"register": {"$ref": "#/definitions/InputParticulierDTO"},
           "registered": {"$ref": "#/definitions/OutputParticulierDTO"},
           "submit": {"type": "array", "items": {"$ref": "#/definitions/InputDemandePaiement"}},
           "search": {"$ref": "#/definitions/InputRechercheDemandePaiement"},
           "submitted": {"type": "array", "items": {"$ref": "#/definitions/OutputDemandePaiement"}},
           "found": {"$ref": "#/definitions/OutputRechercheDemandePaiement"},
           "errors": {"type": "array", "items": {"$ref": "#/definitions/Erreur"}}}


def _pattern(validator: Any, pattern: str, instance: Any, schema: Any) -> Iterator[jsonschema.ValidationError]:
    """JSON Schema's `pattern` (a search, not a full match), read by `regex`: the Swagger's
    patterns use `\\pL`, which Python's re does not know."""
    if validator.is_type(instance, "string") and not regex.search(pattern, instance):
        yield jsonschema.ValidationError(f"does not match {pattern!r}")


# Draft 4 with the Swagger's `format: date` checked (date-time as the Swagger shows it, or a date).
SwaggerValidator = jsonschema.validators.extend(jsonschema.Draft4Validator, {"pattern": _pattern})
FORMATS = jsonschema.FormatChecker()


@FORMATS.checks("date", raises=ValueError)
def _is_swagger_date(value: Any) -> bool:
    return not isinstance(value, str) or bool(datetime.fromisoformat(value.replace("Z", "+00:00")))


@FORMATS.checks("uuid", raises=ValueError)
def _is_uuid(value: Any) -> bool:
    return not isinstance(value, str) or bool(uuid.UUID(value))


@cache
def _validator(name: str) -> jsonschema.Validator:
    definitions = json.loads(SWAGGER.read_text(encoding="utf-8"))["definitions"]
    return SwaggerValidator({**SCHEMAS[name], "definitions": definitions}, format_checker=FORMATS)


def swagger_errors(name: str, body: Any) -> list[str]:
    """What the Swagger's schema `name` says is wrong with `body` (JSON numbers as floats)."""
    plain = json.loads(json.dumps(body, default=float))
    return [f"{'/'.join(map(str, e.path)) or '(body)'}: {e.message}" for e in _validator(name).iter_errors(plain)]

TOKEN_PATH = "/api/oauth/v1/token"
REGISTER_PATH = "/particulier"
SUBMIT_PATH = "/demandePaiement"
SEARCH_PATH = "/demandePaiement/rechercher"
MAX_SEARCH_IDS = 10
REQUEST_FIELDS = (
    "idTiersFacturation",
    "idClient",
    "numFactureTiers",
    "dateFacture",
    "dateDebutEmploi",
    "dateFinEmploi",
    "mntAcompte",
    "mntFactureTTC",
    "mntFactureHT",
    "inputPrestations",
)
LINE_FIELDS = (
    "codeActivite",
    "codeNature",
    "quantite",
    "unite",
    "mntUnitaireTTC",
    "mntPrestationTTC",
    "mntPrestationHT",
    "mntPrestationTVA",
    "complement1",
)


@dataclass(frozen=True)
class Call:
    """One HTTP call the stub received, and the status it answered."""

    path: str
    headers: dict[str, str]
    body: Any
    status: int


@dataclass
class _Canned:
    """An answer to give instead of the normal one."""

    status: int
    body: bytes
    delay: float = 0.0


@dataclass
class _Known:
    """A payment request the stub accepted."""

    invoice_number: str
    request: dict = field(default_factory=dict)  # as sent: the search nests it (demandePaiement)
    code: int = 10
    changed_at: str | None = None
    rejection: tuple[str, str] | None = None  # infoRejet: code, commentaire
    paid: Decimal | None = None  # infoVirement.mntVirement, when not the whole request


@dataclass
class OAuth:
    """The token endpoint's side: the credentials it accepts and the tokens it gave."""

    client_id: str
    client_secret: str
    expires_in: int = 3600
    issued: list[str] = field(default_factory=list)
    revoked: set[str] = field(default_factory=set)


@dataclass
class _State:
    token: str | None
    oauth: OAuth | None = None
    calls: list[Call] = field(default_factory=list)
    canned: list[_Canned] = field(default_factory=list)
    known: dict[str, _Known] = field(default_factory=dict)
    clients: dict[str, Any] = field(default_factory=dict)  # idClient → InputParticulierDTO received
    invalid: list[str] = field(default_factory=list)  # what the Swagger refused in the requests
    lose_answers: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)


class UrssafStub:
    """Context manager: starts the server on enter, stops it on exit."""

    def __init__(self, token: str | None = None, oauth: OAuth | None = None, clients: Iterable[str] = ()) -> None:
        """`token`: the one bearer accepted; `oauth`: tokens come from the stub's token endpoint;
        `clients`: idClients URSSAF knows already (registered elsewhere)."""
        self.token = token
        self._state = _State(token, oauth, clients={client: {} for client in clients})
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    def __enter__(self) -> UrssafStub:
        server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        server.state = self._state  # type: ignore[attr-defined]
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        assert self._server is not None and self._thread is not None
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    @property
    def url(self) -> str:
        assert self._server is not None, "use the stub as a context manager"
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def calls(self) -> list[Call]:
        with self._state.lock:
            return list(self._state.calls)

    @property
    def received(self) -> list[Any]:
        return [call.body for call in self.calls]

    @property
    def invalid(self) -> list[str]:
        """Every schema violation of the requests received so far (the Swagger's definitions)."""
        with self._state.lock:
            return list(self._state.invalid)

    @property
    def token_url(self) -> str:
        return self.url + TOKEN_PATH

    def revoke_tokens(self) -> None:
        """Every token given so far is refused from now on (401), as after its expiry."""
        with self._state.lock:
            assert self._state.oauth is not None
            self._state.oauth.revoked.update(self._state.oauth.issued)

    def set_status(self, request_id: str, code: int, changed_at: str | None = None,
                   rejection: tuple[str, str] | None = None, paid: Decimal | None = None) -> None:
        with self._state.lock:
            known = self._state.known[request_id]
            known.code = code
            known.changed_at = changed_at
            known.rejection = rejection
            known.paid = paid

    @property
    def clients(self) -> dict[str, Any]:
        with self._state.lock:
            return dict(self._state.clients)

    def received_requests(self) -> list[Any]:
        """Every payment request received, one by one (a resent one twice)."""
        return [r for call in self.calls if call.path == SUBMIT_PATH and isinstance(call.body, list) for r in call.body]

    def known_requests(self) -> list[str]:
        """The ids of the requests the stub accepted."""
        with self._state.lock:
            return list(self._state.known)

    def lose_next_answer(self) -> None:
        """The next submission is recorded, but its answer is lost (a 504 instead)."""
        with self._state.lock:
            self._state.lose_answers += 1

    def fail_next(self, http_status: int = 503, times: int = 1) -> None:
        body = json.dumps({"code": "ERR_SERVICE", "message": "indisponible"}).encode()
        self.answer_next(http_status, body, times)

    def answer_next(self, http_status: int, body: bytes, times: int = 1) -> None:
        """The next ``times`` calls get this raw answer (garbage, wrong shapes, 4xx...)."""
        with self._state.lock:
            self._state.canned.extend(_Canned(http_status, body) for _ in range(times))

    def delay_next(self, seconds: float) -> None:
        """The next call answers normally, but only after ``seconds``."""
        with self._state.lock:
            self._state.canned.append(_Canned(0, b"", seconds))


class _Handler(BaseHTTPRequestHandler):
    server: ThreadingHTTPServer

    def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
        state: _State = self.server.state  # type: ignore[attr-defined]
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        body = _parse(raw)
        if self.path == TOKEN_PATH:
            body = parse_qs(raw.decode("latin-1"))
            status, answer = _token(state, dict(self.headers), body)
        else:
            status, answer = _answer(state, self.path, dict(self.headers), body)
        with state.lock:
            state.calls.append(Call(self.path, dict(self.headers), body, status))
        self._send(status, answer)

    def _send(self, status: int, body: bytes) -> None:
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up waiting (timeout tests)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        pass  # keep test output quiet


def _parse(raw: bytes) -> Any:
    try:
        return json.loads(raw, parse_float=Decimal)
    except ValueError:
        return None


def _answer(state: _State, path: str, headers: dict[str, str], body: Any) -> tuple[int, bytes]:
    canned = _take_canned(state)
    if canned is not None and canned.delay:
        time.sleep(canned.delay)
    elif canned is not None:
        return canned.status, canned.body
    refusal = _refuse_call(state, path, headers, body)
    if refusal is not None:
        return refusal
    invalid = swagger_errors({REGISTER_PATH: "register", SUBMIT_PATH: "submit"}.get(path, "search"), body)
    if invalid:  # URSSAF answers 400 with an array of {code, message, description}
        with state.lock:
            state.invalid.extend(invalid)
        return 400, _dumps([_element_error("ERR_FORMAT", "; ".join(invalid[:3]))])
    if path == REGISTER_PATH:
        return 200, _dumps(_checked("registered", {"idClient": _register(state, body)}, state))
    if path == SUBMIT_PATH:
        answer = _dumps(_checked("submitted", [_submit_one(state, element) for element in body], state))
        with state.lock:
            lost, state.lose_answers = state.lose_answers > 0, max(0, state.lose_answers - 1)
        return (504, _error("ERR_TIMEOUT", "réponse perdue")) if lost else (200, answer)
    found = _search(state, body["idDemandePaiements"]) if "idDemandePaiements" in body else _search_period(state, body)
    if not found:  # as URSSAF answers a search that matches nothing
        return 400, _dumps(_checked("errors", [_element_error("ERR_RECHERCHE_VIDE", "aucune demande de paiement trouvée")],
                                    state))
    return 200, _dumps(_checked("found", {"infoDemandePaiements": found}, state))


def _checked(name: str, answer: Any, state: _State) -> Any:
    """The stub answers only what the Swagger allows: a wrong answer is its own bug, recorded."""
    wrong = swagger_errors(name, answer)
    with state.lock:
        state.invalid.extend(f"answer {name}: {w}" for w in wrong)
    return answer


def _token(state: _State, headers: dict[str, str], form: dict[str, list[str]]) -> tuple[int, bytes]:
    """OAuth2 client credentials (RFC 6749 4.4): Basic auth, grant_type and the API's scope."""
    oauth = state.oauth
    lowered = {name.lower(): value for name, value in headers.items()}
    expected = "Basic " + base64.b64encode(f"{oauth.client_id}:{oauth.client_secret}".encode()).decode() if oauth else None
    if oauth is None or lowered.get("authorization") != expected:
        return 401, _dumps({"error": "invalid_client"})
    if form.get("grant_type") != ["client_credentials"] or form.get("scope") != ["homeplus.tiersprestations"]:
        return 400, _dumps({"error": "invalid_request"})
    with state.lock:
        oauth.issued.append(f"tok-{len(oauth.issued) + 1}")
        token = oauth.issued[-1]
    return 200, _dumps({"access_token": token, "token_type": "Bearer", "expires_in": oauth.expires_in})


def _authorized(state: _State, authorization: str | None) -> bool:
    if state.oauth is not None:
        token = (authorization or "").removeprefix("Bearer ")
        return token in state.oauth.issued and token not in state.oauth.revoked
    return state.token is None or authorization == f"Bearer {state.token}"


def _take_canned(state: _State) -> _Canned | None:
    with state.lock:
        return state.canned.pop(0) if state.canned else None


def _refuse_call(
    state: _State, path: str, headers: dict[str, str], body: Any
) -> tuple[int, bytes] | None:
    """An HTTP error for the whole call, or None when the call is acceptable."""
    lowered = {name.lower(): value for name, value in headers.items()}
    if not _authorized(state, lowered.get("authorization")):
        return 401, _error("ERR_AUTH", "jeton absent ou invalide")
    if path not in (REGISTER_PATH, SUBMIT_PATH, SEARCH_PATH):
        return 404, _error("ERR_RESSOURCE", "ressource inconnue")
    if not lowered.get("content-type", "").startswith("application/json"):
        return 415, _error("ERR_FORMAT", "Content-Type attendu: application/json")
    if path == SUBMIT_PATH and not isinstance(body, list):
        return 400, _error("ERR_FORMAT", "un tableau de demandes est attendu")
    if path == SEARCH_PATH and not _is_search(body):
        return 400, _error("ERR_FORMAT", f"1 à {MAX_SEARCH_IDS} idDemandePaiements attendus")
    return None


def _is_search(body: Any) -> bool:
    """By ids (1 to 10), or by a period of invoice dates (dateDebut, dateFin)."""
    if not isinstance(body, dict):
        return False
    ids = body.get("idDemandePaiements")
    if ids is not None:
        return isinstance(ids, list) and 0 < len(ids) <= MAX_SEARCH_IDS
    return isinstance(body.get("dateDebut"), str) and isinstance(body.get("dateFin"), str)


def _register(state: _State, body: dict[str, Any]) -> str:
    with state.lock:
        urssaf_client_id = str(uuid.UUID(int=len(state.clients) + 1))
        state.clients[urssaf_client_id] = body
    return urssaf_client_id


def _submit_one(state: _State, element: Any) -> dict[str, Any]:
    invoice = element.get("numFactureTiers") if isinstance(element, dict) else None
    errors = _request_errors(element)
    with state.lock:
        if not errors and element["idClient"] not in state.clients:
            errors = [_element_error("ERR_PARTICULIER_INCONNU", "client inconnu")]
        if not errors and any(k.invoice_number == invoice for k in state.known.values()):
            errors = [_element_error("ERR_FACTURE_DOUBLON", "facture déjà transmise")]
        if errors:
            return {"numFactureTiers": invoice, "errors": errors}
        request_id = f"DP-{len(state.known) + 1:04d}"
        state.known[request_id] = _Known(invoice, element)
    return {"idDemandePaiement": request_id, "numFactureTiers": invoice}


def _request_errors(element: Any) -> list[dict[str, str]]:
    if not isinstance(element, dict):
        return [_element_error("ERR_FORMAT", "la demande n'est pas un objet")]
    missing = [name for name in REQUEST_FIELDS if name not in element]
    if missing:
        return [_element_error("ERR_CHAMP", f"champs manquants: {', '.join(missing)}")]
    lines = element["inputPrestations"]
    if not isinstance(lines, list) or not lines:
        return [_element_error("ERR_PRESTATION", "au moins une prestation est attendue")]
    return _line_errors(lines) or _amount_errors(element) or _period_errors(element)


def _line_errors(lines: list[Any]) -> list[dict[str, str]]:
    for line in lines:
        if not isinstance(line, dict) or any(name not in line for name in LINE_FIELDS):
            return [_element_error("ERR_CHAMP", "prestation incomplète")]
        if line["unite"] not in ("HEURE", "FORFAIT"):
            return [_element_error("ERR_UNITE", f"unité inconnue: {line['unite']}")]
        if not _is_money(line["mntUnitaireTTC"]) or line["mntUnitaireTTC"] * line["quantite"] != line["mntPrestationTTC"]:
            return [_element_error("ERR_MONTANT", "mntPrestationTTC différent de mntUnitaireTTC × quantite")]
        if line["mntPrestationHT"] + line["mntPrestationTVA"] != line["mntPrestationTTC"]:
            return [_element_error("ERR_MONTANT", "mntPrestationHT + mntPrestationTVA différent de mntPrestationTTC")]
    return []


def _amount_errors(element: dict[str, Any]) -> list[dict[str, str]]:
    lines = element["inputPrestations"]
    amounts = [element["mntFactureTTC"], element["mntFactureHT"]]
    amounts += [line[name] for line in lines for name in ("mntPrestationTTC", "mntUnitaireTTC")]
    if not all(_is_money(amount) for amount in amounts):
        return [_element_error("ERR_MONTANT", "montant invalide (2 décimales au plus)")]
    total = sum((Decimal(line["mntPrestationTTC"]) for line in lines), Decimal(0))
    if total != element["mntFactureTTC"] or element["mntFactureHT"] != element["mntFactureTTC"]:
        return [_element_error("ERR_MONTANT", "somme des prestations différente du total")]
    return []


def _is_money(value: Any) -> bool:
    if isinstance(value, bool) or not isinstance(value, (int, Decimal)):
        return False
    exponent = Decimal(value).as_tuple().exponent
    return isinstance(exponent, int) and exponent >= -2 and value >= 0


def _period_errors(element: dict[str, Any]) -> list[dict[str, str]]:
    try:
        start = datetime.fromisoformat(element["dateDebutEmploi"])
        end = datetime.fromisoformat(element["dateFinEmploi"])
    except (TypeError, ValueError):
        return [_element_error("ERR_PERIODE", "dates d'emploi illisibles")]
    if (start.year, start.month) != (end.year, end.month) or start > end:
        return [_element_error("ERR_PERIODE", "la période doit tenir dans un mois civil")]
    return []


def _search(state: _State, request_ids: list[Any]) -> list[dict[str, Any]]:
    with state.lock:
        known = state.known
        found = [(r, known[r]) for r in request_ids if isinstance(r, str) and r in known]
    return [_info(request_id, known) for request_id, known in found]


def _search_period(state: _State, body: dict[str, Any]) -> list[dict[str, Any]]:
    """The requests whose invoice date (dateFacture) lies in [dateDebut, dateFin]."""
    first, last = body["dateDebut"][:10], body["dateFin"][:10]
    with state.lock:
        found = [(r, k) for r, k in state.known.items() if first <= str(k.request.get("dateFacture", ""))[:10] <= last]
    return [_info(request_id, known) for request_id, known in found]


def _info(request_id: str, known: _Known) -> dict[str, Any]:
    """InfoDemandePaiement of the Swagger: the request as sent nested in `demandePaiement`."""
    info: dict[str, Any] = {
        "idDemandePaiement": request_id,
        "demandePaiement": known.request,
        "statut": {"code": str(known.code), "libelle": STATUS_LABELS.get(known.code, "")},
    }
    if known.rejection is not None:
        info["infoRejet"] = {"code": known.rejection[0], "commentaire": known.rejection[1]}
    if known.code == 70:
        info["infoVirement"] = {"mntVirement": known.paid if known.paid is not None else known.request.get("mntFactureTTC"),
                                "dateVirement": known.changed_at or "2025-01-01T00:00:00Z"}
    if known.changed_at is not None:
        info["dateModification"] = known.changed_at  # not in the Swagger: read when present
    return info


def _element_error(code: str, message: str) -> dict[str, str]:
    return {"code": code, "message": message, "description": message}


def _error(code: str, message: str) -> bytes:
    return _dumps({"code": code, "message": message})


def _dumps(payload: Any) -> bytes:
    """Amounts read as Decimal go back out as JSON numbers, with their digits."""
    return json.dumps(payload, ensure_ascii=False, default=_number).encode("utf-8")


def _number(value: Any) -> float:
    if isinstance(value, Decimal):
        return float(value)
    raise TypeError(f"{type(value).__name__} is not JSON")
