"""The HTTP adapter of the URSSAF port, against the stub server of tests/urssaf_stub.py."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from dataclasses import replace
from datetime import date, datetime, timezone
from decimal import Decimal

import pytest

from application.urssaf_port import PaymentRequest, RequestLine, Submission, UrssafUnavailable
from infrastructure.provider_files import load_identities
from infrastructure.urssaf_http import UrssafHttpGateway
from infrastructure.urssaf_wire import request_json
from tests.urssaf_stub import UrssafStub, swagger_errors

# The activity's codes as L'Étincelle's identity file states them.
CODES = load_identities().on("etincelle", date(2026, 1, 1)).urssaf

CLIENT = "client-dupont-lea"
URSSAF_ID = "af0be430-908a-11eb-a8b3-0242ac130003"  # the idClient URSSAF gave at registration
DESCRIPTION = "Maths, Léa Dupont, 3e"


def line(hours: str, unit_price: str, amount: str, description: str = DESCRIPTION) -> RequestLine:
    return RequestLine(description, Decimal(hours), Decimal(unit_price), Decimal(amount))


def request(
    number: str = "F-2025-0001",
    lines: tuple[RequestLine, ...] = (line("1.5", "30.00", "45.00"),),
    first_day: date = date(2025, 3, 3),
    last_day: date = date(2025, 3, 28),
) -> PaymentRequest:
    total = sum((item.amount for item in lines), Decimal(0))
    return PaymentRequest(number, CLIENT, first_day, last_day, total, lines, birth_date=date(1984, 7, 14),
                          urssaf_client_id=URSSAF_ID)


def numbered(count: int) -> list[PaymentRequest]:
    return [request(f"F-2025-{n:04d}") for n in range(1, count + 1)]


@pytest.fixture
def stub() -> Iterator[UrssafStub]:
    with UrssafStub(clients=[URSSAF_ID]) as server:
        yield server
        assert server.invalid == []  # every request and answer as the Swagger's definitions say


@pytest.fixture
def gateway(stub: UrssafStub) -> UrssafHttpGateway:
    return UrssafHttpGateway(stub.url, timeout=5, codes=CODES)


def assert_discreet(error: UrssafUnavailable) -> None:
    """No personal data of the request bodies in the message, nor in a chained exception."""
    text = str(error)
    assert CLIENT not in text and "Dupont" not in text
    assert error.__cause__ is None


# -- submit ----------------------------------------------------------------------------------


def test_submit_sends_the_fields_of_each_request(stub: UrssafStub, gateway: UrssafHttpGateway):
    lines = (line("1.5", "30.00", "45.00"), line("2", "27.50", "55.00", "Physique, Léa"))
    gateway.submit([request("F-2025-0042", lines, date(2025, 3, 3), date(2025, 3, 28))])

    [call] = stub.calls
    assert call.path == "/demandePaiement"
    assert call.headers["Content-Type"] == "application/json"
    assert call.headers["Accept"] == "application/json"
    assert "Authorization" not in call.headers
    [sent] = call.body
    assert sent["idTiersFacturation"] == "etincelle"
    assert sent["idClient"] == URSSAF_ID  # URSSAF's id of the client, not ours
    assert sent["numFactureTiers"] == "F-2025-0042"
    assert sent["dateFacture"] == "2025-03-28T00:00:00Z"  # no issue date given: the last day
    assert sent["dateDebutEmploi"] == "2025-03-03T00:00:00Z"
    assert sent["dateFinEmploi"] == "2025-03-28T23:59:59Z"
    assert sent["mntAcompte"] == 0
    assert sent["mntFactureTTC"] == Decimal("100.00")
    assert sent["mntFactureHT"] == Decimal("100.00")
    assert sent["dateNaissanceClient"] == "1984-07-14T00:00:00Z"  # required by the Swagger
    assert "dateVersementAcompte" not in sent
    assert sent["inputPrestations"] == [
        {
            "codeActivite": "10",
            "codeNature": "100",  # from the provider's file, as URSSAF codes soutien scolaire
            "quantite": Decimal("1.5"),
            "unite": "HEURE",
            "mntUnitaireTTC": Decimal("30.00"),
            "mntPrestationTTC": Decimal("45.00"),
            "mntPrestationHT": Decimal("45.00"),
            "mntPrestationTVA": 0,
            "complement1": DESCRIPTION,
        },
        {
            "codeActivite": "10",
            "codeNature": "100",  # from the provider's file, as URSSAF codes soutien scolaire
            "quantite": 2,
            "unite": "HEURE",
            "mntUnitaireTTC": Decimal("27.50"),
            "mntPrestationTTC": Decimal("55.00"),
            "mntPrestationHT": Decimal("55.00"),
            "mntPrestationTVA": 0,
            "complement1": "Physique, Léa",
        },
    ]


def test_id_tiers_facturation_is_configurable(stub: UrssafStub):
    UrssafHttpGateway(stub.url, id_tiers_facturation="T-123", codes=CODES).submit([request()])
    assert stub.received[0][0]["idTiersFacturation"] == "T-123"


def test_submit_returns_the_assigned_ids_in_order(gateway: UrssafHttpGateway):
    submissions = gateway.submit(numbered(3))
    assert submissions == [
        Submission("F-2025-0001", request_id="DP-0001"),
        Submission("F-2025-0002", request_id="DP-0002"),
        Submission("F-2025-0003", request_id="DP-0003"),
    ]


def test_request_spanning_two_months_is_refused_alone(stub: UrssafStub, gateway: UrssafHttpGateway):
    spanning = request("F-2025-0002", first_day=date(2025, 3, 28), last_day=date(2025, 4, 2))
    batch = [request("F-2025-0001"), spanning, request("F-2025-0003")]

    first, refused, third = gateway.submit(batch)

    assert first == Submission("F-2025-0001", request_id="DP-0001")
    assert refused.invoice_number == "F-2025-0002" and refused.request_id is None
    assert refused.error is not None and "two calendar months" in refused.error and refused.final  # never sent
    assert third == Submission("F-2025-0003", request_id="DP-0002")
    assert [n["numFactureTiers"] for n in stub.received[0]] == ["F-2025-0001", "F-2025-0003"]


@pytest.mark.parametrize(
    ("amounts", "total"),
    [
        (["33.33", "33.33", "33.33"], "99.99"),
        (["0.10", "0.20"], "0.30"),
        (["1234567.89", "0.01"], "1234567.90"),
    ],
)
def test_amounts_are_sent_exactly(
    stub: UrssafStub, gateway: UrssafHttpGateway, amounts: list[str], total: str
):
    lines = tuple(line("1", amount, amount) for amount in amounts)
    [submission] = gateway.submit([request(lines=lines)])

    [sent] = stub.received[0]
    assert sent["mntFactureTTC"] == Decimal(total)
    assert [p["mntPrestationTTC"] for p in sent["inputPrestations"]] == [
        Decimal(a) for a in amounts
    ]
    assert submission.request_id == "DP-0001"  # the stub found Σ prestations == total


def test_a_line_whose_hours_do_not_give_its_amount_goes_as_one_forfait(stub: UrssafStub, gateway: UrssafHttpGateway):
    # 50 minutes at 45.00/h: 37.50 on the invoice, but 0.8333 h × 45.00 = 37.4985, not 37.50.
    (sent,) = gateway.submit([request(lines=(line("0.8333", "45.00", "37.50"),))])
    [prestation] = stub.received[0][0]["inputPrestations"]
    assert (prestation["unite"], prestation["quantite"], prestation["mntUnitaireTTC"]) == ("FORFAIT", 1, Decimal("37.50"))
    assert prestation["mntPrestationTTC"] == Decimal("37.50") and sent.request_id == "DP-0001"


def test_a_sub_cent_amount_is_refused_before_sending(stub: UrssafStub, gateway: UrssafHttpGateway):
    with pytest.raises(ValueError, match="2 decimals"):
        gateway.submit([request(lines=(line("1", "33.333", "33.333"),))])
    assert stub.calls == []


def test_nothing_to_submit_sends_nothing(stub: UrssafStub, gateway: UrssafHttpGateway):
    assert gateway.submit([]) == []
    assert gateway.statuses([]) == []
    assert stub.calls == []


def test_a_refused_batch_is_sent_again_one_request_at_a_time(stub: UrssafStub, gateway: UrssafHttpGateway):
    # The batch and the first request alone are refused; the second alone is accepted.
    stub.answer_next(400, b'[{"code": "ERR_LOT", "message": "lot invalide", "description": ""}]', times=2)
    submissions = gateway.submit(numbered(2))
    assert submissions == [
        Submission("F-2025-0001", error="ERR_LOT: lot invalide", error_codes=("ERR_LOT",)),  # not final: next run
        Submission("F-2025-0002", request_id="DP-0001"),
    ]
    assert [len(call.body) for call in stub.calls] == [2, 1, 1]


def test_only_named_codes_are_final_refusals(stub: UrssafStub, gateway: UrssafHttpGateway):
    unknown = replace(request("F-2025-0001"), urssaf_client_id="00000000-0000-0000-0000-000000000000")
    (refused,) = gateway.submit([unknown])
    assert refused.error_codes == ("ERR_PARTICULIER_INCONNU",) and refused.final
    stub.answer_next(200, b'[{"numFactureTiers": "F-2025-0002", "errors": [{"code": "ERR_TECHNIQUE", '
                          b'"message": "indisponible", "description": ""}]}]')
    (retried,) = gateway.submit([request("F-2025-0002")])
    assert retried.error == "ERR_TECHNIQUE: indisponible" and not retried.final


def test_submit_sends_ten_requests_at_most_per_call(stub: UrssafStub, gateway: UrssafHttpGateway):
    submissions = gateway.submit(numbered(23))
    assert [len(call.body) for call in stub.calls] == [10, 10, 3]
    assert [s.request_id for s in submissions] == [f"DP-{n:04d}" for n in range(1, 24)]


# -- statuses --------------------------------------------------------------------------------


def test_statuses_are_mapped(stub: UrssafStub, gateway: UrssafHttpGateway):
    gateway.submit(numbered(4))
    stub.set_status("DP-0001", 30, changed_at="2025-04-02T10:15:00Z")
    stub.set_status("DP-0002", 60)
    stub.set_status("DP-0003", 70, changed_at="2025-04-09T08:00:00+02:00")

    statuses = gateway.statuses(["DP-0001", "DP-0002", "DP-0003", "DP-0004"])

    assert [(s.request_id, s.invoice_number, s.code) for s in statuses] == [
        ("DP-0001", "F-2025-0001", 30),
        ("DP-0002", "F-2025-0002", 60),
        ("DP-0003", "F-2025-0003", 70),
        ("DP-0004", "F-2025-0004", 10),
    ]
    assert [s.label for s in statuses] == [
        "Validée",
        "En refus de prélèvement",
        "Payée",
        "Intégrée",
    ]
    assert statuses[0].changed_at == datetime(2025, 4, 2, 10, 15, tzinfo=timezone.utc)
    assert statuses[2].changed_at == datetime(2025, 4, 9, 6, 0, tzinfo=timezone.utc)
    assert statuses[1].changed_at is None and statuses[3].changed_at is None
    assert stub.calls[-1].path == "/demandePaiement/rechercher"
    assert stub.received[-1] == {"idDemandePaiements": ["DP-0001", "DP-0002", "DP-0003", "DP-0004"]}


def test_statuses_ask_ten_ids_at_most_per_call(stub: UrssafStub, gateway: UrssafHttpGateway):
    ids = [s.request_id for s in gateway.submit(numbered(23))]

    statuses = gateway.statuses(ids)  # type: ignore[arg-type]

    assert [s.request_id for s in statuses] == ids
    searches = [call.body["idDemandePaiements"] for call in stub.calls if call.path.endswith("rechercher")]
    assert [len(chunk) for chunk in searches] == [10, 10, 3]
    assert sum(searches, []) == ids


def test_unknown_ids_are_left_out(gateway: UrssafHttpGateway):
    gateway.submit(numbered(1))
    assert [s.request_id for s in gateway.statuses(["DP-9999", "DP-0001"])] == ["DP-0001"]


def test_a_search_that_finds_nothing_is_not_an_outage(stub: UrssafStub, gateway: UrssafHttpGateway):
    assert gateway.statuses(["DP-9999"]) == []
    assert stub.calls[-1].status == 400  # ERR_RECHERCHE_VIDE, as URSSAF answers it


def test_the_real_answer_shape_is_read(stub: UrssafStub, gateway: UrssafHttpGateway):
    """The Swagger's InfoDemandePaiement: numFactureTiers inside demandePaiement, infoRejet, infoVirement."""
    gateway.submit(numbered(2))
    stub.set_status("DP-0001", 40, rejection=("PREST_ABS", "La prestation n'a pas été honorée."))
    stub.set_status("DP-0002", 70, changed_at="2025-04-09T00:00:00Z")
    refused, paid = gateway.statuses(["DP-0001", "DP-0002"])
    assert (refused.invoice_number, refused.code, refused.rejection) == (
        "F-2025-0001", 40, "PREST_ABS – La prestation n'a pas été honorée.")
    assert (paid.code, paid.paid, paid.label) == (70, Decimal("45.00"), "Payée")


