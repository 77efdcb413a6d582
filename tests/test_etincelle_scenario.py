"""End to end through the `billing` command, on SQLite and PostgreSQL: an Étincelle history and
every invoice, URSSAF outcome and attestation checked against values worked out by hand from the
CGV and INTERPRETATION.md (deemed URSSAF timeline: request sent at the end of the invoice's issue
day, tacit validation 48 hours later, debit and payout two days after validation)."""

from __future__ import annotations

import pytest

from tests.billing_cli import billing_json, jsonl, run_billing

MENTION = "TVA non applicable, article 293 B du CGI"
IBAN = "FR7630006000011234567890189"


def fact(key: str, type_: str, at: str, **fields: object) -> dict:
    return {"key": key, "type": type_, "at": at, **fields}


def client(cid: str, invoicing: str) -> dict:
    return fact(f"reg-{cid}", "client.registered", "2026-01-02T09:00:00+01:00", client_id=cid,
                provider="etincelle", name=f"Client {cid}", adult=True, invoicing=invoicing)


def urssaf(cid: str) -> dict:
    return fact(f"urssaf-{cid}", "urssaf.client_registered", "2026-01-05T09:00:00+01:00", client_id=cid,
                birth_name="Durand", usage_name="Petit", birth_date="1979-04-02", birth_place="Gap",
                address="3 rue Carnot, 05000 Gap", email="parent@example.fr", iban=IBAN)


def booked(sid: str, cid: str, starts: str, minutes: int, rate: str, place: str = "home") -> list[dict]:
    return [fact(f"{sid}-b", "session.booked", "2026-01-03T09:00:00+01:00", session_id=sid, client_id=cid,
                 starts_at=starts, duration_minutes=minutes, place=place, level="lycee", hourly_rate=rate),
            fact(f"{sid}-c", "session.confirmed", "2026-01-03T10:00:00+01:00", session_id=sid)]


def held(sid: str, at: str, **details: object) -> dict:
    return fact(f"{sid}-h", "session.held", at, session_id=sid, **details)


def cancelled(sid: str, at: str, **details: object) -> dict:
    return fact(f"{sid}-x", "session.cancelled", at, session_id=sid, by="client", **details)


def monthly_client() -> list[dict]:
    """E-MON, monthly, no URSSAF: the cancellation, absence, remote and lateness rules."""
    m = "E-MON"
    return [
        client(m, "monthly"),
        *booked("M9", m, "2026-02-03T17:00:00+01:00", 90, "40.00"),
        held("M9", "2026-02-03T18:30:00+01:00", parking_fee="4.00"),
        *booked("M1", m, "2026-02-10T17:00:00+01:00", 60, "40.00"),
        cancelled("M1", "2026-02-07T17:00:00+01:00"),  # 72 h 00 before: free
        held("M1", "2026-02-10T18:00:00+01:00"),  # refused: it was cancelled
        *booked("M2", m, "2026-02-12T17:00:00+01:00", 60, "40.00"),
        cancelled("M2", "2026-02-09T17:01:00+01:00"),  # 71 h 59 before: billed
        *booked("M8", m, "2026-02-17T17:00:00+01:00", 60, "40.00", place="remote"),
        held("M8", "2026-02-17T18:00:00+01:00"),
        *booked("M5", m, "2026-02-19T17:00:00+01:00", 60, "40.00"),
        cancelled("M5", "2026-02-19T09:00:00+01:00", force_majeure=True, proof=True),
        *booked("M7", m, "2026-02-24T17:00:00+01:00", 60, "40.00"),
        fact("M7-a", "session.student_absent", "2026-02-24T17:20:00+01:00", session_id="M7"),
        *booked("M6", m, "2026-02-26T17:00:00+01:00", 60, "40.00"),
        cancelled("M6", "2026-02-26T08:00:00+01:00", force_majeure=True, proof=False),
        *booked("M10", m, "2026-03-10T17:00:00+01:00", 60, "40.00"),
        held("M10", "2026-03-10T18:00:00+01:00", provider_late_minutes=15),
        *booked("M11", m, "2026-03-17T17:00:00+01:00", 60, "40.00"),
        held("M11", "2026-03-17T18:15:00+01:00", makeup_minutes=15),
        *booked("M12", m, "2026-03-24T17:00:00+01:00", 60, "40.00"),
        held("M12", "2026-03-24T18:05:00+01:00", makeup_minutes=5),  # refused: nothing owed any more
        # Across the change to summer time (29 March): 72 hours of elapsed time.
        *booked("M3", m, "2026-03-30T17:00:00+02:00", 60, "40.00"),
        cancelled("M3", "2026-03-27T16:00:00+01:00"),  # exactly 72 h 00 before: free
        *booked("M4", m, "2026-03-31T17:00:00+02:00", 60, "40.00"),
        cancelled("M4", "2026-03-28T16:01:00+01:00"),  # 71 h 59 before: billed
        fact("M13-b", "session.booked", "2026-03-01T09:00:00+01:00", session_id="M13", client_id=m,
             starts_at="2026-03-20T17:00:00+01:00", duration_minutes=60, place="home", level="college",
             hourly_rate="40.00"),
        held("M13", "2026-03-20T18:00:00+01:00"),  # refused: never confirmed
        fact("m-pay1", "payment.received", "2026-03-05T10:00:00+01:00", client_id=m, amount="224.00",
             method="transfer", invoice="ETS-2026-00007"),
        fact("m-pay2", "payment.received", "2026-04-10T10:00:00+02:00", client_id=m, amount="60.00", method="cash"),
    ]


