"""The whole life of avance immédiate requests against the Swagger-checked URSSAF stub, through
the application services on SQLite and PostgreSQL: the client registered with URSSAF (POST
/particulier) and activated, requests sent ten at a time with URSSAF's idClient, every status
turned into what receivables understand, retries without double billing.

Figures by hand: a 2-hour session at 45 €/h is 90.00 € (CGV art. 3), all of it eligible; URSSAF
pays the provider the whole 90.00 and debits the client's 45.00 (INTERPRETATION.md)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from application.urssaf_registration import FRANCE
from domain.calendar import PARIS
from domain.urssaf_account import UrssafAccount, block_state
from infrastructure.provider_files import load_identities
from infrastructure.urssaf_http import UrssafHttpGateway
from infrastructure.urssaf_oauth import ClientCredentials
from application.books.invoices import InvoiceFilter, invoice_rows
from application.ledger import read_ledger
from application.books.urssaf_status import urssaf_status
from tests.services import Engine
from tests.test_etincelle_scenario import IBAN, booked, client, fact, held, urssaf
from tests.urssaf_stub import OAuth, UrssafStub

CODES = load_identities().on("etincelle", date(2026, 1, 1)).urssaf
FIRST_ID = "00000000-0000-0000-0000-000000000001"  # the stub's first idClient
CID = "E-API"


def api_registration(cid: str = CID, key: str | None = None, at: str = "2026-01-05T09:00:00+01:00") -> dict:
    """What POST /particulier requires (CONTRACT.md, urssaf.client_registered), as the Swagger's patterns allow."""
    return fact(key or f"urssaf-{cid}", "urssaf.client_registered", at, client_id=cid,
                birth_name="Durand", usage_name="Petit", birth_date="1979-04-02", birth_place="Gap",
                address="3 rue Carnot, 05000 Gap", email="parent@example.fr", iban=IBAN,
                civility="2", first_names="Anne Marie", birth_country_code=FRANCE, birth_department="005",
                birth_commune_code="061", mobile_phone="0612345678", bic="BNPAFRPPXXX", account_holder="Anne Durand",
                postal_address={"street_number": "3", "street_type_code": "R", "street_name": "Carnot",
                                "commune_name": "Gap", "commune_code": "05061", "postal_code": "05000",
                                "country_code": FRANCE})


def activated(cid: str = CID, at: str = "2026-01-06T09:00:00+01:00") -> dict:
    return fact(f"activated-{cid}", "urssaf.account_activated", at, client_id=cid)


def session(n: int, day: int = 14, cid: str = CID) -> list[dict]:
    """A 2-hour session at home on that January day, held: one invoice of 90.00 (per session)."""
    starts = f"2026-01-{day:02d}T{8 + n % 10:02d}:00:00+01:00"
    ends = f"2026-01-{day:02d}T{10 + n % 10:02d}:00:00+01:00"
    return [*booked(f"S{n}", cid, starts, 120, "45.00"), held(f"S{n}", ends)]


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    running = Engine(db_url)
    yield running
    running.close()


@pytest.fixture
def stub() -> Iterator[UrssafStub]:
    with UrssafStub() as server:
        yield server
        assert server.invalid == []  # every request and answer as the Swagger's definitions say


def gateway(stub: UrssafStub, **options) -> UrssafHttpGateway:
    return UrssafHttpGateway(stub.url, timeout=5, codes=CODES, id_tiers_facturation="1081230", **options)


def run(engine: Engine, stub: UrssafStub, day: str, **options) -> dict:
    return engine.advance_report(date.fromisoformat(day), gateway(stub, **options)).as_dict()


def invoice(engine: Engine, number: str, as_of: str) -> dict:
    moment = datetime.fromisoformat(as_of).replace(tzinfo=PARIS)
    rows = invoice_rows(read_ledger(engine.app), engine.catalog, InvoiceFilter(), moment, engine.identities)
    return next(r for r in rows if r["number"] == number)


def status(engine: Engine) -> list[dict]:
    return urssaf_status(read_ledger(engine.app), real_api=True)


def calls(stub: UrssafStub, path: str) -> list:
    return [call.body for call in stub.calls if call.path == path]