# -- failures --------------------------------------------------------------------------------


def test_a_503_is_unavailable(stub: UrssafStub, gateway: UrssafHttpGateway):
    stub.fail_next(http_status=503)
    with pytest.raises(UrssafUnavailable, match=r"POST /demandePaiement: HTTP 503") as caught:
        gateway.submit(numbered(1))
    assert_discreet(caught.value)

    stub.fail_next(http_status=500)
    with pytest.raises(UrssafUnavailable, match=r"/demandePaiement/rechercher: HTTP 500"):
        gateway.statuses(["DP-0001"])


def test_a_garbage_body_is_unavailable(stub: UrssafStub, gateway: UrssafHttpGateway):
    stub.answer_next(200, b"<html>maintenance</html>")
    with pytest.raises(UrssafUnavailable, match="not JSON") as caught:
        gateway.submit(numbered(1))
    assert_discreet(caught.value)

    stub.answer_next(200, b"\xff\xfe garbage")
    with pytest.raises(UrssafUnavailable, match="not JSON"):
        gateway.statuses(["DP-0001"])


@pytest.mark.parametrize(
    "body",
    [
        b'{"idDemandePaiement": "DP-0001"}',  # not an array
        b"[]",  # one element short
        b'[{"numFactureTiers": "F-2025-0001"}]',  # neither id nor errors
        b'[{"idDemandePaiement": "DP-0001", "numFactureTiers": "F-OTHER"}]',  # another invoice
        b'["DP-0001"]',
    ],
)
def test_a_submit_answer_of_the_wrong_shape_is_unavailable(
    stub: UrssafStub, gateway: UrssafHttpGateway, body: bytes
):
    stub.answer_next(200, body)
    with pytest.raises(UrssafUnavailable, match="unexpected answer"):
        gateway.submit(numbered(1))