def urssaf_client() -> list[dict]:
    """E-PER, per session, avance immédiate: tacit and explicit validation."""
    p = "E-PER"
    return [
        client(p, "per_session"), urssaf(p),
        *booked("P1", p, "2026-01-14T17:00:00+01:00", 120, "45.00"),
        held("P1", "2026-01-14T19:00:00+01:00"),
        *booked("P2", p, "2026-01-21T17:00:00+01:00", 60, "45.00"),
        held("P2", "2026-01-21T18:00:00+01:00"),
        fact("P2-v", "urssaf.request_validated", "2026-01-22T10:00:00+01:00", session_id="P2"),
        *booked("P3", p, "2026-01-28T17:00:00+01:00", 60, "45.00", place="remote"),
        held("P3", "2026-01-28T18:00:00+01:00"),
        fact("p-pay", "payment.received", "2026-01-29T10:00:00+01:00", client_id=p, amount="45.00", method="card"),
    ]


def blocked_client() -> list[dict]:
    """E-BLK: a validated request whose debit fails, classic billing while blocked, unblocking,
    then renouncing."""
    b = "E-BLK"
    return [
        client(b, "per_session"), urssaf(b),
        *booked("B1", b, "2026-02-02T10:00:00+01:00", 60, "40.00"),
        held("B1", "2026-02-02T11:00:00+01:00"),
        fact("B1-v", "urssaf.request_validated", "2026-02-03T09:00:00+01:00", session_id="B1"),
        fact("B1-f", "urssaf.debit_failed", "2026-02-05T12:00:00+01:00", session_id="B1"),
        *booked("B2", b, "2026-02-09T10:00:00+01:00", 60, "40.00"),
        held("B2", "2026-02-09T11:00:00+01:00"),
        fact("b-unblock", "urssaf.account_unblocked", "2026-02-15T09:00:00+01:00", client_id=b),
        *booked("B3", b, "2026-02-16T10:00:00+01:00", 60, "40.00"),
        held("B3", "2026-02-16T11:00:00+01:00"),
        fact("b-pay", "payment.received", "2026-02-20T10:00:00+01:00", client_id=b, amount="80.00", method="transfer"),
        fact("b-renounce", "urssaf.client_renounced", "2026-02-25T09:00:00+01:00", client_id=b),
        *booked("B4", b, "2026-03-02T10:00:00+01:00", 60, "40.00"),
        held("B4", "2026-03-02T11:00:00+01:00"),
    ]


