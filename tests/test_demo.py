"""`billing demo`: realistic BTBCONNECT and L'Étincelle du Savoir histories, billed once, with the
year's tax attestations, and a second run that is a no-op."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from infrastructure import demo_etincelle as ets
from infrastructure.demo_history import FIRST_DAY, LAST_DAY, demo_facts

REPO_ROOT = Path(__file__).resolve().parents[1]
EXEMPT_MENTION = "TVA non applicable – article 261 C du Code général des impôts"
ETS_MENTION = "TVA non applicable, article 293 B du CGI"
ATTESTATION_KEYS = {"client_id", "year", "eligible_paid", "avance_immediate", "hours"}


def run_demo(db: Path) -> dict[str, Any]:
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    done = subprocess.run(
        [sys.executable, "-m", "infrastructure.cli.main", "demo", "--db", str(db), "--format", "json"],
        cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=600,
    )
    assert done.returncode == 0, f"billing demo failed ({done.returncode}):\n{done.stderr}"
    return json.loads(done.stdout)


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, Any], dict[str, Any]]:
    db = tmp_path_factory.mktemp("demo") / "billing.db"
    return run_demo(db), run_demo(db)


def documents(output: dict[str, Any], provider: str) -> list[dict[str, Any]]:
    return [doc for doc in output["invoices"] if doc["provider"] == provider]


def lines(output: dict[str, Any], provider: str | None = None) -> list[dict[str, Any]]:
    return [line for doc in output["invoices"] for line in doc["lines"] if provider in (None, doc["provider"])]


def issued(output: dict[str, Any]) -> int:
    return sum(step["issued"] for step in output["advanced"])


def test_first_run_records_every_fact_and_issues_documents(runs):
    first, _ = runs
    assert first["ingest"]["refused"] == []
    assert first["ingest"]["recorded"] == len(demo_facts()) + len(ets.ets_facts())
    # Month end by month end over the period covering both histories (Étincelle: all of 2026).
    assert [step["to"] for step in first["advanced"]] == [
        "2026-01-31", "2026-02-28", "2026-03-31", "2026-04-30", "2026-05-31", "2026-06-30",
        "2026-07-31", "2026-08-31", "2026-09-30", "2026-10-31", "2026-11-30", "2026-12-31"]
    assert issued(first) == len(first["invoices"]) > 0
    assert documents(first, "btbconnect") and documents(first, "etincelle")


@pytest.mark.parametrize("provider, prefix", [("btbconnect", "BTB"), ("etincelle", "ETS")])
def test_numbers_are_continuous_in_issue_order(runs, provider, prefix):
    first, _ = runs
    numbers = [doc["number"] for doc in documents(first, provider)]
    assert numbers == [f"{prefix}-2026-{n:05d}" for n in range(1, len(numbers) + 1)]
    issued_on = [doc["issued_on"] for doc in documents(first, provider)]
    assert issued_on == sorted(issued_on)


def test_every_plan_is_invoiced(runs):
    first, _ = runs
    fees = [line["description"] for line in lines(first) if line["code"] == "subscription_fee"]
    for plan in ("START", "GROW", "DEV", "SCALE"):
        assert any(description.startswith(f"Abonnement {plan} ") for description in fees), plan


def test_starter_pack_multicanal_and_extras_are_billed(runs):
    first, _ = runs
    billed = lines(first)
    assert any(ln["code"] == "starter_pack" and ln["total_ttc"] == "1790.00" for ln in billed)
    assert any(ln["code"] == "multicanal" and ln["vat_rate"] == "20" for ln in billed)
    assert any(ln["code"] == "extra_appointments" for ln in billed)
    assert any(ln["code"] == "prepayment_discount" for ln in billed)


def test_exempt_lines_carry_the_261_c_mention(runs):
    first, _ = runs
    exempt = [ln for ln in lines(first, "btbconnect") if ln["vat_rate"] == "0"]
    assert exempt
    assert all(ln["mention"] == EXEMPT_MENTION for ln in exempt)


def test_second_run_records_nothing_and_issues_nothing(runs):
    first, second = runs
    assert second["ingest"] == {"recorded": 0, "duplicates": first["ingest"]["recorded"], "refused": []}
    assert issued(second) == 0
    assert second["invoices"] == first["invoices"]
    assert second["attestations"] == first["attestations"]
    assert second["urssaf_requests"] == first["urssaf_requests"]


def test_history_is_stable_and_within_the_demo_months():
    facts = demo_facts()
    assert facts == demo_facts()
    keys = [f["key"] for f in facts]
    assert len(set(keys)) == len(keys)
    assert all(key.startswith("demo-") for key in keys)
    for f in facts:
        moment = datetime.fromisoformat(f["at"])
        assert FIRST_DAY <= moment.date() <= LAST_DAY, f["key"]
        assert f["at"].endswith(("+02:00", "+01:00")), f["key"]
    assert FIRST_DAY >= date(2026, 4, 8)  # CGPS20260208-2 in force


def test_a_refused_demo_fact_fails_the_demo(tmp_path, monkeypatch, capsys):
    from infrastructure import demo
    from infrastructure.cli.wiring import services

    bad = json.dumps({"key": "demo-bad", "type": "appointment.honoured", "at": "2026-05-04T10:00:00+02:00",
                      "appointment_id": "demo-nowhere"})
    monkeypatch.setattr(demo, "demo_lines", lambda: [bad])
    with services("sqlite:///" + str(tmp_path / "billing.db")) as s:
        assert demo.run_demo(s, "json") == 1
    assert "demo fact refused demo-bad" in capsys.readouterr().err


# --- L'Étincelle du Savoir ----------------------------------------------------------------------


def session_starts() -> dict[str, datetime]:
    return {f["session_id"]: datetime.fromisoformat(f["starts_at"])
            for f in ets.ets_facts() if f["type"] == "session.booked"}


def sessions_of(doc: dict[str, Any]) -> set[str]:
    return {source.split(":", 1)[1] for line in doc["lines"] for source in line["sources"]}


def client_documents(output: dict[str, Any], client_id: str) -> list[dict[str, Any]]:
    return [doc for doc in documents(output, "etincelle") if doc["client_id"] == client_id]


def test_etincelle_invoices_bill_sessions_late_cancellations_absences_and_parking(runs):
    first, _ = runs
    docs = documents(first, "etincelle")
    assert {doc["client_id"] for doc in docs} == set(ets.ets_clients())
    assert all(doc["number"].startswith("ETS-2026-") and doc["terms"] == ets.TERMS for doc in docs)
    codes = {line["code"] for line in lines(first, "etincelle")}
    assert {"session", "late_cancellation", "absence", "parking"} <= codes
    # Not eligible for the tax credit: the late cancellation, the absence, the parking, remote or
    # elsewhere sessions.
    for line in lines(first, "etincelle"):
        if line["code"] != "session" or "à domicile" not in line["description"]:
            assert line["sap_eligible"] is False, line


def test_every_etincelle_line_carries_the_293_b_mention(runs):
    first, _ = runs
    ets_lines = lines(first, "etincelle")
    assert ets_lines
    assert all(line["mention"] == ETS_MENTION and line["vat_rate"] == "0" for line in ets_lines)


def test_cancellations_in_time_or_for_force_majeure_are_not_billed(runs):
    first, _ = runs
    billed = {s for doc in documents(first, "etincelle") for s in sessions_of(doc)}
    starts = session_starts()
    free = {f["session_id"] for f in ets.ets_facts() if f["type"] == "session.cancelled"
            and (f.get("force_majeure") and f.get("proof")
                 or starts[f["session_id"]] - datetime.fromisoformat(f["at"]) >= timedelta(hours=72))}
    assert len(free) == 2
    assert not free & billed
    assert any(s.endswith("-report") for s in billed)  # the force-majeure session, made up later


def test_avance_immediate_invoices_show_urssaf_and_client_parts(runs):
    first, _ = runs
    advanced = [doc for doc in documents(first, "etincelle") if "avance_immediate" in doc]
    assert advanced
    for doc in advanced:
        info = doc["avance_immediate"]
        assert Decimal(info["urssaf_share"]) + Decimal(info["client_share"]) == Decimal(info["amount"])
        eligible = sum(Decimal(line["total_ttc"]) for line in doc["lines"] if line["sap_eligible"])
        assert Decimal(info["amount"]) == eligible
    assert {doc["client_id"] for doc in advanced} == {p.client_id for p in ets.PUPILS if p.urssaf}


def test_a_failed_debit_blocks_the_avance_immediate_until_unblocked(runs):
    first, _ = runs
    martin = next(p for p in ets.PUPILS if p.urssaf and p.urssaf.unblocked)
    failed = [r for r in first["urssaf_requests"] if r["status"] == "debit_failed"]
    assert [r["client_id"] for r in failed] == [martin.client_id]
    blocked = [doc for doc in client_documents(first, martin.client_id)
               if failed[0]["debit_on"] <= doc["issued_on"] < martin.urssaf.unblocked.isoformat()]
    assert blocked  # billed in full while blocked
    assert all("avance_immediate" not in doc for doc in blocked)
    assert any("avance_immediate" in doc for doc in client_documents(first, martin.client_id)
               if doc["issued_on"] >= martin.urssaf.unblocked.isoformat())


def test_attestations_have_the_contract_keys_and_consistent_amounts(runs):
    first, _ = runs
    attested = first["attestations"]
    assert [a["client_id"] for a in attested] == sorted(ets.ets_clients())
    for a in attested:
        assert ATTESTATION_KEYS <= set(a)
        assert a["year"] == 2026
        assert isinstance(a["hours"], (int, float))
        assert Decimal(a["eligible_paid"]) >= Decimal(a["avance_immediate"]) >= 0
    by_client = {a["client_id"]: a for a in attested}
    assert all(Decimal(by_client[p.client_id]["avance_immediate"]) > 0 for p in ets.PUPILS if p.urssaf)
    remote_only = [p.client_id for p in ets.PUPILS if p.place == "remote"]
    assert remote_only and all(by_client[c]["eligible_paid"] == "0.00" for c in remote_only)


def test_the_client_who_renounced_has_avance_immediate_only_before(runs):
    first, _ = runs
    (client_id, renounced), = ets.renounced_on().items()
    starts = session_starts()
    docs = client_documents(first, client_id)
    advanced = [doc for doc in docs if "avance_immediate" in doc]
    assert advanced
    for doc in docs:
        days = {starts[s].date() for s in sessions_of(doc)}
        if "avance_immediate" in doc:
            assert max(days) < renounced, doc["number"]
        if min(days) >= renounced:
            assert "avance_immediate" not in doc, doc["number"]
    assert any(min(starts[s].date() for s in sessions_of(doc)) >= renounced for doc in docs)
    # Every request was debited within the year: the attestation's part advanced is theirs.
    attestation = next(a for a in first["attestations"] if a["client_id"] == client_id)
    shares = sum(Decimal(doc["avance_immediate"]["urssaf_share"]) for doc in advanced)
    assert Decimal(attestation["avance_immediate"]) == shares


def test_the_demo_payments_settle_everything_owed_before_december(runs):
    first, _ = runs
    for doc in documents(first, "etincelle"):
        if doc["issued_on"] < "2026-12-01":
            assert doc["balance"] == "0.00", doc["number"]


def test_etincelle_history_is_stable_adult_and_in_paris_time():
    facts = ets.ets_facts()
    assert facts == ets.ets_facts()
    keys = [f["key"] for f in facts]
    assert len(set(keys)) == len(keys)
    assert all(key.startswith("demo-ets-") for key in keys)
    paris = ZoneInfo("Europe/Paris")
    for f in facts:
        moment = datetime.fromisoformat(f["at"])
        assert ets.FIRST_DAY <= moment.date() <= ets.LAST_DAY, f["key"]
        assert moment.utcoffset() == moment.astimezone(paris).utcoffset(), f["key"]
    assert ets.FIRST_DAY >= date(2025, 9, 2)  # CGV-2025-09-02 in force
    registered = [f for f in facts if f["type"] == "client.registered"]
    assert 3 <= len(registered) <= 4 and all(f["adult"] for f in registered)
    assert {f["invoicing"] for f in registered} == {"per_session", "monthly"}
    booked = [f for f in facts if f["type"] == "session.booked"]
    assert {"home", "remote", "elsewhere"} == {f["place"] for f in booked}
    assert {"college", "lycee", "superieur"} == {f["level"] for f in booked}
    types = {f["type"] for f in facts}
    assert {"session.student_absent", "urssaf.client_registered", "urssaf.request_validated",
            "urssaf.debit_failed", "urssaf.account_unblocked", "urssaf.client_renounced"} <= types
    held = [f for f in facts if f["type"] == "session.held"]
    late = next(f for f in held if f.get("provider_late_minutes"))
    assert any(f.get("makeup_minutes") and f["at"] > late["at"] for f in held)
    assert any(f.get("parking_fee") for f in held)
    assert {f["method"] for f in facts if f["type"] == "payment.received"} == {"card", "transfer", "cash"}


def test_the_demo_writes_its_documents_as_pdf(runs, tmp_path):
    db = tmp_path / "billing.db"
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT), "BILLING_LOG_LEVEL": "warning"}
    done = subprocess.run(
        [sys.executable, "-m", "infrastructure.cli.main", "demo", "--db", str(db), "--format", "json",
         "--pdf-dir", str(tmp_path / "pdf")], cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    output = json.loads(done.stdout)
    written = sorted(p.stem for p in Path(output["pdf_dir"]).glob("*.pdf"))
    assert written == sorted(doc["number"] for doc in output["invoices"]) == sorted(
        doc["number"] for doc in runs[0]["invoices"])