@pytest.mark.parametrize(
    "body",
    [
        b"[]",
        b'{"infoDemandePaiements": {}}',
        b'{"infoDemandePaiements": [{"idDemandePaiement": "DP-0001"}]}',
        b'{"infoDemandePaiements": [{"idDemandePaiement": "DP-0001", "numFactureTiers": "F",'
        b' "statut": {"code": "30"}}]}',  # the invoice number at the top level, not in demandePaiement
        b'{"infoDemandePaiements": [{"idDemandePaiement": "DP-0001", "demandePaiement": {"numFactureTiers": "F"},'
        b' "statut": {"code": "validee"}}]}',
        b'{"infoDemandePaiements": [{"idDemandePaiement": "DP-0001", "demandePaiement": {"numFactureTiers": "F"},'
        b' "statut": {"code": "30"}, "dateModification": "hier"}]}',
    ],
)
def test_a_statuses_answer_of_the_wrong_shape_is_unavailable(
    stub: UrssafStub, gateway: UrssafHttpGateway, body: bytes
):
    stub.answer_next(200, body)
    with pytest.raises(UrssafUnavailable, match="unexpected answer"):
        gateway.statuses(["DP-0001"])


def test_a_4xx_on_statuses_is_unavailable(stub: UrssafStub, gateway: UrssafHttpGateway):
    stub.answer_next(400, b'{"code": "ERR_FORMAT", "message": "ids invalides"}')
    with pytest.raises(UrssafUnavailable, match="HTTP 400"):
        gateway.statuses(["DP-0001"])


