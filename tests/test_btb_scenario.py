"""End to end through the `billing` command, on SQLite and PostgreSQL: a BTBCONNECT history
and every invoice line checked against values worked out by hand from the CGPS and
INTERPRETATION.md."""

from __future__ import annotations

import pytest

from tests.billing_cli import billing_json, jsonl, run_billing

EXEMPT = "TVA non applicable – article 261 C du Code général des impôts"


def fact(key: str, type_: str, at: str, **fields: object) -> dict:
    return {"key": key, "type": type_, "at": at, **fields}


def history() -> list[dict]:
    return [
        fact("c-a", "client.registered", "2026-05-02T09:00:00+02:00", client_id="C-ALPHA",
             provider="btbconnect", name="Cabinet Alpha", siren="123456782"),
        fact("c-b", "client.registered", "2026-05-02T09:00:00+02:00", client_id="C-BETA",
             provider="btbconnect", name="Agence Beta"),
        fact("c-c", "client.registered", "2026-05-02T09:00:00+02:00", client_id="C-GAMMA",
             provider="btbconnect", name="Gamma Assurances"),
        fact("pack-a", "starter_pack.ordered", "2026-05-04T10:00:00+02:00", pack_id="P-A", client_id="C-ALPHA"),
        # CGPS art. 3.2: one Starter Pack per client.
        fact("pack-a2", "starter_pack.ordered", "2026-05-10T10:00:00+02:00", pack_id="P-A2", client_id="C-ALPHA"),
        fact("camp-a", "starter_pack.campaign_started", "2026-05-05T09:00:00+02:00", pack_id="P-A"),
        fact("pa1", "appointment.scheduled", "2026-05-05T09:00:00+02:00", appointment_id="PA1",
             client_id="C-ALPHA", starts_at="2026-05-06T10:00:00+02:00", pack_id="P-A"),
        fact("pa1-h", "appointment.honoured", "2026-05-06T11:00:00+02:00", appointment_id="PA1"),
        fact("sub-a", "subscription.started", "2026-05-11T09:00:00+02:00", subscription_id="S-A",
             client_id="C-ALPHA", plan="GROW", monthly_fee="590.00"),
        *alpha_appointments(),
        # 15 days before the échéance of 11 August, which is the end of the 3rd period.
        fact("sub-a-x", "subscription.cancellation_notified", "2026-07-27T10:00:00+02:00", subscription_id="S-A"),
        fact("sub-b", "subscription.started", "2026-05-31T09:00:00+02:00", subscription_id="S-B",
             client_id="C-BETA", plan="START", monthly_fee="390.00"),
        fact("b1", "appointment.scheduled", "2026-06-01T09:00:00+02:00", appointment_id="B1",
             client_id="C-BETA", starts_at="2026-06-02T10:00:00+02:00"),
        fact("b1-h", "appointment.honoured", "2026-06-02T11:00:00+02:00", appointment_id="B1"),
        fact("b2", "appointment.scheduled", "2026-06-01T09:00:00+02:00", appointment_id="B2",
             client_id="C-BETA", starts_at="2026-06-03T10:00:00+02:00"),
        fact("b2-x", "appointment.cancelled", "2026-06-02T18:00:00+02:00", appointment_id="B2"),
        # 14 days before the échéance of 31 August: too late for it, ends on 30 September.
        fact("sub-b-x", "subscription.cancellation_notified", "2026-08-17T10:00:00+02:00", subscription_id="S-B"),
        fact("sub-c", "subscription.started", "2026-06-01T09:00:00+02:00", subscription_id="S-C",
             client_id="C-GAMMA", plan="DEV", monthly_fee="790.00", prepaid_quarterly=True),
        fact("opt-c", "subscription.option_activated", "2026-06-01T09:30:00+02:00", subscription_id="S-C",
             option="multicanal", monthly_fee_ht="250.00"),
        fact("pay-1", "payment.received", "2026-05-05T08:00:00+02:00", client_id="C-ALPHA",
             amount="1790.00", method="card", invoice="BTB-2026-00001"),
        fact("pay-2", "payment.received", "2026-05-20T08:00:00+02:00", client_id="C-ALPHA",
             amount="100.00", method="transfer"),
    ]


