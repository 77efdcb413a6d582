"""L'Étincelle rules enforced when facts come in, on both backends, and the erasure of personal
data: refused facts name the rule and record nothing."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import pytest

from tests.billing_cli import billing_json, jsonl, run_billing
from tests.services import Engine
from tests.test_etincelle_scenario import IBAN, booked, cancelled, client, fact, held, urssaf


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    engine = Engine(db_url)
    engine.ingest(client("E1", "per_session"), *booked("S1", "E1", "2026-02-10T17:00:00+01:00", 60, "40.00"))
    yield engine
    engine.close()


def test_a_session_is_confirmed_once_and_ends_once(engine: Engine) -> None:
    assert "already confirmed" in engine.refusal(fact("again", "session.confirmed", "2026-01-04T09:00:00+01:00", session_id="S1"))
    engine.ingest(fact("S1-a", "session.student_absent", "2026-02-10T17:15:00+01:00", session_id="S1"))
    assert "already took place" in engine.refusal(held("S1", "2026-02-10T18:00:00+01:00"))
    assert "already took place" in engine.refusal(cancelled("S1", "2026-02-10T19:00:00+01:00"))


def test_facts_about_unknown_sessions_or_accounts_say_what_to_send_first(engine: Engine) -> None:
    assert "session.booked" in engine.refusal(held("NOPE", "2026-02-10T18:00:00+01:00"))
    assert "urssaf.client_registered" in engine.refusal(
        fact("v", "urssaf.request_validated", "2026-02-11T09:00:00+01:00", session_id="S1"))
    assert "urssaf.client_registered" in engine.refusal(
        fact("r", "urssaf.client_renounced", "2026-02-11T09:00:00+01:00", client_id="E1"))


def test_sessions_are_for_etincelle_clients(engine: Engine) -> None:
    engine.ingest(fact("b", "client.registered", "2026-01-02T09:00:00+01:00", client_id="B1",
                       provider="btbconnect", name="Cabinet"))
    assert "btbconnect client" in engine.refusal(booked("S2", "B1", "2026-02-10T17:00:00+01:00", 60, "40.00")[0])


def test_registration_data_is_validated_without_echoing_it(engine: Engine) -> None:
    bad = {**urssaf("E1"), "iban": "FR7630006000011234567890188"}
    error = engine.refusal(bad)
    assert "iban" in error and "30006" not in error
    minor = {**urssaf("E1"), "key": "minor", "birth_date": "2010-05-01"}
    assert "adult" in engine.refusal(minor).lower()
    assert engine.ingest(urssaf("E1")).recorded == 1
    assert "already registered" in engine.refusal({**urssaf("E1"), "key": "twice"})


def test_the_same_registration_again_is_a_duplicate_other_content_a_conflict(engine: Engine) -> None:
    engine.ingest(urssaf("E1"))
    assert engine.ingest(urssaf("E1")).duplicates == 1
    assert "other content" in engine.refusal({**urssaf("E1"), "email": "autre@example.fr"})


def test_an_answer_cannot_contradict_an_earlier_one(engine: Engine) -> None:
    engine.ingest(urssaf("E1"), held("S1", "2026-02-10T18:00:00+01:00"),
                  fact("v", "urssaf.request_validated", "2026-02-11T09:00:00+01:00", session_id="S1"))
    assert "already answered" in engine.refusal(
        fact("c", "urssaf.request_contested", "2026-02-11T10:00:00+01:00", session_id="S1"))


def test_a_contested_request_falls_back_to_the_client(engine: Engine) -> None:
    engine.ingest(urssaf("E1"), held("S1", "2026-02-10T18:00:00+01:00"),
                  fact("c", "urssaf.request_contested", "2026-02-11T10:00:00+01:00", session_id="S1"))
    engine.advance(date(2026, 2, 28))
    invoice = engine.invoices()[0]
    assert invoice["avance_immediate"]["status"] == "contested"
    assert invoice["balance"] == "40.00"


def test_erasing_personal_data_keeps_the_invoices(db_url: str) -> None:
    facts = [client("E1", "per_session"), urssaf("E1"), *booked("S1", "E1", "2026-02-10T17:00:00+01:00", 60, "40.00"),
             held("S1", "2026-02-10T18:00:00+01:00")]
    billing_json("ingest", "-", db=db_url, stdin=jsonl(facts))
    billing_json("advance", "--to", "2026-02-28", db=db_url)
    shown = billing_json("personal-data", "show", "--client", "E1", db=db_url)
    assert shown["birth_name"] == "Durand" and shown["iban"].endswith("189") and IBAN not in str(shown)
    refused = run_billing("personal-data", "erase", "--client", "E1", db=db_url, check=False)
    assert refused.returncode == 1 and "urssaf.client_renounced" in refused.stderr
    billing_json("ingest", "-", db=db_url, stdin=jsonl([
        fact("r", "urssaf.client_renounced", "2026-03-01T09:00:00+01:00", client_id="E1")]))
    assert billing_json("personal-data", "erase", "--client", "E1", db=db_url)["erased"] is True
    assert billing_json("personal-data", "show", "--client", "E1", db=db_url) == {"client_id": "E1", "erased": True}
    invoices = billing_json("invoices", "--as-of", "2026-12-31", db=db_url)
    assert [(i["number"], i["total_ttc"]) for i in invoices] == [("ETS-2026-00001", "40.00")]


def test_an_answer_needs_a_request_covering_the_session(engine: Engine) -> None:
    engine.ingest(urssaf("E1"), *booked("R1", "E1", "2026-02-11T17:00:00+01:00", 60, "40.00", place="remote"),
                  held("R1", "2026-02-11T18:00:00+01:00"))
    error = engine.refusal(fact("R1-f", "urssaf.debit_failed", "2026-02-20T10:00:00+01:00", session_id="R1"))
    assert "no URSSAF request covers session 'R1'" in error
    assert "no URSSAF request" in engine.refusal(
        fact("S1-f", "urssaf.debit_failed", "2026-02-09T10:00:00+01:00", session_id="S1"))