def test_a_4xx_without_an_error_body_is_unavailable(stub: UrssafStub, gateway: UrssafHttpGateway):
    stub.answer_next(400, b"Bad Request")
    with pytest.raises(UrssafUnavailable, match="not JSON"):
        gateway.submit(numbered(1))


def test_a_closed_port_is_unavailable():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    gateway = UrssafHttpGateway(f"http://127.0.0.1:{port}", timeout=2, codes=CODES)
    with pytest.raises(UrssafUnavailable, match="unreachable") as caught:
        gateway.submit(numbered(1))
    assert_discreet(caught.value)
    with pytest.raises(UrssafUnavailable, match="unreachable"):
        gateway.statuses(["DP-0001"])


def test_a_slow_answer_is_unavailable(stub: UrssafStub):
    stub.delay_next(1.0)
    gateway = UrssafHttpGateway(stub.url, timeout=0.2, codes=CODES)
    with pytest.raises(UrssafUnavailable, match="unreachable"):
        gateway.submit(numbered(1))


@pytest.mark.parametrize("token", ["wrong", None])
def test_a_wrong_token_gets_401_and_is_unavailable(token: str | None):
    with UrssafStub(token="secret", clients=[URSSAF_ID]) as stub:
        gateway = UrssafHttpGateway(stub.url, token=token, codes=CODES)
        with pytest.raises(UrssafUnavailable, match="HTTP 401"):
            gateway.submit(numbered(1))
        with pytest.raises(UrssafUnavailable, match="HTTP 401"):
            gateway.statuses(["DP-0001"])
        assert [call.status for call in stub.calls] == [401, 401]


