"""The avance immédiate flow against a local URSSAF stub, through the real `billing` command:
requests sent at issue, statuses polled and turned into facts, error answers and outages."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator

import pytest

from tests.billing_cli import billing_json, jsonl
from tests.test_etincelle_scenario import booked, client, held
from tests.test_urssaf_life import FIRST_ID, activated, api_registration
from tests.urssaf_stub import UrssafStub


@pytest.fixture
def stub(monkeypatch: pytest.MonkeyPatch) -> Iterator[UrssafStub]:
    with UrssafStub(token="s3cret") as running:
        monkeypatch.setenv("BILLING_URSSAF_URL", running.url)
        monkeypatch.setenv("BILLING_URSSAF_TOKEN", "s3cret")
        monkeypatch.setenv("BILLING_URSSAF_ID_TIERS_FACTURATION", "1081230")
        yield running
        assert running.invalid == []  # what billing advance sent is what the Swagger's definitions say


def two_sessions() -> list[dict]:
    return [client("E-PER", "per_session"), api_registration("E-PER"), activated("E-PER"),
            *booked("P1", "E-PER", "2026-01-14T17:00:00+01:00", 120, "45.00"),
            held("P1", "2026-01-14T19:00:00+01:00"),
            *booked("P2", "E-PER", "2026-01-21T17:00:00+01:00", 60, "45.00"),
            held("P2", "2026-01-21T18:00:00+01:00")]


def avance(db: str, number: str, as_of: str = "2026-12-31") -> dict:
    rows = billing_json("invoices", "--as-of", as_of, db=db)
    return next(r for r in rows if r["number"] == number)


def test_requests_are_sent_once_and_failed_debits_polled_into_facts(db_url: str, stub: UrssafStub) -> None:
    billing_json("ingest", "-", db=db_url, stdin=jsonl(two_sessions()))
    report = billing_json("advance", "--to", "2026-01-31", db=db_url)
    assert report["urssaf_requests_sent"] == 2
    sent = [r for body in stub.received if isinstance(body, list) for r in body]
    assert [(r["numFactureTiers"], r["idClient"]) for r in sent] == [("ETS-2026-00001", FIRST_ID),
                                                                  ("ETS-2026-00002", FIRST_ID)]
    assert [p["quantite"] for p in sent[0]["inputPrestations"]] == [2]
    assert str(sent[0]["mntFactureTTC"]) in ("90", "90.0", "90.00")
    stub.set_status("DP-0001", 60, "2026-01-19T10:00:00+01:00")
    billing_json("advance", "--to", "2026-02-01", db=db_url)
    assert billing_json("advance", "--to", "2026-02-02", db=db_url)["urssaf_requests_sent"] == 0
    failed = avance(db_url, "ETS-2026-00001")
    assert failed["avance_immediate"]["status"] == "debit_failed"
    assert (failed["paid"], failed["balance"]) == ("0.00", "90.00")
    assert avance(db_url, "ETS-2026-00002")["avance_immediate"]["status"] == "paid"


def test_a_refused_request_is_owed_by_the_client(db_url: str, stub: UrssafStub) -> None:
    billing_json("ingest", "-", db=db_url, stdin=jsonl(two_sessions()[:6]))
    billing_json("advance", "--to", "2026-01-13", db=db_url)  # registers the client with URSSAF
    refusal = [{"numFactureTiers": "ETS-2026-00001",
                "errors": [{"code": "ERR_PARTICULIER_INCONNU", "message": "client inconnu", "description": ""}]}]
    stub.answer_next(200, json.dumps(refusal).encode())
    billing_json("advance", "--to", "2026-01-31", db=db_url)
    refused = avance(db_url, "ETS-2026-00001")
    assert refused["avance_immediate"]["status"] == "refused"
    assert refused["balance"] == "90.00"
    (status,) = billing_json("urssaf", "status", db=db_url)
    assert (status["number"], status["state"], status["error"]) == ("ETS-2026-00001", "refused", "ERR_PARTICULIER_INCONNU: client inconnu")


def test_an_outage_issues_the_documents_and_sends_later(db_url: str, stub: UrssafStub) -> None:
    billing_json("ingest", "-", db=db_url, stdin=jsonl(two_sessions()[:6]))
    stub.fail_next(503)
    first = billing_json("advance", "--to", "2026-01-31", db=db_url)
    assert first["issued"] == 1 and "503" in first["urssaf_error"]
    assert [r["state"] for r in billing_json("urssaf", "status", db=db_url)] == ["not sent yet"]
    assert billing_json("advance", "--to", "2026-01-31", db=db_url)["urssaf_requests_sent"] == 1
    assert [(r["state"], r["request_id"]) for r in billing_json("urssaf", "status", db=db_url)] == [("Intégrée", "DP-0001")]
    assert "BILLING_URSSAF_URL" in os.environ


def test_without_the_providers_urssaf_id_nothing_is_sent_and_the_run_says_why(
        db_url: str, stub: UrssafStub, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("BILLING_URSSAF_ID_TIERS_FACTURATION")
    billing_json("ingest", "-", db=db_url, stdin=jsonl(two_sessions()[:6]))
    report = billing_json("advance", "--to", "2026-01-31", db=db_url)
    assert report["issued"] == 1 and "BILLING_URSSAF_ID_TIERS_FACTURATION" in report["urssaf_error"]
    assert stub.calls == []
