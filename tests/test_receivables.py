"""Money owed, on both backends through the `billing` command: ageing on a date, penalty
interest and recovery fees worked out by hand, penalty invoices, credit notes after late facts
and after an invoice cancelled in error."""

from __future__ import annotations

import pytest

from tests.billing_cli import billing_json, jsonl, run_billing
from tests.test_btb_scenario import EXEMPT, fact, history


@pytest.fixture
def scenario(db_url: str) -> str:
    billing_json("ingest", "-", db=db_url, stdin=jsonl(history()), check=False)
    billing_json("advance", "--to", "2026-09-30", db=db_url)
    return db_url


def by_client(rows: list[dict]) -> dict[str, dict]:
    return {r["client_id"]: r for r in rows}


def test_ageing_on_a_given_date(scenario: str) -> None:
    rows = by_client(billing_json("receivables", "--as-of", "2026-08-01", db=scenario))
    alpha, beta, gamma = rows["C-ALPHA"], rows["C-BETA"], rows["C-GAMMA"]
    # C-ALPHA: 00002 (490.00 left after 100.00, 82 days), 00005 (51 days), 00006 (32), 00009 (21).
    assert (alpha["outstanding"], alpha["overdue"]) == ("1988.00", "1988.00")
    assert alpha["ageing"] == {"not_due": "0.00", "1_30": "590.00", "31_60": "908.00", "61_90": "490.00",
                               "over_90": "0.00"}
    assert [(i["number"], i["balance"], i["days_overdue"]) for i in alpha["open_invoices"]] == [
        ("BTB-2026-00002", "490.00", 82), ("BTB-2026-00005", "590.00", 51),
        ("BTB-2026-00006", "318.00", 32), ("BTB-2026-00009", "590.00", 21)]
    assert beta["ageing"]["61_90"] == beta["ageing"]["31_60"] == beta["ageing"]["1_30"] == "390.00"
    # C-GAMMA: the 1 August option invoice is due that day, not overdue yet; September's not issued yet.
    assert (gamma["outstanding"], gamma["overdue"], gamma["ageing"]["not_due"]) == ("3033.00", "2733.00", "300.00")


def test_interest_and_fees_accrue_per_late_invoice(scenario: str) -> None:
    alpha = by_client(billing_json("receivables", "--as-of", "2026-08-01", "--client", "C-ALPHA", db=scenario))["C-ALPHA"]
    # ECB 2.15 % + 10 points = 12.15 %, on the TTC owed (INTERPRETATION.md), per day / 365, rounded
    # per invoice: 00001 1790.00 × 1 day = 0.5958 → 0.60; 00002 (590 × 9 + 490 × 73) days = 13.67;
    # 00005 590 × 51 = 10.02; 00006 318 × 32 = 3.39; 00009 590 × 21 = 4.12 → 31.80; five late
    # invoices × 40.00. (The exempt invoices' HT is their TTC.)
    assert (alpha["penalty_interest"], alpha["recovery_fees"], alpha["penalties"]) == ("31.80", "200.00", "231.80")


def pack_paid_47_days_late() -> list[dict]:
    """A Starter Pack ordered on 4 May 2026 (1 790.00 TTC, due that day), paid on 20 June."""
    return [fact("c", "client.registered", "2026-05-01T09:00:00+02:00", client_id="C1", provider="btbconnect",
                 name="Cabinet"),
            fact("p", "starter_pack.ordered", "2026-05-04T10:00:00+02:00", pack_id="P1", client_id="C1"),
            fact("pay", "payment.received", "2026-06-20T10:00:00+02:00", client_id="C1", amount="1790.00",
                 method="transfer", invoice="BTB-2026-00001")]


def test_an_invoice_paid_47_days_late(db_url: str) -> None:
    billing_json("ingest", "-", db=db_url, stdin=jsonl(pack_paid_47_days_late()))
    billing_json("advance", "--to", "2026-05-31", db=db_url)
    row = billing_json("receivables", "--as-of", "2026-07-01", db=db_url)[0]
    # 1790.00 TTC × 12.15 % × 47 / 365 = 28.0049 → 28.00 (the Starter Pack bears VAT: the debt is
    # its TTC amount), and the 40.00 fee.
    assert (row["outstanding"], row["penalty_interest"], row["recovery_fees"]) == ("0.00", "28.00", "40.00")
    penalty = billing_json("penalties", "invoice", "--client", "C1", "--as-of", "2026-07-01", db=db_url)
    assert [(ln["code"], ln["total_ttc"], ln["vat"]) for ln in penalty["lines"]] == [
        ("late_penalty", "28.00", "0.00"), ("recovery_fee", "40.00", "0.00")]
    assert penalty["number"] == "BTB-2026-00002" and penalty["total_ttc"] == "68.00"
    again = run_billing("penalties", "invoice", "--client", "C1", "--as-of", "2026-07-01", db=db_url)
    assert "no penalty due" in again.stdout
    assert billing_json("receivables", "--as-of", "2026-07-01", db=db_url)[0]["penalties"] == "0.00"