def history() -> list[dict]:
    return [*urssaf_client(), *blocked_client(), *monthly_client()]


def line(code: str, qty: str, unit: str, total: str, eligible: bool) -> dict:
    return {"code": code, "quantity": qty, "unit_price": unit, "total_ttc": total, "vat": "0.00",
            "mention": MENTION, "sap_eligible": eligible}


SESSION_40 = line("session", "1", "40.00", "40.00", True)
EXPECTED = [  # number, client, issued_on, lines, avance immédiate (amount, URSSAF share) or None
    ("ETS-2026-00001", "E-PER", "2026-01-14", [line("session", "2", "45.00", "90.00", True)], ("90.00", "45.00")),
    ("ETS-2026-00002", "E-PER", "2026-01-21", [line("session", "1", "45.00", "45.00", True)], ("45.00", "22.50")),
    ("ETS-2026-00003", "E-PER", "2026-01-28", [line("session", "1", "45.00", "45.00", False)], None),
    ("ETS-2026-00004", "E-BLK", "2026-02-02", [SESSION_40], ("40.00", "20.00")),
    ("ETS-2026-00005", "E-BLK", "2026-02-09", [SESSION_40], None),  # blocked after the failed debit
    ("ETS-2026-00006", "E-BLK", "2026-02-16", [SESSION_40], ("40.00", "20.00")),  # unblocked
    ("ETS-2026-00007", "E-MON", "2026-02-28", [
        line("session", "1.5", "40.00", "60.00", True), line("parking", "1", "4.00", "4.00", False),
        line("late_cancellation", "1", "40.00", "40.00", False),
        line("session", "1", "40.00", "40.00", False),  # remote
        line("absence", "1", "40.00", "40.00", False),
        line("late_cancellation", "1", "40.00", "40.00", False),  # force majeure without proof
    ], None),
    ("ETS-2026-00008", "E-BLK", "2026-03-02", [SESSION_40], None),  # renounced
    ("ETS-2026-00009", "E-MON", "2026-03-31", [
        SESSION_40, SESSION_40, line("late_cancellation", "1", "40.00", "40.00", False)], None),
]
PAID = {"ETS-2026-00001": "90.00", "ETS-2026-00002": "45.00", "ETS-2026-00003": "45.00",
        "ETS-2026-00004": "40.00", "ETS-2026-00005": "40.00", "ETS-2026-00006": "40.00",
        "ETS-2026-00007": "224.00", "ETS-2026-00008": "0.00", "ETS-2026-00009": "60.00"}
ATTESTATIONS = {  # eligible paid, of which avance immédiate, hours
    "E-BLK": ("120.00", "20.00", 3.0),  # B1 and B2 paid by the client, B3 through URSSAF
    "E-MON": ("100.00", "0.00", 2.5),   # February 60.00 eligible; March 60 of 120 paid → 80 × ½
    "E-PER": ("135.00", "67.50", 3.0),
}


def comparable(row: dict) -> dict:
    return {k: row[k] for k in ("code", "quantity", "unit_price", "total_ttc", "vat", "mention", "sap_eligible")}


@pytest.fixture
def recorded(db_url: str) -> str:
    report = billing_json("ingest", "-", db=db_url, stdin=jsonl(history()), check=False)
    assert {r["key"] for r in report["refused"]} == {"M1-h", "M12-h", "M13-h"}, report["refused"]
    assert report["recorded"] == len(history()) - 3
    billing_json("advance", "--to", "2026-03-31", db=db_url)
    return db_url