def registered_client(engine: Engine, *extra: dict) -> None:
    report = engine.ingest(client(CID, "per_session"), api_registration(), *extra)
    assert report.refused == [], report.refused


def test_the_whole_life_of_a_request(engine: Engine, stub: UrssafStub) -> None:
    registered_client(engine, *session(1))
    first = run(engine, stub, "2026-01-14")
    assert first["urssaf_clients_registered"] == 1 and first["urssaf_requests_sent"] == 0
    [particulier] = calls(stub, "/particulier")
    assert (particulier["civilite"], particulier["prenoms"], particulier["lieuNaissance"]) == (
        "2", "Anne Marie", {"codePaysNaissance": "99100", "departementNaissance": "005",
                            "communeNaissance": {"codeCommune": "061"}})
    assert particulier["coordonneeBancaire"] == {"bic": "BNPAFRPPXXX", "iban": IBAN, "titulaire": "Anne Durand"}
    [row] = status(engine)
    assert row["state"] == "not sent yet" and "urssaf.account_activated" in row["waiting_for"]
    assert row["urssaf_client_id"] == FIRST_ID

    engine.ingest(activated(at="2026-01-15T08:00:00+01:00"))
    assert run(engine, stub, "2026-01-15")["urssaf_requests_sent"] == 1
    [[sent]] = calls(stub, "/demandePaiement")
    assert (sent["idClient"], sent["idTiersFacturation"], sent["numFactureTiers"]) == (FIRST_ID, "1081230",
                                                                                       "ETS-2026-00001")
    assert (sent["dateFacture"], sent["dateNaissanceClient"]) == ("2026-01-14T00:00:00Z", "1979-04-02T00:00:00Z")
    assert [(p["unite"], p["quantite"], p["mntUnitaireTTC"]) for p in sent["inputPrestations"]] == [
        ("HEURE", 2, 45)]  # 2 h × 45.00 = 90.00

    for code, moment in ((20, "2026-01-15T09:00:00+01:00"), (30, "2026-01-16T10:00:00+01:00"),
                         (50, "2026-01-18T09:00:00+01:00")):
        stub.set_status("DP-0001", code, moment)
        run(engine, stub, "2026-01-18")
        assert status(engine)[0]["status"] == code
    stub.set_status("DP-0001", 70, "2026-01-19T10:00:00+01:00", paid=Decimal("90.00"))
    run(engine, stub, "2026-01-19")
    [row] = status(engine)
    assert (row["state"], row["paid"], row["paid_at"]) == ("Payée", "90.00", "2026-01-19T10:00:00+01:00")
    # Validated on the 16th: the deemed debit is the 18th, but URSSAF said it paid on the 19th.
    assert invoice(engine, "ETS-2026-00001", "2026-01-18T12:00")["avance_immediate"]["status"] == "validated"
    paid = invoice(engine, "ETS-2026-00001", "2026-01-19T12:00")
    assert (paid["avance_immediate"]["status"], paid["balance"]) == ("paid", "0.00")
    assert run(engine, stub, "2026-01-20")["urssaf_requests_polled"] == 0  # 70 is final: no more searches


def test_requests_wait_for_registration_and_activation(engine: Engine, stub: UrssafStub) -> None:
    engine.ingest(client(CID, "per_session"), urssaf(CID), *session(1))  # a registration for the simulator only
    run(engine, stub, "2026-01-14")
    assert calls(stub, "/particulier") == [] and calls(stub, "/demandePaiement") == []
    assert "lacks what URSSAF's API needs (civility, first_names" in status(engine)[0]["waiting_for"]

    # A complete registration replaces it while URSSAF does not know the client.
    assert engine.ingest(api_registration(key="urssaf-again", at="2026-01-15T09:00:00+01:00")).refused == []
    assert run(engine, stub, "2026-01-15")["urssaf_clients_registered"] == 1
    assert engine.ingest(activated(at="2026-01-16T09:00:00+01:00")).refused == []
    assert run(engine, stub, "2026-01-16")["urssaf_requests_sent"] == 1
    refused = engine.refusal(api_registration(key="urssaf-third", at="2026-01-17T09:00:00+01:00"))
    assert "already registered with URSSAF" in refused


