"""Annual tax attestations with their legal content (issue 13, point 6; CGV art. 8 bis 8.4;
C. trav. D7233-1), through the `billing` command on both backends: issued on the first run of
the following year with both parties and the amounts by payer and by month, read back as issued
(a reprint is identical), and corrected by a new version when a later fact changes them."""

from __future__ import annotations

import subprocess
from datetime import date

import pytest

from application.advance import AdvanceService
from infrastructure.urssaf_simulator import UrssafSimulator
from tests.billing_cli import billing_json, jsonl, run_billing
from tests.conftest import copied_store, drop_copy
from tests.services import RECORDED_AT, Engine
from tests.test_etincelle_scenario import fact, history


@pytest.fixture
def year_2026(db_url: str) -> str:
    billing_json("ingest", "-", db=db_url, stdin=jsonl(history()), check=False)
    assert billing_json("advance", "--to", "2026-12-31", db=db_url)["attestations_issued"] == []
    return db_url


def attestations(db: str) -> dict[str, dict]:
    return {a["client_id"]: a for a in billing_json("attestations", "--year", "2026", db=db)}


def test_nothing_is_issued_before_the_year_is_over(year_2026: str) -> None:
    assert {a["status"] for a in attestations(year_2026).values()} == {"provisional"}


def test_issued_on_the_first_day_of_the_next_year_with_its_legal_content(year_2026: str) -> None:
    issued = billing_json("advance", "--to", "2027-01-01", db=year_2026)["attestations_issued"]
    assert issued == ["E-BLK/2026 v1", "E-MON/2026 v1", "E-PER/2026 v1"]
    per = attestations(year_2026)["E-PER"]
    assert (per["status"], per["version"], per["issued_on"]) == ("issued", 1, "2027-01-01")
    # ETS-2026-00001 90.00 (2 h) and 00002 45.00 (1 h) at home, both January; URSSAF advanced half.
    assert (per["eligible_paid"], per["avance_immediate"], per["paid_by_client"], per["hours"]) == (
        "135.00", "67.50", "67.50", 3.0)
    assert per["months"] == [{"month": "2026-01", "eligible_paid": "135.00", "hours": "3.00"}]
    assert per["organisme"]["name"] == "Romain Carrière EI – L'Étincelle du Savoir"
    assert "sap_declaration" in per["organisme"]["missing"]  # "[à compléter]" in the CGV: not invented
    assert per["client"]["client_id"] == "E-PER" and "199 sexdecies" in per["mention"]
    mon = attestations(year_2026)["E-MON"]
    # February: 1.5 h, 60.00, paid; March: 2 sessions (80.00 eligible) on a 120.00 invoice half paid.
    assert mon["months"] == [{"month": "2026-02", "eligible_paid": "60.00", "hours": "1.50"},
                             {"month": "2026-03", "eligible_paid": "40.00", "hours": "1.00"}]
    assert billing_json("advance", "--to", "2027-01-02", db=year_2026)["attestations_issued"] == []


def test_a_later_fact_gives_a_corrected_version_and_the_first_is_kept(year_2026: str) -> None:
    billing_json("advance", "--to", "2027-01-01", db=year_2026)
    late = fact("mon-rest", "payment.received", "2026-12-20T10:00:00+01:00", client_id="E-MON", amount="60.00",
                method="transfer", invoice="ETS-2026-00009")
    billing_json("ingest", "-", db=year_2026, stdin=jsonl([late]))
    assert attestations(year_2026)["E-MON"]["eligible_paid"] == "100.00"  # a reprint states what was issued
    assert billing_json("advance", "--to", "2027-01-10", db=year_2026)["attestations_issued"] == ["E-MON/2026 v2"]
    mon = attestations(year_2026)["E-MON"]
    # March now paid in full: 80.00 and 2 h; 60.00 + 80.00 = 140.00, 1.5 + 2 = 3.5 h.
    assert (mon["version"], mon["issued_on"], mon["corrects"], mon["eligible_paid"], mon["hours"]) == (
        2, "2027-01-10", 1, "140.00", 3.5)


def test_one_run_across_the_year_end_attests_what_two_runs_do(db_url: str, tmp_path) -> None:
    """Issue 17: a partition's attestations are issued while it is drafted, unless one of its drafts
    is issued in an attestable year. One run to 2027-01-01 issues 2026's documents on their 2026
    dates (an attestation of 2026 counts them) and the attestations after them; two runs issue the
    documents first, then the attestations while drafting the next (nothing left to issue in 2026)."""
    billing_json("ingest", "-", db=db_url, stdin=jsonl(history()), check=False)
    in_two = copied_store(db_url, tmp_path, "two_runs")
    try:
        assert billing_json("advance", "--to", "2026-12-31", db=in_two)["attestations_issued"] == []
        issued = ["E-BLK/2026 v1", "E-MON/2026 v1", "E-PER/2026 v1"]
        assert billing_json("advance", "--to", "2027-01-01", db=in_two)["attestations_issued"] == issued
        assert billing_json("advance", "--to", "2027-01-01", db=db_url)["attestations_issued"] == issued
        assert attestations(db_url) == attestations(in_two)
        # ETS-2026-00001 90.00 and 00002 45.00: what the 2026 documents of E-PER made eligible.
        assert attestations(db_url)["E-PER"]["eligible_paid"] == "135.00"
    finally:
        drop_copy(in_two)


def test_a_kept_service_issues_each_version_once(engine: Engine) -> None:
    engine.ingest(*history())
    kept = AdvanceService(engine.ingest_service, lambda: RECORDED_AT, UrssafSimulator)
    assert kept.advance(date(2027, 1, 1)).attested == ["E-BLK/2026 v1", "E-MON/2026 v1", "E-PER/2026 v1"]
    engine.ingest(fact("mon-rest", "payment.received", "2026-12-20T10:00:00+01:00", client_id="E-MON",
                       amount="60.00", method="transfer", invoice="ETS-2026-00009"))
    assert kept.advance(date(2027, 1, 2)).attested == ["E-MON/2026 v2"]
    assert kept.advance(date(2027, 1, 3)).attested == []


def test_an_issued_attestation_as_pdf(year_2026: str, tmp_path) -> None:
    early = run_billing("attestations", "--year", "2026", "--client", "E-PER", "--pdf", str(tmp_path / "a.pdf"),
                        db=year_2026, check=False)
    assert early.returncode == 1 and "not issued yet" in early.stderr and "Traceback" not in early.stderr
    billing_json("advance", "--to", "2027-01-01", db=year_2026)
    for name in ("a.pdf", "b.pdf"):
        run_billing("attestations", "--year", "2026", "--client", "E-PER", "--pdf", str(tmp_path / name), db=year_2026)
    pdf = (tmp_path / "a.pdf").read_bytes()
    assert pdf.startswith(b"%PDF-") and pdf == (tmp_path / "b.pdf").read_bytes()  # a reprint is identical
    text = subprocess.run(["pdftotext", str(tmp_path / "a.pdf"), "-"], capture_output=True, text=True, check=True).stdout
    assert "135,00" in text and "67,50" in text and "Romain Carrière" in text and "199 sexdecies" in text