def test_every_invoice_matches_the_cgv(recorded: str) -> None:
    invoices = billing_json("invoices", "--provider", "etincelle", "--as-of", "2026-12-31", db=recorded)
    got = [(i["number"], i["client_id"], i["issued_on"], [comparable(ln) for ln in i["lines"]],
            (i["avance_immediate"]["amount"], i["avance_immediate"]["urssaf_share"]) if "avance_immediate" in i else None)
           for i in invoices]
    assert got == EXPECTED
    assert {i["number"]: i["paid"] for i in invoices} == PAID
    assert all(i["total_vat"] == "0.00" and i["terms"] == "CGV-2025-09-02" for i in invoices)


def test_attestations_to_the_cent(recorded: str) -> None:
    rows = billing_json("attestations", "--year", "2026", db=recorded)
    got = {r["client_id"]: (r["eligible_paid"], r["avance_immediate"], r["hours"]) for r in rows}
    assert got == ATTESTATIONS
    assert all(r["year"] == 2026 for r in rows)
    assert billing_json("attestations", "--year", "2026", "--client", "E-PER", db=recorded)[0]["client_id"] == "E-PER"


def test_urssaf_statuses_follow_the_deemed_timeline(recorded: str) -> None:
    def status(as_of: str, number: str) -> str:
        rows = billing_json("invoices", "--client", "E-PER", "--as-of", as_of, db=recorded)
        return next(r for r in rows if r["number"] == number)["avance_immediate"]["status"]

    # Issued 14 Jan, sent at the end of the day: tacitly validated at the end of 16 Jan, paid on 18 Jan.
    assert status("2026-01-15", "ETS-2026-00001") == "awaiting_validation"
    assert status("2026-01-17", "ETS-2026-00001") == "validated"
    assert status("2026-01-18", "ETS-2026-00001") == "paid"
    # Validated by the client on 22 Jan: debited and paid on 24 Jan.
    assert status("2026-01-23", "ETS-2026-00002") == "validated"
    assert status("2026-01-24", "ETS-2026-00002") == "paid"


def test_a_failed_debit_leaves_the_client_owing_the_request(recorded: str) -> None:
    before = billing_json("invoices", "--client", "E-BLK", "--as-of", "2026-02-10", db=recorded)
    b1 = next(r for r in before if r["number"] == "ETS-2026-00004")
    assert b1["avance_immediate"]["status"] == "debit_failed"
    assert (b1["paid"], b1["balance"]) == ("0.00", "40.00")


def test_personal_data_is_never_stored_in_clear(recorded: str) -> None:
    if recorded.startswith("postgresql"):
        import psycopg

        with psycopg.connect(recorded) as conn:
            stored = b"".join(bytes(r[0]) for r in conn.execute("SELECT state FROM billing_events"))
    else:
        import sqlite3
        from pathlib import Path

        path = recorded.removeprefix("sqlite:///")
        stored = b"".join(r[0] for r in sqlite3.connect(path).execute("SELECT state FROM stored_events"))
        assert IBAN.encode() not in Path(path).read_bytes()
    for secret in (IBAN, "parent@example.fr", "1979-04-02", "Carnot"):
        assert secret.encode() not in stored


def test_a_second_failed_debit_blocks_for_good(recorded: str) -> None:
    more = [*booked("B5", "E-PER", "2026-04-06T10:00:00+02:00", 60, "45.00"),
            held("B5", "2026-04-06T11:00:00+02:00"),
            fact("B5-f", "urssaf.debit_failed", "2026-04-10T12:00:00+02:00", session_id="B5"),
            fact("P1-f", "urssaf.debit_failed", "2026-04-11T12:00:00+02:00", session_id="P1")]
    assert billing_json("ingest", "-", db=recorded, stdin=jsonl(more))["recorded"] == 5
    result = run_billing("ingest", "-", db=recorded, check=False, stdin=jsonl([
        fact("p-unblock", "urssaf.account_unblocked", "2026-04-20T09:00:00+02:00", client_id="E-PER")]))
    assert result.returncode == 1 and "blocked for good" in result.stderr