def test_a_late_cancellation_fact_gives_credit_notes(db_url: str) -> None:
    facts = [fact("c", "client.registered", "2026-05-01T09:00:00+02:00", client_id="C1", provider="btbconnect",
                  name="Cabinet"),
             fact("s", "subscription.started", "2026-05-04T09:00:00+02:00", subscription_id="S1", client_id="C1",
                  plan="START", monthly_fee="390.00")]
    billing_json("ingest", "-", db=db_url, stdin=jsonl(facts))
    assert billing_json("advance", "--to", "2026-09-30", db=db_url)["issued"] == 5
    # Reported late: notified on 15 June, so the subscription ended on 4 August (3rd period's end).
    late = fact("x", "subscription.cancellation_notified", "2026-06-15T10:00:00+02:00", subscription_id="S1")
    billing_json("ingest", "-", db=db_url, stdin=jsonl([late]))
    assert billing_json("advance", "--to", "2026-10-01", db=db_url)["issued"] == 2
    notes = [i for i in billing_json("invoices", "--as-of", "2026-12-31", db=db_url) if i["kind"] == "credit_note"]
    assert [(n["number"], n["issued_on"], n["total_ttc"]) for n in notes] == [
        ("BTB-2026-00006", "2026-10-01", "-390.00"), ("BTB-2026-00007", "2026-10-01", "-390.00")]
    assert [n["refers_to"] for n in notes] == [{"number": "BTB-2026-00004", "issued_on": "2026-08-04"},
                                               {"number": "BTB-2026-00005", "issued_on": "2026-09-04"}]
    assert notes[0]["lines"][0]["quantity"] == "-1" and notes[0]["lines"][0]["mention"] == EXEMPT
    assert billing_json("advance", "--to", "2026-10-31", db=db_url)["issued"] == 0
    owed = billing_json("receivables", "--as-of", "2026-10-31", db=db_url)[0]
    assert owed["outstanding"] == "1170.00"  # three periods of 390.00
    assert billing_json("verify", db=db_url) == {"findings": []}


def test_an_invoice_cancelled_in_error_is_credited_in_full_once(scenario: str) -> None:
    cancel = fact("k", "invoice.cancelled", "2026-10-02T10:00:00+02:00", invoice="BTB-2026-00006",
                  reason="doublon")
    billing_json("ingest", "-", db=scenario, stdin=jsonl([cancel]))
    # 00014 is C-GAMMA's option of 1 October; 00015 the credit note.
    assert billing_json("advance", "--to", "2026-10-02", db=scenario)["numbers"] == ["BTB-2026-00014", "BTB-2026-00015"]
    note = billing_json("invoices", "--from", "2026-10-02", db=scenario)[0]
    assert (note["kind"], note["total_ttc"], note["refers_to"]["number"]) == ("credit_note", "-318.00", "BTB-2026-00006")
    assert billing_json("advance", "--to", "2026-10-31", db=scenario)["issued"] == 0
    refused = run_billing("ingest", "-", db=scenario, check=False, stdin=jsonl([{**cancel, "key": "k2"}]))
    assert "already cancelled" in refused.stderr
    refused = run_billing("ingest", "-", db=scenario, check=False, stdin=jsonl([
        fact("k3", "invoice.cancelled", "2026-10-02T10:00:00+02:00", invoice="BTB-2026-00015", reason="x")]))
    assert "cancel the original invoice" in refused.stderr


def test_a_late_validated_appointment_gives_a_supplementary_invoice(scenario: str) -> None:
    extra = [fact("A7-s", "appointment.scheduled", "2026-05-12T09:00:00+02:00", appointment_id="A7",
                  client_id="C-ALPHA", starts_at="2026-05-29T10:00:00+02:00", subscription_id="S-A"),
             fact("A7-h", "appointment.honoured", "2026-05-29T11:00:00+02:00", appointment_id="A7")]
    billing_json("ingest", "-", db=scenario, stdin=jsonl(extra))
    billing_json("advance", "--to", "2026-10-05", db=scenario)
    fix = billing_json("invoices", "--from", "2026-10-05", db=scenario)[0]
    # A7 (29 May) validates on 5 June: June's extras invoice (00006) should have billed 3, not 2.
    assert (fix["kind"], fix["total_ttc"], fix["refers_to"]["number"]) == ("invoice", "159.00", "BTB-2026-00006")
    assert fix["lines"][0]["sources"] == ["appointment:A7"]
    assert billing_json("verify", db=scenario) == {"findings": []}