def test_a_registration_is_checked_with_the_swaggers_patterns(engine: Engine) -> None:
    engine.ingest(client(CID, "per_session"))
    wrong = api_registration()
    wrong["mobile_phone"] = "0512345678"  # a landline: the Swagger wants 06, 07 or +33 6/7
    wrong["postal_address"] = {**wrong["postal_address"], "postal_code": "O5000"}  # a letter O
    error = engine.refusal(wrong)
    assert "mobile_phone: does not match URSSAF's pattern for InputParticulierDTO.numeroTelephonePortable" in error
    assert "postal_address.postal_code" in error and "0512345678" not in error  # names the rule, not the value
    incomplete = {k: v for k, v in api_registration().items() if k != "bic"}
    assert "bic: required to register the client with URSSAF's API" in engine.refusal(incomplete)
    assert engine.refusal(activated()).startswith("no URSSAF registration of client")  # registration first


def test_more_than_ten_invoices_go_ten_per_call(engine: Engine, stub: UrssafStub) -> None:
    registered_client(engine, activated(), *[f for n in range(12) for f in session(n, day=14 + n // 6)])
    run(engine, stub, "2026-01-13")  # registers the client, which the activation fact already covers
    assert run(engine, stub, "2026-01-15")["urssaf_requests_sent"] == 12
    assert [len(batch) for batch in calls(stub, "/demandePaiement")] == [10, 2]
    run(engine, stub, "2026-01-16")
    searches = [body["idDemandePaiements"] for body in calls(stub, "/demandePaiement/rechercher")]
    assert [len(ids) for ids in searches[-2:]] == [10, 2]


def test_a_refusal_by_the_client_is_owed_by_the_client(engine: Engine, stub: UrssafStub) -> None:
    ready(engine, stub)
    stub.set_status("DP-0001", 40, "2026-01-15T11:00:00+01:00", rejection=("REFUS_CLIENT", "pas cette séance"))
    run(engine, stub, "2026-01-15")
    row = invoice(engine, "ETS-2026-00001", "2026-01-20T12:00")
    assert (row["avance_immediate"]["status"], row["balance"]) == ("contested", "90.00")
    assert status(engine)[0]["rejection"] == "REFUS_CLIENT – pas cette séance"


def test_a_debit_refused_then_cancelled_is_one_failure(engine: Engine, stub: UrssafStub) -> None:
    ready(engine, stub)
    statuses(engine, stub, (60, "2026-01-18T09:00:00+01:00"), (111, "2026-01-25T09:00:00+01:00"))
    ledger = read_ledger(engine.app)
    account = ledger.aggregates[UrssafAccount.id_for(CID)]
    terms = engine.catalog.in_force("etincelle", date(2026, 1, 25))
    assert len(account.failures) == 1  # 60 and 111 are the same failed debit (CGV art. 8.3: blocked, not for good)
    assert block_state(account, datetime(2026, 1, 26, tzinfo=PARIS), terms) == "blocked"
    row = invoice(engine, "ETS-2026-00001", "2026-01-26T12:00")
    assert (row["avance_immediate"]["status"], row["balance"]) == ("debit_failed", "90.00")


def statuses(engine: Engine, stub: UrssafStub, *steps: tuple[int, str]) -> None:
    """URSSAF says each status at its moment; the engine runs that day."""
    for code, moment in steps:
        stub.set_status("DP-0001", code, moment)
        run(engine, stub, moment[:10])


def test_recovered_by_urssaf_after_a_failed_debit(engine: Engine, stub: UrssafStub) -> None:
    ready(engine, stub)
    statuses(engine, stub, (60, "2026-01-18T09:00:00+01:00"), (120, "2026-02-10T09:00:00+01:00"))
    assert invoice(engine, "ETS-2026-00001", "2026-02-01T12:00")["balance"] == "90.00"  # the client owed it
    recovered = invoice(engine, "ETS-2026-00001", "2026-02-10T12:00")
    assert (recovered["avance_immediate"]["status"], recovered["balance"]) == ("recovered", "0.00")


@pytest.mark.parametrize("code", [110, 112])  # annulée; annulée après recouvrement
def test_a_cancelled_request_is_owed_by_the_client(engine: Engine, stub: UrssafStub, code: int) -> None:
    ready(engine, stub)
    statuses(engine, stub, (code, "2026-01-16T09:00:00+01:00"))
    row = invoice(engine, "ETS-2026-00001", "2026-01-20T12:00")
    assert (row["avance_immediate"]["status"], row["balance"]) == ("cancelled", "90.00")


def test_a_lost_answer_is_adopted_through_the_doublon(engine: Engine, stub: UrssafStub) -> None:
    registered_client(engine, activated(), *session(1))
    run(engine, stub, "2026-01-13")  # registers the client
    stub.lose_next_answer()  # URSSAF records the request; its answer never comes back
    assert "504" in run(engine, stub, "2026-01-14")["urssaf_error"]
    assert status(engine)[0]["state"] == "not sent yet"
    run(engine, stub, "2026-01-15")  # sent again: ERR_FACTURE_DOUBLON, looked up, adopted
    [row] = status(engine)
    assert (row["state"], row["request_id"], row["error"]) == ("Intégrée", "DP-0001", None)
    assert len(stub.received_requests()) == 2 and len(stub.known_requests()) == 1


def first_sending_refused(engine: Engine, stub: UrssafStub, code: str, message: str) -> None:
    """The client registered and active; URSSAF refuses the request of its invoice of the 14th."""
    registered_client(engine, activated(), *session(1))
    run(engine, stub, "2026-01-13")
    refusal = [{"numFactureTiers": "ETS-2026-00001", "errors": [{"code": code, "message": message, "description": ""}]}]
    stub.answer_next(200, json.dumps(refusal).encode())
    run(engine, stub, "2026-01-14")


def test_a_refusal_that_is_not_final_is_sent_again(engine: Engine, stub: UrssafStub) -> None:
    first_sending_refused(engine, stub, "ERR_TECHNIQUE", "réessayer")
    [row] = status(engine)
    assert (row["state"], row["error"], row["attempts"]) == ("to send again", "ERR_TECHNIQUE: réessayer", 1)
    assert invoice(engine, "ETS-2026-00001", "2026-01-14T23:00")["avance_immediate"]["status"] != "refused"
    run(engine, stub, "2026-01-15")
    assert status(engine)[0]["request_id"] == "DP-0001"


def test_a_final_refusal_is_owed_by_the_client(engine: Engine, stub: UrssafStub) -> None:
    first_sending_refused(engine, stub, "ERR_PARTICULIER_INCONNU", "client inconnu")
    assert status(engine)[0]["state"] == "refused"
    assert invoice(engine, "ETS-2026-00001", "2026-01-20T12:00")["balance"] == "90.00"
    assert run(engine, stub, "2026-01-15")["urssaf_requests_sent"] == 0  # never sent again


def test_an_expired_token_is_renewed_in_the_flow(engine: Engine, tmp_path: Path) -> None:
    with UrssafStub(oauth=OAuth("etincelle-app", "s3cret")) as stub:
        credentials = ClientCredentials("etincelle-app", "s3cret", stub.token_url)
        registered_client(engine, activated(), *session(1))
        run(engine, stub, "2026-01-13", credentials=credentials)
        stub.revoke_tokens()  # as when the token runs out before its announced end
        assert run(engine, stub, "2026-01-14", credentials=credentials)["urssaf_requests_sent"] == 1
        assert [c.status for c in stub.calls if c.path == "/demandePaiement"] == [401, 200]
        assert stub.invalid == []


def test_an_outage_sends_nothing_and_loses_nothing(engine: Engine, stub: UrssafStub) -> None:
    registered_client(engine, activated(), *session(1))
    stub.fail_next(503)
    assert "503" in run(engine, stub, "2026-01-14")["urssaf_error"]  # the registration call
    assert status(engine)[0]["urssaf_client_id"] is None
    # The next run registers the client, then sends its request (already activated).
    assert run(engine, stub, "2026-01-14")["urssaf_requests_sent"] == 1


def ready(engine: Engine, stub: UrssafStub) -> None:
    """E-API registered with URSSAF and active, its session of the 14th sent as DP-0001."""
    registered_client(engine, activated(), *session(1))
    run(engine, stub, "2026-01-13")
    assert run(engine, stub, "2026-01-14")["urssaf_requests_sent"] == 1
