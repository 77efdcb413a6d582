"""Auditors, on both backends through the `billing` command: replay under a derived terms version
with hand-worked differences, zero difference under the recorded versions, explanations, facts as
known at a recorded time, and an issued document altered in the database found by verify."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import pytest

from tests.billing_cli import billing_json, jsonl, run_billing
from tests.test_btb_scenario import fact, history

DERIVED = """
derived_from = "CGPS20260208-2"
reference = "AUDIT-GROW139-W3"
title = "Audit: GROW extra appointment at 139.00, anomaly window of 3 jours ouvrables"

[plans.GROW]
extra_price = "139.00"

[validation]
anomaly_window_jours_ouvrables = 3
"""


@pytest.fixture
def scenario(db_url: str) -> str:
    billing_json("ingest", "-", db=db_url, stdin=jsonl(history()), check=False)
    billing_json("advance", "--to", "2026-09-30", db=db_url)
    return db_url


@pytest.fixture
def derived(tmp_path: Path) -> str:
    path = tmp_path / "audit.toml"
    path.write_text(DERIVED, encoding="utf-8")
    return str(path)


def test_replay_under_the_recorded_version_shows_no_difference(scenario: str) -> None:
    report = billing_json("replay", "--terms", "CGPS20260208-2", db=scenario)
    assert report["totals"] == {"issued": "10904.00", "replayed": "10904.00", "difference": "0.00"}
    assert all(r["difference"] == "0.00" for r in report["lines"])


def test_replay_under_a_derived_version(scenario: str, derived: str) -> None:
    diff = run_billing("terms", "diff", "CGPS20260208-2", derived, db=scenario).stdout
    assert "plans GROW: extra appointment price changed from 159.00 to 139.00" in diff
    assert "validation: anomaly window (jours ouvrables) changed from 5 to 3" in diff
    report = billing_json("replay", "--terms", derived, db=scenario)
    clients = {c["client_id"]: c["difference"] for c in report["clients"]}
    # 3-day window: A1's anomaly of 20 May comes after its deadline (18 May), so A1..A6 all
    # validate: 18, 18, 21, 22, 30 May and 1 June. Quota 3: A4, A5 billed in May, A6 in June,
    # at 139.00: 278.00 + 139.00 instead of June's 2 × 159.00 = 318.00 → +99.00.
    assert clients == {"C-ALPHA": "99.00", "C-BETA": "0.00", "C-GAMMA": "0.00"}
    extras = {r["key"]: (r["issued_ttc"], r["replayed_quantity"], r["replayed_ttc"]) for r in report["lines"]
              if r["code"] == "extra_appointments"}
    assert extras == {"btb:extras:S-A:2026-05": ("0.00", "2", "278.00"),
                      "btb:extras:S-A:2026-06": ("318.00", "1", "139.00")}
    assert report["totals"]["difference"] == "99.00"


def test_a_malformed_version_is_refused_with_the_field(scenario: str, tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text(DERIVED.replace('"139.00"', '"-1"').replace("AUDIT-GROW139-W3", "AUDIT-BAD"), encoding="utf-8")
    result = run_billing("replay", "--terms", str(bad), db=scenario, check=False)
    assert result.returncode == 1 and "plans.GROW.extra_price" in result.stderr


def test_explain_lists_the_appointments_and_the_article(scenario: str) -> None:
    data = billing_json("explain", "BTB-2026-00006", db=scenario)
    line = data["lines"][0]
    assert (line["code"], line["article"], line["terms"]) == ("extra_appointments", "CGPS art. 4.1, 6.2",
                                                               "CGPS20260208-2")
    assert [a["appointment_id"] for a in line["parameters"]["appointments"]] == ["A5", "A6"]
    # the plan of the subscription they were booked on, and its quota and price (CGPS art. 4.1)
    assert {k: line["parameters"][k] for k in ("plan", "included_per_period", "extra_price")} == {
        "plan": "GROW", "included_per_period": 3, "extra_price": "159.00"}
    assert line["arithmetic"] == "2 × 159.00 = 318.00 HT; TTC 318.00"
    facts = [f["key"] for src in line["sources"] for f in src["facts"]]
    assert facts == ["A5-s", "A5-h", "A6-s", "A6-h"]
    assert all(":" in e for src in line["sources"] for f in src["facts"] for e in f["events"])
    one = billing_json("explain", "BTB-2026-00004", "--line", "2", db=scenario)
    assert [ln["code"] for ln in one["lines"]] == ["prepayment_discount"]


def test_known_at_returns_the_earlier_state(scenario: str) -> None:
    before = datetime.now(timezone.utc).isoformat()
    late = fact("x", "invoice.cancelled", "2026-09-30T10:00:00+02:00", invoice="BTB-2026-00007", reason="erreur")
    billing_json("ingest", "-", db=scenario, stdin=jsonl([late]))
    billing_json("advance", "--to", "2026-10-01", db=scenario)
    now = billing_json("invoices", "--client", "C-BETA", db=scenario)
    then = billing_json("invoices", "--client", "C-BETA", "--known-at", before, db=scenario)
    assert [i["kind"] for i in then] == ["invoice"] * 4
    assert [i["kind"] for i in now].count("credit_note") == 1
    owed_then = billing_json("receivables", "--as-of", "2026-10-01", "--client", "C-BETA", "--known-at", before,
                             db=scenario)[0]["outstanding"]
    owed_now = billing_json("receivables", "--as-of", "2026-10-01", "--client", "C-BETA", db=scenario)[0]["outstanding"]
    assert (owed_then, owed_now) == ("1560.00", "1170.00")
    replay_then = billing_json("replay", "--terms", "CGPS20260208-2", "--known-at", before, db=scenario)
    assert replay_then["totals"]["difference"] == "0.00"


def test_verify_reports_an_altered_document(scenario: str) -> None:
    assert billing_json("verify", db=scenario) == {"findings": []}
    tamper(scenario, "BTB-2026-00002", b'"590.00"', b'"490.00"')
    result = run_billing("verify", "--format", "json", db=scenario, check=False)
    assert result.returncode == 1
    assert '"altered"' in result.stdout and "BTB-2026-00002" in result.stdout


def tamper(url: str, number: str, old: bytes, new: bytes) -> None:
    """Edits the stored event of an issued document directly in the database."""
    if url.startswith("postgresql"):
        import psycopg

        with psycopg.connect(url) as conn:
            rows = conn.execute("SELECT originator_id, originator_version, state FROM billing_events "
                                "WHERE topic LIKE '%DocumentIssued'").fetchall()
            oid, version, state = next(r for r in rows if number.encode() in bytes(r[2]))
            conn.execute("UPDATE billing_events SET state = %s WHERE originator_id = %s AND originator_version = %s",
                         (bytes(state).replace(old, new, 1), oid, version))
        return
    import sqlite3

    conn = sqlite3.connect(url.removeprefix("sqlite:///"))
    rows = conn.execute("SELECT originator_id, originator_version, state FROM stored_events "
                        "WHERE topic LIKE '%DocumentIssued'").fetchall()
    oid, version, state = next(r for r in rows if number.encode() in r[2])
    conn.execute("UPDATE stored_events SET state = ? WHERE originator_id = ? AND originator_version = ?",
                 (state.replace(old, new, 1), oid, version))
    conn.commit()
    conn.close()
