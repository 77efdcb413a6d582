"""Two or more `billing advance` at once never issue anything twice nor leave a gap; the same
facts ingested at once are recorded once."""

from __future__ import annotations

import json
import subprocess

from tests.billing_cli import REPO, billing_command, billing_json, jsonl
from tests.test_btb_scenario import EXPECTED, history

PARALLEL = 4


def run_parallel(args: list[str], db: str, stdin: str | None = None) -> list[subprocess.CompletedProcess]:
    env = {"PYTHONPATH": str(REPO), "BILLING_LOG_LEVEL": "warning", "PATH": "/usr/bin:/bin"}
    procs = [subprocess.Popen([*billing_command(), *args, "--db", db], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=REPO)
             for _ in range(PARALLEL)]
    results = []
    for proc in procs:
        out, err = proc.communicate(stdin, timeout=300)
        results.append(subprocess.CompletedProcess(proc.args, proc.returncode, out, err))
    return results


def test_parallel_advances_issue_each_document_once(db_url: str) -> None:
    billing_json("ingest", "-", db=db_url, stdin=jsonl(history()), check=False)
    results = run_parallel(["advance", "--to", "2026-09-30", "--format", "json"], db_url)
    assert all(r.returncode == 0 for r in results), [r.stderr for r in results]
    assert sum(json.loads(r.stdout)["issued"] for r in results) == len(EXPECTED)
    invoices = billing_json("invoices", db=db_url)
    assert [i["number"] for i in invoices] == [e[0] for e in EXPECTED]
    assert len({i["key"] for i in invoices}) == len(EXPECTED)


def test_parallel_ingests_record_each_fact_once(db_url: str) -> None:
    facts = jsonl(history())
    results = run_parallel(["ingest", "-", "--format", "json"], db_url, stdin=facts)
    assert all(r.stdout for r in results), [r.stderr[-2000:] for r in results]
    reports = [json.loads(r.stdout) for r in results]
    assert sum(r["recorded"] for r in reports) == len(history()) - 2
    assert sum(r["recorded"] + r["duplicates"] for r in reports) == PARALLEL * (len(history()) - 2)
    assert all({x["key"] for x in r["refused"]} == {"pack-a2", "A2-x"} for r in reports)