def alpha_appointments() -> list[dict]:
    """GROW includes 3 a period. Wed 13 May: Ascension (14 May) in the window, the 5th jour
    ouvrable is Wed 20 May. A3, A4 validate in May; A5, A6 (27, 28 May) only in June."""
    days = {"A1": "2026-05-13T10:00", "A2": "2026-05-13T14:00", "A3": "2026-05-18T10:00",
            "A4": "2026-05-19T10:00", "A5": "2026-05-27T10:00", "A6": "2026-05-28T10:00"}
    facts = []
    for appt, starts in days.items():
        facts.append(fact(f"{appt}-s", "appointment.scheduled", "2026-05-12T09:00:00+02:00",
                          appointment_id=appt, client_id="C-ALPHA", starts_at=f"{starts}:00+02:00",
                          subscription_id="S-A"))
        facts.append(fact(f"{appt}-h", "appointment.honoured", f"{starts}:00+02:00".replace("T10", "T11"),
                          appointment_id=appt))
    facts.append(fact("A1-x", "appointment.anomaly_declared", "2026-05-20T18:00:00+02:00",
                      appointment_id="A1", reason="prospect non qualifié"))
    facts.append(fact("A2-x", "appointment.anomaly_declared", "2026-05-21T09:00:00+02:00",
                      appointment_id="A2", reason="déclaré trop tard"))
    return facts


def exempt(code: str, qty: str, unit: str, total: str) -> dict:
    return {"code": code, "quantity": qty, "unit_price": unit, "total_ht": total, "vat_rate": "0",
            "vat": "0.00", "total_ttc": total, "mention": EXEMPT}


def taxed(code: str, unit: str, vat: str, ttc: str) -> dict:
    return {"code": code, "quantity": "1", "unit_price": unit, "total_ht": unit, "vat_rate": "20",
            "vat": vat, "total_ttc": ttc, "mention": None}


PACK = taxed("starter_pack", "1491.67", "298.33", "1790.00")
GROW = exempt("subscription_fee", "1", "590.00", "590.00")
START = exempt("subscription_fee", "1", "390.00", "390.00")
DEV_QUARTER = [exempt("subscription_fee", "3", "790.00", "2370.00"),
               exempt("prepayment_discount", "1", "-237.00", "-237.00")]
MULTICANAL = taxed("multicanal", "250.00", "50.00", "300.00")

EXPECTED = [  # number, client, issued_on, lines, total_ttc
    ("BTB-2026-00001", "C-ALPHA", "2026-05-04", [PACK], "1790.00"),
    ("BTB-2026-00002", "C-ALPHA", "2026-05-11", [GROW], "590.00"),
    ("BTB-2026-00003", "C-BETA", "2026-05-31", [START], "390.00"),
    ("BTB-2026-00004", "C-GAMMA", "2026-06-01", [*DEV_QUARTER, MULTICANAL], "2433.00"),
    ("BTB-2026-00005", "C-ALPHA", "2026-06-11", [GROW], "590.00"),
    ("BTB-2026-00006", "C-ALPHA", "2026-06-30", [exempt("extra_appointments", "2", "159.00", "318.00")], "318.00"),
    ("BTB-2026-00007", "C-BETA", "2026-06-30", [START], "390.00"),
    ("BTB-2026-00008", "C-GAMMA", "2026-07-01", [MULTICANAL], "300.00"),
    ("BTB-2026-00009", "C-ALPHA", "2026-07-11", [GROW], "590.00"),
    ("BTB-2026-00010", "C-BETA", "2026-07-31", [START], "390.00"),
    ("BTB-2026-00011", "C-GAMMA", "2026-08-01", [MULTICANAL], "300.00"),
    ("BTB-2026-00012", "C-BETA", "2026-08-31", [START], "390.00"),
    ("BTB-2026-00013", "C-GAMMA", "2026-09-01", [*DEV_QUARTER, MULTICANAL], "2433.00"),
]