def test_the_right_token_is_sent_as_bearer():
    with UrssafStub(token="secret", clients=[URSSAF_ID]) as stub:
        gateway = UrssafHttpGateway(stub.url, token="secret", codes=CODES)
        [submission] = gateway.submit(numbered(1))
        assert gateway.statuses([submission.request_id])[0].code == 10  # type: ignore[list-item]
        assert {call.headers["Authorization"] for call in stub.calls} == {"Bearer secret"}


def test_the_base_url_must_be_http():
    with pytest.raises(ValueError, match="http"):
        UrssafHttpGateway("file:///etc/passwd", codes=CODES)


def test_a_request_whose_answer_was_lost_is_adopted_not_refused(stub: UrssafStub, gateway: UrssafHttpGateway):
    sent = PaymentRequest("F-2025-0007", CLIENT, date(2025, 3, 3), date(2025, 3, 28), Decimal("45.00"),
                          (line("1.5", "30.00", "45.00"),), issued_on=date(2025, 3, 28), birth_date=date(1984, 7, 14),
                          urssaf_client_id=URSSAF_ID)
    stub.lose_next_answer()  # URSSAF records it, the answer never comes back
    with pytest.raises(UrssafUnavailable):
        gateway.submit([sent])
    (again,) = gateway.submit([sent])  # the next run sends it again: ERR_FACTURE_DOUBLON
    assert (again.request_id, again.error) == ("DP-0001", None)
    assert stub.calls[-1].body == {"dateDebut": "2025-03-28T00:00:00Z", "dateFin": "2025-03-28T23:59:59Z"}
    assert stub.received[0][0]["dateFacture"] == "2025-03-28T00:00:00Z"  # the invoice's issue date


def test_every_request_carries_the_clients_birth_date(stub: UrssafStub, gateway: UrssafHttpGateway):
    (sent,) = gateway.submit([request("F-2025-0001")])
    assert stub.received[0][0]["dateNaissanceClient"] == "1984-07-14T00:00:00Z" and sent.request_id == "DP-0001"
    erased = replace(request("F-2025-0002"), birth_date=None)  # its registration was erased
    (refused,) = gateway.submit([erased])
    assert refused.request_id is None and "birth date" in refused.error and len(stub.calls) == 1  # not sent


def test_the_swagger_schema_is_what_judges_the_requests():
    body = [{"idTiersFacturation": "etincelle", "numFactureTiers": "F-1"}]  # most required fields missing
    assert any("dateNaissanceClient" in e for e in swagger_errors("submit", body))
    assert swagger_errors("submit", [request_json(request(), "etincelle", CODES)]) == []
