"""`scripts/bench --quick` completes and writes its JSON with every step: on SQLite, and on
PostgreSQL too when BILLING_TEST_POSTGRES_URL is set (the bench then gets a brand-new database of
the `pg_url` fixture as its server URL, and creates and drops its own database inside)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
ENGINE_STEPS = {"raw_write", "ingest", "advance", "advance_cold", "raw_read", "replay", "rebuild", "reads", "append",
                "http"}


def test_quick_bench_writes_every_step(tmp_path: Path, request: pytest.FixtureRequest) -> None:
    out = tmp_path / "bench.json"
    command = [str(REPO / "scripts" / "bench"), "--quick", "--out", str(out)]
    backends = {"sqlite"}
    if os.environ.get("BILLING_TEST_POSTGRES_URL"):
        command += ["--pg", request.getfixturevalue("pg_url")]
        backends.add("postgres")
    env = {**os.environ, "BENCH_PYTHON": sys.executable}
    result = subprocess.run(command, capture_output=True, text=True, env=env, cwd=REPO, timeout=420)
    assert result.returncode == 0, result.stderr[-4000:]

    data = json.loads(out.read_text(encoding="utf-8"))
    assert set(data["backends"]) == backends
    for name in backends:
        steps = data["backends"][name]
        assert set(steps) == ENGINE_STEPS
        assert steps["ingest"]["refused"] == 0 and steps["ingest"]["recorded"] == data["size"]["facts"]
        assert all(step["peak_rss_mb"] > 0 for step in steps.values())
        # The month-ends run by one kept service left nothing that a fresh process would issue.
        # …by partitions, with one worker and with two
        assert [run["documents"] for run in steps["advance_cold"]["runs"]] == [0, 0]
        # …from the run before: nobody drafted; then the clients of the late facts only
        again, late = steps["advance_cold"]["again"], steps["advance_cold"]["after_late"]
        assert again["drafted"] == again["documents"] == 0
        assert 0 < late["recorded"] == late["facts"] and 0 < late["drafted"] <= late["recorded"]
        assert steps["reads"]["api_invoices"]["requests"] > 0 and steps["reads"]["invoices_cli"]["runs"] > 0
        assert all(page["count"] > 0 for page in steps["reads"]["console_ms"].values())  # every console page loaded
        assert steps["reads"]["console_ms"]["/console/receivables (first load after a payment)"]["count"] > 0
        assert steps["reads"]["console_ms"]["/console/replay (POST, one client)"]["count"] > 0
        http = steps["http"]  # every fact of the quick history over HTTP, then single facts from 8 clients
        assert http["batched"]["recorded"] == data["size"]["facts"]
        assert http["singles"]["requests"] > 0 and http["singles"]["errors"] == 0
    assert data["cold_start"]["seconds"] > 0
    assert {t["target"] for t in data["targets"]} >= {"peak memory < 1 GB", "cold start < 0.3 s"}
    assert "| backend" in result.stdout