def comparable(line: dict) -> dict:
    return {k: line[k] for k in ("code", "quantity", "unit_price", "total_ht", "vat_rate", "vat",
                                 "total_ttc", "mention")}


@pytest.fixture
def recorded(db_url: str) -> str:
    report = billing_json("ingest", "-", db=db_url, stdin=jsonl(history()), check=False)
    assert report["recorded"] == len(history()) - 2
    refused = {r["key"]: r["error"] for r in report["refused"]}
    assert set(refused) == {"pack-a2", "A2-x"}
    assert "one Starter Pack per client" in refused["pack-a2"]
    assert "2026-05-20T23:59:59.999999+02:00" in refused["A2-x"]
    billing_json("advance", "--to", "2026-09-30", db=db_url)
    return db_url


def test_every_invoice_line_matches_the_terms(recorded: str) -> None:
    invoices = billing_json("invoices", db=recorded)
    got = [(i["number"], i["client_id"], i["issued_on"], [comparable(ln) for ln in i["lines"]], i["total_ttc"])
           for i in invoices]
    assert got == EXPECTED
    assert all(i["due_on"] == i["issued_on"] and i["terms"] == "CGPS20260208-2" for i in invoices)


def test_periods_from_the_31st_are_clamped_to_month_ends(recorded: str) -> None:
    beta = billing_json("invoices", "--client", "C-BETA", db=recorded)
    spans = [i["lines"][0]["description"].split("– ")[1] for i in beta]
    assert spans == ["du 31/05/2026 au 29/06/2026", "du 30/06/2026 au 30/07/2026",
                     "du 31/07/2026 au 30/08/2026", "du 31/08/2026 au 29/09/2026"]


def test_payments_settle_named_then_oldest_invoices(recorded: str) -> None:
    alpha = {i["number"]: i for i in billing_json("invoices", "--client", "C-ALPHA", db=recorded)}
    assert (alpha["BTB-2026-00001"]["paid"], alpha["BTB-2026-00001"]["balance"]) == ("1790.00", "0.00")
    assert (alpha["BTB-2026-00002"]["paid"], alpha["BTB-2026-00002"]["balance"]) == ("100.00", "490.00")


def test_running_everything_again_changes_nothing(recorded: str) -> None:
    again = billing_json("ingest", "-", db=recorded, stdin=jsonl(history()), check=False)
    assert (again["recorded"], again["duplicates"], len(again["refused"])) == (0, len(history()) - 2, 2)
    assert billing_json("advance", "--to", "2026-09-30", db=recorded)["issued"] == 0
    assert len(billing_json("invoices", db=recorded)) == len(EXPECTED)


def test_filters_select_by_client_and_issue_date(recorded: str) -> None:
    june = billing_json("invoices", "--from", "2026-06-01", "--to", "2026-06-30", db=recorded)
    assert [i["number"] for i in june] == ["BTB-2026-00004", "BTB-2026-00005", "BTB-2026-00006", "BTB-2026-00007"]
    assert billing_json("invoices", "--provider", "etincelle", db=recorded) == []


def test_same_key_with_other_content_is_refused(recorded: str) -> None:
    changed = fact("sub-b", "subscription.started", "2026-05-31T09:00:00+02:00", subscription_id="S-B",
                   client_id="C-BETA", plan="SCALE", monthly_fee="990.00")
    result = run_billing("ingest", "-", db=recorded, stdin=jsonl([changed]), check=False)
    assert result.returncode == 1
    assert "'sub-b'" in result.stderr and "other content" in result.stderr


def test_table_output_is_readable(recorded: str) -> None:
    out = run_billing("invoices", "--client", "C-GAMMA", db=recorded).stdout
    assert "BTB-2026-00004" in out and "prepayment_discount" in out and EXEMPT in out
