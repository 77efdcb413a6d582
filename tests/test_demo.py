"""`billing demo`: a realistic BTBCONNECT history, billed once, and a second run that is a no-op."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest

from infrastructure.demo_history import FIRST_DAY, LAST_DAY, demo_facts

REPO_ROOT = Path(__file__).resolve().parents[1]
EXEMPT_MENTION = "TVA non applicable – article 261 C du Code général des impôts"


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


def lines(output: dict[str, Any]) -> list[dict[str, Any]]:
    return [line for doc in output["invoices"] for line in doc["lines"]]


def issued(output: dict[str, Any]) -> int:
    return sum(step["issued"] for step in output["advanced"])


def test_first_run_records_every_fact_and_issues_documents(runs):
    first, _ = runs
    assert first["ingest"]["refused"] == []
    assert first["ingest"]["recorded"] == len(demo_facts())
    assert [step["to"] for step in first["advanced"]] == [
        "2026-05-31", "2026-06-30", "2026-07-31", "2026-08-31", "2026-09-30", "2026-10-31"]
    assert issued(first) == len(first["invoices"]) > 0


def test_numbers_are_continuous_in_issue_order(runs):
    first, _ = runs
    numbers = [doc["number"] for doc in first["invoices"]]
    assert numbers == [f"BTB-2026-{n:05d}" for n in range(1, len(numbers) + 1)]
    issued_on = [doc["issued_on"] for doc in first["invoices"]]
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
    exempt = [ln for ln in lines(first) if ln["vat_rate"] == "0"]
    assert exempt
    assert all(ln["mention"] == EXEMPT_MENTION for ln in exempt)


def test_second_run_records_nothing_and_issues_nothing(runs):
    first, second = runs
    assert second["ingest"] == {"recorded": 0, "duplicates": first["ingest"]["recorded"], "refused": []}
    assert issued(second) == 0
    assert second["invoices"] == first["invoices"]


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
